"""libs/observability: settings from the environment, what start_telemetry builds, the OTLP/HTTP export (to a real
HTTP collector on 127.0.0.1), trace ids in log events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import create_async_engine

from cli.supervisor import child_env
from libs.logging import add_trace_id
from libs.observability.metrics import ServiceMetrics
from libs.observability.settings import MetricsSettings, TracingSettings
from libs.observability.telemetry import start_telemetry
from libs.observability.tracing import extract_metadata, inject_metadata, tracer_provider
from services.metadata.db_timing import statement_verb, time_statements
from services.vectorsearch.settings import VectorSearchSettings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMGRID_METRICS__PORT", "9464")
    monkeypatch.setenv("MEMGRID_TRACING__ENABLED", "true")
    monkeypatch.setenv("MEMGRID_TRACING__EXPORTER", "console")
    monkeypatch.setenv("MEMGRID_TRACING__SERVICE_NAME", "vectors-eu")
    settings = VectorSearchSettings()
    assert settings.metrics == MetricsSettings(enabled=True, port=9464)
    assert settings.tracing.enabled and settings.tracing.exporter == "console"
    assert settings.tracing.service_name == "vectors-eu"


def test_defaults_are_metrics_without_a_listener_and_no_tracing() -> None:
    started = start_telemetry("metadata", "127.0.0.1", MetricsSettings(), TracingSettings(), listen=True)
    assert started.telemetry.metrics is not None and started.telemetry.tracer is None
    assert started.metrics_port is None and started.extra_ports() == {}
    started.close()


def test_metrics_can_be_switched_off() -> None:
    started = start_telemetry(
        "metadata", "127.0.0.1", MetricsSettings(enabled=False, port=0), TracingSettings(), listen=True
    )
    assert started.telemetry.metrics is None and started.metrics_port is None
    with started.telemetry.step("db", "select"):
        pass  # records nothing, fails nothing
    started.close()


async def test_a_backend_listener_serves_its_registry_until_closed() -> None:
    started = start_telemetry("extraction", "127.0.0.1", MetricsSettings(port=0), TracingSettings(), listen=True)
    assert started.telemetry.metrics is not None
    with started.telemetry.step("llm", "extract_facts"):
        pass
    url = f"http://127.0.0.1:{started.metrics_port}/metrics"
    async with httpx.AsyncClient() as http:
        text = (await http.get(url)).text
        assert (
            'memgrid_dependency_duration_seconds_count{dependency="llm",operation="extract_facts",outcome="ok"} 1.0'
            in text
        )
        assert "process_resident_memory_bytes" in text
        started.close()
        with pytest.raises(httpx.ConnectError):
            await http.get(url)


def test_trace_context_round_trips_through_grpc_metadata() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("caller") as span:
        metadata: list[tuple[str, str]] = [("x-request-id", "r1")]
        inject_metadata(metadata)
    keys = [key for key, _ in metadata]
    assert keys[0] == "x-request-id" and "traceparent" in keys
    parent = extract_metadata(metadata)
    with tracer.start_as_current_span("callee", context=parent) as child:
        assert child.parent is not None and child.parent.span_id == span.get_span_context().span_id
        assert child.get_span_context().trace_id == span.get_span_context().trace_id
    assert not extract_metadata([("x-request-id", "r2")])  # no traceparent: an empty context


def test_log_events_get_the_trace_id_only_inside_a_span() -> None:
    assert "trace_id" not in add_trace_id(None, "info", {"event": "outside"})
    with TracerProvider().get_tracer("test").start_as_current_span("work") as span:
        event = add_trace_id(None, "info", {"event": "inside"})
    assert event["trace_id"] == f"{span.get_span_context().trace_id:032x}"


def test_statement_verbs_are_the_only_part_of_sql_kept() -> None:
    assert statement_verb("  SELECT memories.id FROM memories WHERE user_id = 'alice'") == "select"
    assert statement_verb("INSERT INTO memories VALUES (?)") == "insert"
    assert statement_verb("VACUUM") == "other"
    assert statement_verb("") == "other"


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """An HTTP server on 127.0.0.1 recording what is POSTed to it, like an OpenTelemetry Collector's OTLP port."""
    received: list[tuple[str, str, bytes]] = []
    handler = type("Collector", (_Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/traces", received
    finally:
        server.shutdown()
        server.server_close()


def test_spans_are_exported_over_otlp_http(collector: tuple[str, list[tuple[str, str, bytes]]]) -> None:
    endpoint, received = collector
    settings = TracingSettings(enabled=True, exporter="otlp", otlp_endpoint=endpoint)
    provider = tracer_provider(settings, "gateway")
    with provider.get_tracer("test").start_as_current_span("POST /v3/memories/add/"):
        pass
    provider.shutdown()  # flushes the batch
    assert received, "nothing was exported"
    path, content_type, body = received[0]
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    export = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = export.resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attributes["service.name"] == "memgrid-gateway"
    assert [span.name for scope in resource_spans.scope_spans for span in scope.spans] == ["POST /v3/memories/add/"]


def test_memgrid_up_gives_each_backend_its_own_metrics_port() -> None:
    env = {"MEMGRID_METRICS__PORT": "9464", "MEMGRID_DATA_DIR": "/tmp/x"}
    ports = {name: child_env(env, name)["MEMGRID_METRICS__PORT"] for name in ("metadata", "vectorsearch", "extraction")}
    assert ports == {"metadata": "9464", "vectorsearch": "9465", "extraction": "9466"}
    assert child_env(env, "gateway") is env
    assert child_env({"MEMGRID_METRICS__PORT": "0"}, "metadata") == {"MEMGRID_METRICS__PORT": "0"}
    assert "MEMGRID_METRICS__PORT" not in child_env({}, "metadata")


async def test_sql_statements_are_timed_with_their_outcome(tmp_path: Path) -> None:
    metrics = ServiceMetrics()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'timed.db'}")
    time_statements(engine, metrics)
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
            with pytest.raises(sa.exc.OperationalError):
                await connection.execute(sa.text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()

    def count(outcome: str) -> float | None:
        return metrics.registry.get_sample_value(
            "memgrid_dependency_duration_seconds_count", {"dependency": "db", "operation": "select", "outcome": outcome}
        )

    assert count("ok") == 1
    assert count("error") == 1
