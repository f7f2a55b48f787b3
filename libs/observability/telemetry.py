"""Telemetry: the metrics and tracer of one service, handed to the parts that record them via constructors.

Each composition root calls start_telemetry(); a part given Telemetry() (both off) records nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import SpanKind, Tracer

from libs.observability.metrics import MetricsListener, ServiceMetrics, serve_metrics
from libs.observability.settings import MetricsSettings, TracingSettings
from libs.observability.tracing import tracer_provider

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Telemetry:
    """Where a service records: its metrics (None = off) and its tracer (None = tracing off)."""

    metrics: ServiceMetrics | None = None
    tracer: Tracer | None = None

    @contextlib.contextmanager
    def step(self, dependency: str, operation: str, **attributes: Any) -> Iterator[None]:
        """Time one call into a dependency ("llm", "embedder", "milvus", "db"): a span `<dependency>.<operation>`
        and an observation of memgrid_dependency_duration_seconds. `attributes` go on the span only."""
        if self.metrics is None and self.tracer is None:
            yield
            return
        span = (
            self.tracer.start_as_current_span(
                f"{dependency}.{operation}", kind=SpanKind.INTERNAL, attributes=attributes
            )
            if self.tracer is not None
            else contextlib.nullcontext()
        )
        started = time.perf_counter()
        outcome = "error"
        try:
            with span:
                yield
            outcome = "ok"
        finally:
            if self.metrics is not None:
                self.metrics.dependency_duration.labels(dependency, operation, outcome).observe(
                    time.perf_counter() - started
                )


@dataclass(slots=True)
class StartedTelemetry:
    """A service's telemetry plus what to close when it stops (flush spans, stop the metrics listener)."""

    telemetry: Telemetry
    metrics_port: int | None = None
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            close()

    def extra_ports(self) -> dict[str, int]:
        """For StartedService.extra_ports: {"metrics": port} when a metrics listener runs."""
        return {} if self.metrics_port is None else {"metrics": self.metrics_port}


def start_telemetry(
    service: str,
    host: str,
    metrics: MetricsSettings,
    tracing: TracingSettings,
    *,
    listen: bool,
    span_exporter: SpanExporter | None = None,
) -> StartedTelemetry:
    """Build `service`'s registry and tracer provider as configured. With `listen` (backends) and a metrics
    port set, serve the registry on host:port. `span_exporter` turns tracing on with that exporter (tests)."""
    started = StartedTelemetry(Telemetry())
    service_metrics = ServiceMetrics() if metrics.enabled else None
    if service_metrics is not None and listen and metrics.port is not None:
        listener: MetricsListener = serve_metrics(service_metrics, host, metrics.port)
        started.metrics_port = listener.port
        started.closers.append(listener.close)
        log.info("metrics.started", host=host, port=listener.port)
    tracer = None
    if tracing.enabled or span_exporter is not None:
        provider = tracer_provider(tracing, service, span_exporter)
        tracer = provider.get_tracer(f"memgrid.{service}")
        started.closers.append(provider.shutdown)
        log.info("tracing.enabled", exporter="given" if span_exporter else tracing.exporter)
    started.telemetry = Telemetry(metrics=service_metrics, tracer=tracer)
    return started
