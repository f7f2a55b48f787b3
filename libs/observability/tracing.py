"""OpenTelemetry tracing: one TracerProvider per service (made in its composition root, never the global one),
and W3C trace-context propagation through gRPC metadata and HTTP headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from libs.observability.settings import TracingSettings

_PROPAGATOR = TraceContextTextMapPropagator()


def tracer_provider(settings: TracingSettings, service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """A provider for `service` exporting as `settings` say; `exporter` (tests: an in-memory one) replaces the
    configured exporter and is fed synchronously, so finished spans are there at once."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name or f"memgrid-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif settings.exporter == "otlp":
        # Imported here: only a service that exports OTLP pays for the exporter's imports.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    return provider


def inject_metadata(metadata: list[tuple[str, str]]) -> None:
    """Append the current span's `traceparent` (and `tracestate`) to outgoing gRPC metadata."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    metadata.extend(carrier.items())


def extract_metadata(metadata: Iterable[tuple[str, Any]] | None) -> otel_context.Context:
    """The caller's trace context from incoming gRPC metadata (an empty context when there is none)."""
    carrier = {key: value for key, value in metadata or () if isinstance(value, str)}
    return _PROPAGATOR.extract(carrier)


def extract_headers(headers: Mapping[str, str]) -> otel_context.Context:
    """The caller's trace context from HTTP headers (an empty context when there is none)."""
    return _PROPAGATOR.extract(headers)
