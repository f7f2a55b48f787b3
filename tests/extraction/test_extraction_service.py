"""Component tests: the real extraction server on port 0, called through the generated stub."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from libs.errors import InvalidArgument
from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.extraction.v1 import extraction_service_pb2 as pb
from memgrid.extraction.v1 import extraction_service_pb2_grpc as pb_grpc
from services.extraction.server import build_engines
from services.extraction.settings import ExtractionSettings

TENANT = common_pb2.Tenant(org_id="acme", project_id="app1")
TIMEOUT = 5.0


def user(text: str) -> common_pb2.Message:
    return common_pb2.Message(role=common_pb2.ROLE_USER, content=text)


async def test_extract_facts(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    request = pb.ExtractFactsRequest(
        tenant=TENANT,
        messages=[
            common_pb2.Message(role=common_pb2.ROLE_SYSTEM, content="I am a helpful assistant."),
            user("Hi, I'm Alex. I'm a vegetarian and I'm allergic to nuts."),
            common_pb2.Message(role=common_pb2.ROLE_ASSISTANT, content="I love that!"),
        ],
        scope=common_pb2.Scope(user_id="alex"),
    )
    response = await call(extraction_stub.ExtractFacts(request, timeout=TIMEOUT))
    assert [(f.text, f.attributed_to, list(f.categories)) for f in response.facts] == [
        ("Name is Alex", common_pb2.ROLE_USER, ["personal_details"]),
        ("Is a vegetarian", common_pb2.ROLE_USER, ["food"]),
        ("Is allergic to nuts", common_pb2.ROLE_USER, ["food", "health"]),
    ]


async def test_extract_facts_with_options_and_agent_scope(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    request = pb.ExtractFactsRequest(
        tenant=TENANT,
        messages=[
            user("I'm vegan."),
            common_pb2.Message(role=common_pb2.ROLE_ASSISTANT, content="I'm Chef Bot. I cook Italian food."),
        ],
        scope=common_pb2.Scope(user_id="alex", agent_id="chef"),
        custom_categories={"cooking": "cuisines and dishes", "diet": "vegan, vegetarian"},
        excludes="chef",
    )
    response = await call(extraction_stub.ExtractFacts(request, timeout=TIMEOUT))
    assert [(f.text, f.attributed_to, list(f.categories)) for f in response.facts] == [
        ("Is vegan", common_pb2.ROLE_USER, ["diet"]),
        ("Cooks Italian food", common_pb2.ROLE_ASSISTANT, ["cooking"]),
    ]


async def test_extract_facts_without_messages_is_invalid(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await call(extraction_stub.ExtractFacts(pb.ExtractFactsRequest(tenant=TENANT), timeout=TIMEOUT))
    assert raised.value.field == "messages"
    assert "at least one message" in raised.value.message


async def test_extract_facts_without_tenant_is_invalid(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    request = pb.ExtractFactsRequest(messages=[user("I love sushi")])
    with pytest.raises(InvalidArgument) as raised:
        await call(extraction_stub.ExtractFacts(request, timeout=TIMEOUT))
    assert raised.value.field == "tenant"


async def test_reconcile_memories(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    request = pb.ReconcileMemoriesRequest(
        tenant=TENANT,
        facts=[
            pb.Fact(text="Loves sushi", attributed_to=common_pb2.ROLE_USER),
            pb.Fact(text="Does not like spicy food", attributed_to=common_pb2.ROLE_USER),
            pb.Fact(text="Lives in Berlin", attributed_to=common_pb2.ROLE_USER),
            pb.Fact(text="Is vegan", attributed_to=common_pb2.ROLE_USER),
            pb.Fact(text="loves sushi", attributed_to=common_pb2.ROLE_USER),
        ],
        candidates=[
            pb.Candidate(memory_id="m-sushi", text="Loves sushi", score=0.99, fact_index=0),
            pb.Candidate(memory_id="m-spicy", text="Likes spicy food", score=0.9, fact_index=1),
            pb.Candidate(memory_id="m-city", text="Lives in Munich", score=0.8, fact_index=2),
            pb.Candidate(memory_id="m-diet", text="Is not vegan", score=0.97, immutable=True, fact_index=3),
        ],
    )
    response = await call(extraction_stub.ReconcileMemories(request, timeout=TIMEOUT))
    assert [(a.event, a.memory_id, a.text, a.fact_index) for a in response.actions] == [
        (common_pb2.MEMORY_EVENT_NONE, "m-sushi", "Loves sushi", 0),
        (common_pb2.MEMORY_EVENT_UPDATE, "m-spicy", "Does not like spicy food", 1),
        (common_pb2.MEMORY_EVENT_ADD, "", "Lives in Berlin", 2),
        (common_pb2.MEMORY_EVENT_ADD, "", "Is vegan", 3),
    ]


async def test_reconcile_without_tenant_is_invalid(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    request = pb.ReconcileMemoriesRequest(facts=[pb.Fact(text="Loves sushi")])
    with pytest.raises(InvalidArgument) as raised:
        await call(extraction_stub.ReconcileMemories(request, timeout=TIMEOUT))
    assert raised.value.field == "tenant"


async def test_reconcile_with_out_of_range_fact_index_is_invalid(
    extraction_stub: pb_grpc.ExtractionServiceStub,
) -> None:
    request = pb.ReconcileMemoriesRequest(
        tenant=TENANT,
        facts=[pb.Fact(text="Loves sushi")],
        candidates=[pb.Candidate(memory_id="m1", text="Loves sushi", score=1.0, fact_index=1)],
    )
    with pytest.raises(InvalidArgument) as raised:
        await call(extraction_stub.ReconcileMemories(request, timeout=TIMEOUT))
    assert raised.value.field == "candidates"
    assert "fact_index" in raised.value.message


async def test_reconcile_with_no_facts_returns_no_actions(extraction_stub: pb_grpc.ExtractionServiceStub) -> None:
    response = await call(
        extraction_stub.ReconcileMemories(pb.ReconcileMemoriesRequest(tenant=TENANT), timeout=TIMEOUT)
    )
    assert list(response.actions) == []


def test_llm_settings_come_from_nested_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMGRID_LLM__BASE_URL", "http://llm.local/v1")
    monkeypatch.setenv("MEMGRID_LLM__API_KEY", "sk-test")
    monkeypatch.setenv("MEMGRID_EXTRACTION_PORT", "6001")
    settings = ExtractionSettings()
    assert settings.llm.base_url == "http://llm.local/v1"
    assert settings.llm.api_key is not None and settings.llm.api_key.get_secret_value() == "sk-test"
    assert settings.llm.model == "gpt-4o-mini"
    assert settings.extraction_port == 6001
    assert "sk-test" not in repr(settings)


async def test_configured_llm_selects_the_llm_pair() -> None:
    settings = ExtractionSettings.model_validate({"llm": {"base_url": "http://llm.local/v1", "model": "m1"}})
    with capture_logs() as logs:
        engines = build_engines(settings)
    try:
        assert type(engines.extractor).__name__ == "LLMFactExtractor"
        assert type(engines.reconciler).__name__ == "LLMMemoryReconciler"
        assert len(engines.closers) == 1
        selected = [entry for entry in logs if entry["event"] == "extractor.selected"]
        assert [(e["kind"], e["log_level"], e["model"]) for e in selected] == [("llm", "info", "m1")]
    finally:
        for close in engines.closers:
            await close()


def test_no_llm_selects_offline_quietly() -> None:
    with capture_logs() as logs:
        engines = build_engines(ExtractionSettings())
    assert type(engines.extractor).__name__ == "OfflineFactExtractor"
    assert type(engines.reconciler).__name__ == "OfflineMemoryReconciler"
    assert engines.closers == []
    selected = [entry for entry in logs if entry["event"] == "extractor.selected"]
    assert [(entry["kind"], entry["log_level"]) for entry in selected] == [("offline", "info")]
