"""Metrics and traces of the whole stack: Prometheus endpoints on every service, one trace across the gRPC hops.

The four services run in this process on loopback port 0, each with its own registry and tracer provider; all
four tracer providers export to one in-memory exporter so the test can see the whole trace.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.support.stack import InProcessStack, start_stack

# Distinctive names: none of them may appear in any metrics exposition.
ORG, PROJECT = "obsorg7q", "obsproj7q"
API_KEY = f"obs-secret-key-{uuid.uuid4().hex}"
MEMORY_SERVICE = "/memgrid.memory.v1.MemoryService"
EXTRACT = "/memgrid.extraction.v1.ExtractionService/ExtractFacts"
SEARCH_VECTORS = "/memgrid.vectorsearch.v1.VectorSearchService/SearchVectors"
UPSERT_VECTORS = "/memgrid.vectorsearch.v1.VectorSearchService/UpsertVectors"
CREATE_MEMORIES = "/memgrid.metadata.v1.MetadataService/CreateMemories"
SERVICES = ("gateway", "metadata", "vectorsearch", "extraction")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass(frozen=True, slots=True)
class Observed:
    stack: InProcessStack
    spans: InMemorySpanExporter


@pytest.fixture(scope="module")
async def observed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Observed]:
    exporter = InMemorySpanExporter()
    stack = await start_stack(
        tmp_path_factory.mktemp("observed"),
        f"{API_KEY}={ORG}/{PROJECT}",
        embedder="hashing",
        span_exporter=exporter,
    )
    try:
        yield Observed(stack, exporter)
    finally:
        await stack.stop()


def metrics_urls(stack: InProcessStack) -> dict[str, str]:
    return {"gateway": f"{stack.rest_url}/metrics", **stack.metrics_urls}


async def scrape_text(stack: InProcessStack) -> dict[str, str]:
    texts = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for service, url in metrics_urls(stack).items():
            response = await http.get(url)
            assert response.status_code == 200, (service, response.text)
            assert response.headers["content-type"].startswith("text/plain"), service
            texts[service] = response.text
    return texts


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(stack: InProcessStack) -> dict[str, Samples]:
    return {service: parse(text) for service, text in (await scrape_text(stack)).items()}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def rest_traffic(stack: InProcessStack, user: str) -> None:
    async with httpx.AsyncClient(base_url=stack.rest_url, headers={"Authorization": f"Token {API_KEY}"}) as http:
        added = await http.post(
            "/v3/memories/add/", json={"messages": "I'm a vegetarian and I love hiking.", "user_id": user}
        )
        assert added.status_code == 200, added.text
        found = await http.post("/v2/memories/search/", json={"query": "food", "filters": {"user_id": user}})
        assert found.status_code == 200, found.text
        missing = await http.get(f"/v1/memories/{uuid.uuid4()}/")
        assert missing.status_code == 404
        unknown = await http.get(f"/no-such-route-{user}/")
        assert unknown.status_code == 404


async def grpc_traffic(stack: InProcessStack, user: str) -> None:
    auth = [("authorization", f"Token {API_KEY}")]
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        await stub.AddMemories(
            pb2.AddMemoriesRequest(
                messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="My dog is called Rex.")],
                scope=common_pb2.Scope(user_id=user),
            ),
            metadata=auth,
        )
        only_user = common_pb2.Filter(
            condition=common_pb2.FieldCondition(
                field="user_id", op=common_pb2.FILTER_OPERATOR_EQ, value=struct_pb2.Value(string_value=user)
            )
        )
        found = await stub.SearchMemories(
            pb2.SearchMemoriesRequest(query="pets", top_k=3, filter=only_user), metadata=auth
        )
        assert found.results
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.SearchMemories(pb2.SearchMemoriesRequest(query="pets", top_k=3), metadata=auth)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_every_service_serves_its_metrics_and_they_move_with_traffic(observed: Observed) -> None:
    stack = observed.stack
    assert set(metrics_urls(stack)) == set(SERVICES)
    before = await scrape(stack)
    user = f"obs-user-{uuid.uuid4().hex[:8]}"
    await rest_traffic(stack, user)
    await grpc_traffic(stack, user)
    after = await scrape(stack)

    gateway = (before["gateway"], after["gateway"])
    for route in ("/v3/memories/add/", "/v2/memories/search/"):
        assert moved(*gateway, "memgrid_http_request_duration_seconds_count", method="POST", route=route) >= 1
        assert moved(*gateway, "memgrid_http_requests_total", method="POST", route=route, status="200") >= 1
    assert moved(*gateway, "memgrid_http_requests_total", method="GET", route="/v1/memories/{memory_id}/", status="404")
    assert moved(*gateway, "memgrid_http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    for rpc in ("AddMemories", "SearchMemories"):
        assert moved(*gateway, "memgrid_rpc_server_duration_seconds_count", method=f"{MEMORY_SERVICE}/{rpc}") >= 1
    search = f"{MEMORY_SERVICE}/SearchMemories"
    assert moved(*gateway, "memgrid_rpc_server_handled_total", method=search, code="OK") >= 1
    assert moved(*gateway, "memgrid_rpc_server_handled_total", method=search, code="INVALID_ARGUMENT") >= 1
    assert moved(*gateway, "memgrid_rpc_client_duration_seconds_count", method=EXTRACT, code="OK") >= 2

    expected_rpcs = {
        "extraction": [EXTRACT],
        "vectorsearch": [SEARCH_VECTORS, UPSERT_VECTORS],
        "metadata": [CREATE_MEMORIES],
    }
    for service, methods in expected_rpcs.items():
        for method in methods:
            seen = moved(before[service], after[service], "memgrid_rpc_server_duration_seconds_count", method=method)
            assert seen >= 2, (service, method)  # one REST add and one gRPC add
            assert moved(before[service], after[service], "memgrid_rpc_server_handled_total", method=method, code="OK")

    vectors = (before["vectorsearch"], after["vectorsearch"])
    for dependency, operation in (("embedder", "embed"), ("milvus", "search"), ("milvus", "upsert")):
        count = "memgrid_dependency_duration_seconds_count"
        assert moved(*vectors, count, dependency=dependency, operation=operation, outcome="ok") >= 1, operation
    metadata = (before["metadata"], after["metadata"])
    for verb in ("select", "insert"):
        count = "memgrid_dependency_duration_seconds_count"
        assert moved(*metadata, count, dependency="db", operation=verb, outcome="ok") >= 1, verb


async def test_metrics_are_not_part_of_the_api_document(observed: Observed) -> None:
    async with httpx.AsyncClient(base_url=observed.stack.rest_url) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert "/v3/memories/add/" in paths and "/metrics" not in paths
        # No key needed: scrapers have none.
        assert (await http.get("/metrics")).status_code == 200


async def test_metrics_carry_no_tenant_data(observed: Observed) -> None:
    user = f"obs-user-{uuid.uuid4().hex[:8]}"
    await rest_traffic(observed.stack, user)
    await grpc_traffic(observed.stack, user)
    for service, text in (await scrape_text(observed.stack)).items():
        for secret in (API_KEY, ORG, PROJECT, user, "vegetarian", "Rex"):
            assert secret not in text, (service, secret)


async def test_the_vector_sync_backlog_is_a_gauge(observed: Observed) -> None:
    samples = (await scrape(observed.stack))["gateway"]
    # The reconciler's start-up pass ran (nothing was overdue in a fresh stack).
    assert ("memgrid_queue_depth", frozenset({("queue", "vector_sync_overdue")})) in samples


async def wait_for_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    """The REST span ends just after the response is sent, so it may land a moment after the client has it."""
    for _ in range(500):
        for span in exporter.get_finished_spans():
            if span.name == name:
                return span
        await asyncio.sleep(0.01)
    raise AssertionError(f"no span {name!r}")


def service_of(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"])


def parent_of(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> ReadableSpan:
    assert span.parent is not None, span.name
    parents = [s for s in spans if s.context.span_id == span.parent.span_id]
    assert len(parents) == 1, span.name
    return parents[0]


async def test_one_add_is_one_trace_across_every_service(observed: Observed) -> None:
    exporter = observed.spans
    exporter.clear()
    traceparent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    async with httpx.AsyncClient(base_url=observed.stack.rest_url) as http:
        response = await http.post(
            "/v3/memories/add/",
            # Synchronous: a queued add runs later in a job worker, outside the request's trace.
            json={
                "messages": "I'm allergic to peanuts and I live in Lisbon.",
                "user_id": "trace-user",
                "infer": True,
                "async_mode": False,
            },
            headers={"Authorization": f"Token {API_KEY}", "traceparent": traceparent},
        )
    assert response.status_code == 200, response.text
    root = await wait_for_span(exporter, "POST /v3/memories/add/")
    assert root.kind == SpanKind.SERVER and service_of(root) == "memgrid-gateway"
    # The REST span continues the caller's trace.
    assert f"{root.context.trace_id:032x}" == traceparent.split("-")[1]
    assert f"{root.parent.span_id:016x}" == traceparent.split("-")[2]

    trace = [s for s in exporter.get_finished_spans() if s.context.trace_id == root.context.trace_id]
    assert {service_of(s) for s in trace} == {f"memgrid-{name}" for name in SERVICES}
    backend_servers = [s for s in trace if s.kind == SpanKind.SERVER and s is not root]
    methods = {s.attributes["rpc.method"] for s in backend_servers}
    assert {EXTRACT, SEARCH_VECTORS, UPSERT_VECTORS, CREATE_MEMORIES} <= methods, methods
    for server in backend_servers:
        # Each hop's server span is the child of the gateway's client span for the same call...
        client = parent_of(server, trace)
        assert client.kind == SpanKind.CLIENT and service_of(client) == "memgrid-gateway"
        assert client.name == server.name and service_of(server) != "memgrid-gateway"
        # ...which belongs to the REST request.
        ancestor = client
        while ancestor is not root:
            ancestor = parent_of(ancestor, trace)
        assert server.status.is_ok and server.attributes["rpc.grpc.status_code"] == "OK"

    steps = {s.name: s for s in trace if s.kind == SpanKind.INTERNAL}
    for name in ("embedder.embed", "milvus.search", "milvus.upsert"):
        step = steps[name]
        assert service_of(step) == "memgrid-vectorsearch"
        assert parent_of(step, trace).kind == SpanKind.SERVER


async def test_metrics_listeners_close_with_their_services(tmp_path: Path) -> None:
    stack = await start_stack(tmp_path, "k-close=o/p", embedder="hashing")
    urls = list(stack.metrics_urls.values())
    assert len(urls) == 3
    await stack.stop()
    async with httpx.AsyncClient(timeout=2) as http:
        for url in urls:
            with pytest.raises(httpx.ConnectError):
                await http.get(url)


async def test_a_streaming_call_is_one_server_span_with_its_hops_inside(observed: Observed) -> None:
    auth = [("authorization", f"Token {API_KEY}")]
    async with grpc.aio.insecure_channel(observed.stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        added = await stub.AddMemories(
            pb2.AddMemoriesRequest(
                messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I play the cello.")],
                scope=common_pb2.Scope(user_id="stream-user"),
            ),
            metadata=auth,
        )
        observed.spans.clear()
        states = [
            item.event.status
            async for item in stub.WatchEvent(pb2.WatchEventRequest(event_id=added.event_id), metadata=auth)
        ]
    assert states and states[-1] == common_pb2.EVENT_STATUS_SUCCEEDED
    watch = await wait_for_span(observed.spans, "memgrid.memory.v1.MemoryService/WatchEvent")
    assert watch.kind == SpanKind.SERVER and watch.status.is_ok
    spans = observed.spans.get_finished_spans()
    hops = [s for s in spans if s.parent is not None and s.parent.span_id == watch.context.span_id]
    assert hops and all(s.kind == SpanKind.CLIENT for s in hops)
    assert all(s.context.trace_id == watch.context.trace_id for s in hops)
