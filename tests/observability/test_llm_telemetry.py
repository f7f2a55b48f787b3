"""The extraction service times and traces its LLM calls (against the scripted OpenAI-compatible server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from libs.errors import UpstreamUnavailable
from libs.observability.settings import MetricsSettings
from libs.rpc.client import call, open_channel
from libs.rpc.server import StartedService
from memgrid.common.v1 import common_pb2
from memgrid.extraction.v1 import extraction_service_pb2 as pb
from memgrid.extraction.v1 import extraction_service_pb2_grpc as pb_grpc
from services.extraction.server import start_service
from services.extraction.settings import ExtractionSettings
from tests.extraction.conftest import fast_llm_settings
from tests.support.scripted_llm import ScriptedLLM, json_reply, server_error

REQUEST = pb.ExtractFactsRequest(
    tenant=common_pb2.Tenant(org_id="acme", project_id="app1"),
    messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I love Italian food.")],
    scope=common_pb2.Scope(user_id="alex"),
)
FACTS = {"facts": [{"text": "Loves Italian food", "attributed_to": "user", "categories": ["food"]}]}


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def service(
    tmp_path_factory: pytest.TempPathFactory, spans: InMemorySpanExporter
) -> AsyncIterator[tuple[StartedService, ScriptedLLM]]:
    with ScriptedLLM() as llm:
        settings = ExtractionSettings(
            extraction_port=0,
            data_dir=tmp_path_factory.mktemp("llm-telemetry"),
            llm=fast_llm_settings(llm.base_url),
            metrics=MetricsSettings(port=0),
        )
        started = await start_service(settings, span_exporter=spans)
        try:
            yield started, llm
        finally:
            await started.stop(grace=0.5)


async def llm_calls(service: StartedService, outcome: str) -> float:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{service.extra_ports['metrics']}/metrics")
    assert response.status_code == 200
    labels = {"dependency": "llm", "operation": "extract_facts", "outcome": outcome}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "memgrid_dependency_duration_seconds_count" and sample.labels == labels:
                return sample.value
    return 0.0


async def test_an_llm_call_is_timed_and_traced(
    service: tuple[StartedService, ScriptedLLM], spans: InMemorySpanExporter
) -> None:
    started, llm = service
    llm.script(json_reply(FACTS))
    async with open_channel(f"127.0.0.1:{started.port}") as channel:
        response = await call(pb_grpc.ExtractionServiceStub(channel).ExtractFacts(REQUEST, timeout=5))
    assert [fact.text for fact in response.facts] == ["Loves Italian food"]
    assert await llm_calls(started, "ok") == 1
    assert await llm_calls(started, "error") == 0
    finished = {span.name: span for span in spans.get_finished_spans()}
    step = finished["llm.extract_facts"]
    server = finished["memgrid.extraction.v1.ExtractionService/ExtractFacts"]
    assert server.kind == SpanKind.SERVER
    assert step.parent is not None and step.parent.span_id == server.context.span_id
    assert step.status.is_ok


async def test_a_failed_llm_call_counts_as_an_error(
    service: tuple[StartedService, ScriptedLLM], spans: InMemorySpanExporter
) -> None:
    started, llm = service
    llm.script(server_error(), server_error(), server_error())
    async with open_channel(f"127.0.0.1:{started.port}") as channel:
        with pytest.raises(UpstreamUnavailable):
            await call(pb_grpc.ExtractionServiceStub(channel).ExtractFacts(REQUEST, timeout=5))
    assert await llm_calls(started, "error") == 1
    assert await llm_calls(started, "ok") == 0
    finished = {span.name: span for span in spans.get_finished_spans()}
    assert not finished["llm.extract_facts"].status.is_ok
    assert not finished["memgrid.extraction.v1.ExtractionService/ExtractFacts"].status.is_ok
