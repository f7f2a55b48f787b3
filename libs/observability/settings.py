"""Metrics and tracing settings, shared by every service (MEMGRID_METRICS__*, MEMGRID_TRACING__*)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class MetricsSettings(BaseModel):
    """Prometheus metrics. The gateway serves them at GET /metrics on its REST port; the backends (metadata,
    vectorsearch, extraction) speak only gRPC, so they serve them on a small HTTP port of their own."""

    # Collect metrics at all (off: no registry, the gateway's /metrics answers 404, backends serve nothing).
    enabled: bool = True
    # Backends only: the port of their metrics HTTP listener (bound to the service's `host`); None = no
    # listener, 0 = any free port (tests). Containers use 9464. `memgrid up` gives each backend its own port.
    port: int | None = Field(None, ge=0, le=65535)


class TracingSettings(BaseModel):
    """OpenTelemetry tracing across the gRPC hops (W3C traceparent in gRPC metadata). Off by default."""

    enabled: bool = False
    # Where finished spans go: "otlp" = OTLP over HTTP (protobuf) to otlp_endpoint, "console" = stdout
    # (debugging), "none" = spans are made (trace ids reach the logs) but not exported.
    exporter: Literal["otlp", "console", "none"] = "otlp"
    # OTLP/HTTP traces endpoint (an OpenTelemetry Collector, Jaeger, Tempo, ...).
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    # The `service.name` resource attribute; None = "memgrid-<service>".
    service_name: str | None = None
    # Share of new traces recorded (a caller's sampled flag in traceparent is followed either way).
    sample_ratio: float = Field(1.0, ge=0.0, le=1.0)
