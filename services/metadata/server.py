"""Composition root of the metadata service: engine → migrations → store → servicer → gRPC server."""

from __future__ import annotations

import structlog
from opentelemetry.sdk.trace.export import SpanExporter

from libs.observability.telemetry import start_telemetry
from libs.rpc.server import ServiceBinding, StartedService, create_server, serve_until_signalled
from memgrid.metadata.v1 import metadata_service_pb2, metadata_service_pb2_grpc
from services.metadata.database import create_engine, require_head, run_migrations
from services.metadata.db_timing import time_statements
from services.metadata.request_guard import RequestGuardInterceptor
from services.metadata.retention import Retention
from services.metadata.servicer import MetadataServicer
from services.metadata.settings import MetadataSettings
from services.metadata.store import SqlMetadataStore, utc_now

log = structlog.get_logger()

SERVICE_NAME = metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"].full_name
BOOTSTRAP_KEY_NAME = "bootstrap"


async def start_service(settings: MetadataSettings, *, span_exporter: SpanExporter | None = None) -> StartedService:
    """Migrate the database to head (or check it is there), upsert the bootstrap keys, then serve on
    host:metadata_port. `span_exporter` (tests) receives the spans, tracing settings aside."""
    bootstrap = settings.bootstrap_keys()
    observed = start_telemetry(
        "metadata", settings.host, settings.metrics, settings.tracing, listen=True, span_exporter=span_exporter
    )
    engine = create_engine(settings.resolved_database_url())
    try:
        if observed.telemetry.metrics is not None:
            time_statements(engine, observed.telemetry.metrics)
        if settings.auto_migrate:
            await run_migrations(engine)
        else:
            await require_head(engine)
        store = SqlMetadataStore(engine)
        for key in bootstrap:
            await store.create_api_key(key.tenant, BOOTSTRAP_KEY_NAME, key.api_key)
        if bootstrap:
            log.info("api_keys.bootstrapped", count=len(bootstrap))
        binding = ServiceBinding(
            servicer=MetadataServicer(store),
            register=metadata_service_pb2_grpc.add_MetadataServiceServicer_to_server,
            full_name=SERVICE_NAME,
        )
        running = await create_server(
            settings.host,
            settings.metadata_port,
            [binding],
            settings.internal_tls,
            interceptors=[RequestGuardInterceptor()],
            telemetry=observed.telemetry,
        )
    except BaseException:
        await engine.dispose()
        observed.close()
        raise
    closers = [observed.close, engine.dispose]
    if settings.event_retention_days > 0:
        retention = Retention(
            store,
            days=settings.event_retention_days,
            interval_seconds=settings.retention_interval_seconds,
            clock=utc_now,
        )
        retention.start()
        closers.append(retention.close)
    return StartedService(running=running, closers=closers, extra_ports=observed.extra_ports())


async def serve(settings: MetadataSettings) -> None:
    service = await start_service(settings)
    await serve_until_signalled(service, settings.shutdown_grace_seconds, settings.shutdown_drain_delay_seconds)


async def migrate(settings: MetadataSettings) -> None:
    """Bring the database to head and return (the Kubernetes migrations Job): no keys, no server."""
    engine = create_engine(settings.resolved_database_url())
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()
