"""Component tests: the extraction service configured with an LLM endpoint (the scripted OpenAI-compatible
server on 127.0.0.1), called through the generated stub over a real channel."""

from __future__ import annotations

import socket

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from libs.errors import LLMOutputInvalid, UpstreamTimeout, UpstreamUnavailable
from libs.rpc.client import call, open_channel
from libs.rpc.status import from_rpc_error
from memgrid.common.v1 import common_pb2
from memgrid.extraction.v1 import extraction_service_pb2 as pb
from memgrid.extraction.v1 import extraction_service_pb2_grpc as pb_grpc
from services.extraction.server import start_service
from services.extraction.settings import ExtractionSettings
from tests.extraction.conftest import fast_llm_settings
from tests.support.scripted_llm import ScriptedLLM, Stall, garbage, json_reply, rate_limited, server_error

TENANT = common_pb2.Tenant(org_id="acme", project_id="app1")
TIMEOUT = 5.0
USER = common_pb2.ROLE_USER
ASSISTANT = common_pb2.ROLE_ASSISTANT


def _message(role: int, text: str) -> common_pb2.Message:
    return common_pb2.Message(role=role, content=text)


def _extract_request(scope: common_pb2.Scope | None = None, **options: object) -> pb.ExtractFactsRequest:
    return pb.ExtractFactsRequest(
        tenant=TENANT,
        messages=[
            _message(common_pb2.ROLE_SYSTEM, "You are a food assistant."),
            _message(USER, "I love Italian food."),
            _message(ASSISTANT, "Great! What about Indian food?"),
            _message(USER, "Don't like it much since I cannot eat spicy food."),
        ],
        scope=scope or common_pb2.Scope(user_id="alex"),
        **options,
    )


FACTS = {
    "facts": [
        {"text": "Loves Italian food", "attributed_to": "user", "categories": ["food"]},
        {
            "text": "Doesn't like Indian food since cannot eat spicy food",
            "attributed_to": "user",
            "categories": ["food", "user_preferences"],
        },
    ]
}


async def _failure(pending: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await pending
    return raised.value


def _error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info
    raise AssertionError("no ErrorInfo in the trailing metadata")


# --- ExtractFacts ---------------------------------------------------------------------------------


async def test_extract_facts_asks_the_llm_and_returns_its_facts(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(json_reply(FACTS))
    response = await call(llm_extraction_stub.ExtractFacts(_extract_request(), timeout=TIMEOUT))
    assert [(f.text, f.attributed_to, list(f.categories)) for f in response.facts] == [
        ("Loves Italian food", USER, ["food"]),
        ("Doesn't like Indian food since cannot eat spicy food", USER, ["food", "user_preferences"]),
    ]
    [request] = llm.chat_requests
    assert "belong to the USER" in request.system_prompt
    conversation = request.user_json()["conversation"]
    assert [m["role"] for m in conversation] == ["system", "user", "assistant", "user"]
    assert conversation[2]["content"] == "Great! What about Indian food?"


async def test_extract_facts_passes_options_into_the_prompt(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(json_reply({"facts": [{"text": "Loves Italian food", "attributed_to": "user", "categories": ["x"]}]}))
    request = _extract_request(
        custom_categories={"cuisine": "cuisines they like or avoid"},
        custom_instructions="Only keep cuisines.",
        includes="cuisines",
        excludes="spice levels",
    )
    response = await call(llm_extraction_stub.ExtractFacts(request, timeout=TIMEOUT))
    assert [list(f.categories) for f in response.facts] == [[]]
    system = llm.chat_requests[0].system_prompt
    assert "- cuisine: cuisines they like or avoid" in system and "- food:" not in system
    assert "Only keep cuisines." in system
    assert "Only extract information about: cuisines." in system
    assert "Never extract information about: spice levels." in system


async def test_agent_scope_keeps_only_assistant_facts(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(
        json_reply(
            {
                "facts": [
                    {"text": "Is a food assistant", "attributed_to": "assistant", "categories": ["food"]},
                    {"text": "Loves Italian food", "attributed_to": "user", "categories": ["food"]},
                ]
            }
        )
    )
    request = _extract_request(common_pb2.Scope(agent_id="chef"))
    response = await call(llm_extraction_stub.ExtractFacts(request, timeout=TIMEOUT))
    assert [(f.text, f.attributed_to) for f in response.facts] == [("Is a food assistant", ASSISTANT)]
    assert "belong to the AGENT" in llm.chat_requests[0].system_prompt


async def test_no_message_that_counts_means_no_call(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    request = pb.ExtractFactsRequest(
        tenant=TENANT,
        messages=[_message(common_pb2.ROLE_SYSTEM, "Be nice."), _message(ASSISTANT, "I'm a travel bot.")],
        scope=common_pb2.Scope(user_id="alex"),
    )
    response = await call(llm_extraction_stub.ExtractFacts(request, timeout=TIMEOUT))
    assert list(response.facts) == []
    assert llm.chat_requests == []


async def test_rate_limits_and_server_errors_are_retried(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(rate_limited(0.05), server_error(500), json_reply(FACTS))
    response = await call(llm_extraction_stub.ExtractFacts(_extract_request(), timeout=TIMEOUT))
    assert len(response.facts) == 2
    assert len(llm.chat_requests) == 3


async def test_an_llm_slower_than_its_timeout_is_upstream_timeout(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(Stall(5), Stall(5), Stall(5))
    error = await _failure(llm_extraction_stub.ExtractFacts(_extract_request(), timeout=TIMEOUT))
    assert error.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert _error_info(error).reason == "UPSTREAM_TIMEOUT"
    assert "did not answer in time after 3 attempts" in error.details()
    assert len(llm.chat_requests) == 3


async def test_the_callers_deadline_bounds_the_llm_call(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(Stall(5), Stall(5), Stall(5))
    error = await _failure(llm_extraction_stub.ExtractFacts(_extract_request(), timeout=0.25))
    assert error.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert isinstance(from_rpc_error(error), UpstreamTimeout)
    assert len(llm.chat_requests) == 1  # the retry could not fit in the caller's deadline


async def test_garbage_twice_is_internal_with_reason_llm_output_invalid(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(garbage(), garbage("still not JSON"))
    error = await _failure(llm_extraction_stub.ExtractFacts(_extract_request(), timeout=TIMEOUT))
    assert error.code() is grpc.StatusCode.INTERNAL
    info = _error_info(error)
    assert (info.reason, info.domain) == ("LLM_OUTPUT_INVALID", "memgrid")
    assert "extract_facts: the model's output was invalid twice" in error.details()
    typed = from_rpc_error(error)
    assert isinstance(typed, LLMOutputInvalid) and typed.http_status == 502
    assert len(llm.chat_requests) == 2


async def test_one_repair_succeeding_returns_the_facts(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(json_reply({"facts": [{"text": "Loves Italian food", "attributed_to": "me"}]}), json_reply(FACTS))
    response = await call(llm_extraction_stub.ExtractFacts(_extract_request(), timeout=TIMEOUT))
    assert [f.text for f in response.facts] == [f["text"] for f in FACTS["facts"]]
    repair = llm.chat_requests[1]
    assert '"facts[0].attributed_to" must be one of "user", "assistant"' in repair.user_prompt


async def test_an_unreachable_llm_is_unavailable(tmp_path_factory: pytest.TempPathFactory) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ExtractionSettings(
        extraction_port=0,
        data_dir=tmp_path_factory.mktemp("extraction-down"),
        llm=fast_llm_settings(f"http://127.0.0.1:{port}/v1"),
    )
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        stub = pb_grpc.ExtractionServiceStub(channel)
        error = await _failure(stub.ExtractFacts(_extract_request(), timeout=TIMEOUT))
        assert error.code() is grpc.StatusCode.UNAVAILABLE
        assert _error_info(error).reason == "UPSTREAM_UNAVAILABLE"
        assert isinstance(from_rpc_error(error), UpstreamUnavailable)
        assert "unreachable after 3 attempts" in error.details()
    finally:
        await channel.close()
        await service.stop(grace=0.1)


# --- ReconcileMemories ----------------------------------------------------------------------------


def _reconcile_request() -> pb.ReconcileMemoriesRequest:
    return pb.ReconcileMemoriesRequest(
        tenant=TENANT,
        facts=[
            pb.Fact(text="Is a vegetarian", attributed_to=USER, categories=["food"]),
            pb.Fact(text="Lives in Berlin", attributed_to=USER, categories=["personal_details"]),
        ],
        candidates=[
            pb.Candidate(memory_id="7d9f-chicken", text="Loves chicken", score=0.71, fact_index=0, immutable=False),
            pb.Candidate(memory_id="3a1e-nuts", text="Is allergic to nuts", score=0.4, fact_index=0, immutable=True),
            pb.Candidate(memory_id="c0de-city", text="Lives in Munich", score=0.8, fact_index=1),
        ],
    )


async def test_reconcile_maps_small_ids_back_to_memory_ids(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(
        json_reply(
            {
                "actions": [
                    {"fact": 0, "event": "UPDATE", "id": "0", "text": "Is a vegetarian"},
                    {"fact": 1, "event": "UPDATE", "id": "2", "text": "Lives in Berlin"},
                ]
            }
        )
    )
    response = await call(llm_extraction_stub.ReconcileMemories(_reconcile_request(), timeout=TIMEOUT))
    assert [(a.event, a.memory_id, a.text, a.fact_index) for a in response.actions] == [
        (common_pb2.MEMORY_EVENT_UPDATE, "7d9f-chicken", "Is a vegetarian", 0),
        (common_pb2.MEMORY_EVENT_UPDATE, "c0de-city", "Lives in Berlin", 1),
    ]
    shown = llm.chat_requests[0].user_json()["existing_memories"]
    assert shown == [
        {"id": "0", "text": "Loves chicken"},
        {"id": "1", "text": "Is allergic to nuts", "immutable": True},
        {"id": "2", "text": "Lives in Munich"},
    ]


async def test_reconcile_never_changes_an_immutable_memory(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    llm.script(
        json_reply(
            {
                "actions": [
                    {"fact": 0, "event": "UPDATE", "id": "1", "text": "Is a vegetarian with a nut allergy"},
                    {"fact": 1, "event": "NONE", "id": "2"},
                ]
            }
        )
    )
    response = await call(llm_extraction_stub.ReconcileMemories(_reconcile_request(), timeout=TIMEOUT))
    assert [(a.event, a.memory_id, a.text) for a in response.actions] == [
        (common_pb2.MEMORY_EVENT_ADD, "", "Is a vegetarian"),
        (common_pb2.MEMORY_EVENT_NONE, "c0de-city", "Lives in Munich"),
    ]


async def test_reconcile_with_an_unknown_id_twice_is_llm_output_invalid(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    bad = {"actions": [{"fact": 0, "event": "DELETE", "id": "9"}, {"fact": 1, "event": "ADD"}]}
    llm.script(json_reply(bad), json_reply(bad))
    error = await _failure(llm_extraction_stub.ReconcileMemories(_reconcile_request(), timeout=TIMEOUT))
    assert error.code() is grpc.StatusCode.INTERNAL
    assert _error_info(error).reason == "LLM_OUTPUT_INVALID"
    assert '"actions[0].id" is "9", which is not one of the existing memory ids (0, 1, 2)' in error.details()


async def test_reconcile_without_candidates_makes_no_call(
    llm: ScriptedLLM, llm_extraction_stub: pb_grpc.ExtractionServiceStub
) -> None:
    request = pb.ReconcileMemoriesRequest(
        tenant=TENANT,
        facts=[
            pb.Fact(text="Plays chess", attributed_to=USER),
            pb.Fact(text="Sushi", attributed_to=USER, categories=["food"], forget=True),
        ],
    )
    response = await call(llm_extraction_stub.ReconcileMemories(request, timeout=TIMEOUT))
    assert [(a.event, a.text, a.fact_index) for a in response.actions] == [
        (common_pb2.MEMORY_EVENT_ADD, "Plays chess", 0)
    ]
    assert llm.chat_requests == []
