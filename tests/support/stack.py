"""The whole memgrid stack in one process, for tests and benchmarks.

Each service is started with the same start_service() its `python -m` entry point uses, on loopback port 0,
with real SQLite (or PostgreSQL, given its `database_url`), real Milvus Lite and the real MiniLM embedder.
(`memgrid up` runs the same services as separate processes.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from opentelemetry.sdk.trace.export import SpanExporter

from gateway.jobs import JobSettings
from gateway.server import start_service as start_gateway
from gateway.settings import GatewaySettings
from gateway.webhooks import WebhookSettings
from libs.config import TlsSettings
from libs.observability.settings import MetricsSettings, TracingSettings
from libs.rpc.server import StartedService
from services.extraction.server import start_service as start_extraction
from services.extraction.settings import ExtractionSettings
from services.metadata.server import start_service as start_metadata
from services.metadata.settings import MetadataSettings
from services.vectorsearch.server import start_service as start_vectorsearch
from services.vectorsearch.settings import EmbedderKind, VectorSearchSettings


@dataclass(frozen=True, slots=True)
class InProcessStack:
    rest_url: str
    grpc_target: str
    metadata_target: str
    vectorsearch_target: str
    extraction_target: str
    vector_settings: VectorSearchSettings
    services: tuple[StartedService, ...]
    # The backends' Prometheus endpoints by service name (those whose metrics listener runs); the gateway's
    # metrics are at rest_url + "/metrics".
    metrics_urls: dict[str, str] = field(default_factory=dict)

    async def stop(self) -> None:
        """Gateway first, then the services it calls."""
        for service in self.services:
            await service.stop(grace=1.0)


async def start_stack(
    data_dir: Path,
    api_keys: str,
    *,
    extraction_settings: ExtractionSettings | None = None,
    embedder: EmbedderKind | None = None,
    server_tls: TlsSettings | None = None,
    client_tls: TlsSettings | None = None,
    database_url: str | None = None,
    vector_settings: VectorSearchSettings | None = None,
    webhook_settings: WebhookSettings | None = None,
    span_exporter: SpanExporter | None = None,
    metrics: MetricsSettings | None = None,
    tracing: TracingSettings | None = None,
    jobs: JobSettings | None = None,
    vector_sync_seconds: float | None = None,
) -> InProcessStack:
    """Start metadata (with the bootstrap `api_keys`, "key=org/project,..."), vectorsearch, extraction, gateway.

    `extraction_settings` replaces the extraction service's default settings (offline rules on port 0), e.g. to
    point it at an LLM; it should bind port 0. `embedder` is vectorsearch's (None: the service's own setting,
    MEMGRID_EMBEDDER or its default, as in production; `make eval` compares embedders that way); "hashing" swaps
    MiniLM for the deterministic test embedder (the fuzzers use it: they test input handling, not search quality).
    `server_tls` / `client_tls` turn on mutual TLS between the gateway (client) and the three internal services
    (servers).
    `database_url` is the metadata database (MEMGRID_DATABASE_URL); None means the SQLite file in `data_dir`.
    `vector_settings` replaces vectorsearch's settings (e.g. a Milvus server). `webhook_settings` replaces the
    gateway's webhook dispatcher settings (tests use a tiny backoff). `jobs` replaces the gateway's job worker
    settings (asynchronous adds). `vector_sync_seconds` is the gateway's vector-sync reconciler's interval and
    minimum entry age (default 30 s each). `metrics` and `tracing` are the settings of the services built here; by
    default the backends serve their metrics on a free port each (`metrics_urls`). `span_exporter` turns tracing
    on in all four services, every span going to it."""
    observability = {"metrics": metrics or MetricsSettings(port=0), "tracing": tracing or TracingSettings()}
    internal = {**observability, **({"internal_tls": server_tls} if server_tls else {})}
    metadata = await start_metadata(
        MetadataSettings(
            data_dir=data_dir,
            metadata_port=0,
            api_keys=api_keys,
            database_url=database_url,
            **internal,
        ),
        span_exporter=span_exporter,
    )
    vector_settings = vector_settings or VectorSearchSettings(
        data_dir=data_dir, vectorsearch_port=0, **({"embedder": embedder} if embedder else {}), **internal
    )
    vectors = await start_vectorsearch(vector_settings, span_exporter=span_exporter)
    extraction = await start_extraction(
        extraction_settings or ExtractionSettings(data_dir=data_dir, extraction_port=0, **internal),
        span_exporter=span_exporter,
    )
    gateway = await start_gateway(
        GatewaySettings(
            data_dir=data_dir,
            grpc_port=0,
            http_port=0,
            metadata_addr=f"127.0.0.1:{metadata.port}",
            vectorsearch_addr=f"127.0.0.1:{vectors.port}",
            extraction_addr=f"127.0.0.1:{extraction.port}",
            **observability,
            **({"internal_tls": client_tls} if client_tls else {}),
            **({"webhooks": webhook_settings} if webhook_settings else {}),
            **({"jobs": jobs} if jobs else {}),
            **(
                {
                    "vector_sync_interval_seconds": vector_sync_seconds,
                    "vector_sync_min_age_seconds": vector_sync_seconds,
                }
                if vector_sync_seconds is not None
                else {}
            ),
        ),
        span_exporter=span_exporter,
    )
    backends = {"metadata": metadata, "vectorsearch": vectors, "extraction": extraction}
    return InProcessStack(
        rest_url=f"http://127.0.0.1:{gateway.extra_ports['http']}",
        grpc_target=f"127.0.0.1:{gateway.port}",
        metadata_target=f"127.0.0.1:{metadata.port}",
        vectorsearch_target=f"127.0.0.1:{vectors.port}",
        extraction_target=f"127.0.0.1:{extraction.port}",
        vector_settings=vector_settings,
        services=(gateway, extraction, vectors, metadata),
        metrics_urls={
            name: f"http://127.0.0.1:{service.extra_ports['metrics']}/metrics"
            for name, service in backends.items()
            if "metrics" in service.extra_ports
        },
    )
