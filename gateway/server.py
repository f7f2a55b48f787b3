"""Composition root of the gateway: clients → orchestrator → gRPC MemoryService + REST, one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import structlog
import uvicorn
from opentelemetry.sdk.trace.export import SpanExporter

from gateway.auth import Authenticator
from gateway.clients import (
    METADATA_IDEMPOTENT,
    VECTORSEARCH_IDEMPOTENT,
    ExtractionClient,
    MetadataClient,
    VectorSearchClient,
)
from gateway.grpc_api.servicer import MemoryServicer
from gateway.idempotency import IdempotentRunner
from gateway.jobs import JobWorker
from gateway.orchestrator import Orchestrator
from gateway.rerank import build_reranker
from gateway.rest.app import create_app
from gateway.settings import GatewaySettings
from gateway.vector_sync import Acknowledger, VectorSyncReconciler
from gateway.webhooks import WebhookDispatcher
from libs.observability.telemetry import start_telemetry
from libs.rpc.client import open_channel
from libs.rpc.server import ServiceBinding, StartedService, create_server, serve_until_signalled
from memgrid.memory.v1 import memory_service_pb2, memory_service_pb2_grpc

log = structlog.get_logger()


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside our event loop: signals are ours, not uvicorn's."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


async def _start_http(app: object, host: str, port: int) -> tuple[_EmbeddedUvicorn, asyncio.Task[None], int]:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only then; without it every response waited ~40 ms
    # on Nagle + delayed ACK (measured: REST ping 44 ms → 1 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    bound_port = sock.getsockname()[1]
    server = _EmbeddedUvicorn(
        uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=5)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise OSError(f"REST server did not start on {host}:{port}")
        await asyncio.sleep(0.01)
    log.info("http.started", host=host, port=bound_port)
    return server, task, bound_port


async def start_service(settings: GatewaySettings, *, span_exporter: SpanExporter | None = None) -> StartedService:
    """Serve the gRPC API on host:grpc_port and REST (with GET /metrics) on host:http_port. `span_exporter`
    (tests) receives the spans, tracing settings aside."""
    # The gateway's metrics are served by its REST app, so no listener of their own.
    observed = start_telemetry(
        "gateway", settings.host, settings.metrics, settings.tracing, listen=False, span_exporter=span_exporter
    )
    telemetry = observed.telemetry
    channels = [
        open_channel(settings.metadata_addr, settings.internal_tls, METADATA_IDEMPOTENT, telemetry),
        open_channel(settings.vectorsearch_addr, settings.internal_tls, VECTORSEARCH_IDEMPOTENT, telemetry),
        # Not retried here: extraction retries the LLM itself, and its UNAVAILABLE usually means the LLM is down.
        open_channel(settings.extraction_addr, settings.internal_tls, telemetry=telemetry),
    ]
    timeout = settings.rpc_timeout_seconds
    metadata = MetadataClient(channels[0], timeout)
    vectors = VectorSearchClient(channels[1], timeout)
    reranker = build_reranker(settings.rerank, settings.llm)
    wake_workers = asyncio.Event()
    acknowledger = Acknowledger(metadata)
    orchestrator = Orchestrator(
        metadata=metadata,
        vectors=vectors,
        extraction=ExtractionClient(channels[2], settings.extraction_timeout_seconds),
        idempotency=IdempotentRunner(metadata, lease_seconds=settings.idempotency_lease_seconds),
        limits=settings.limits,
        reranker=reranker,
        rerank_settings=settings.rerank,
        acknowledger=acknowledger,
        on_job_queued=wake_workers.set,
    )
    workers = JobWorker(metadata, orchestrator, settings.jobs, wake_workers)
    authenticator = Authenticator(orchestrator, settings.auth_cache_seconds)
    running = await create_server(
        settings.host,
        settings.grpc_port,
        [
            ServiceBinding(
                MemoryServicer(orchestrator, authenticator, settings.limits),
                memory_service_pb2_grpc.add_MemoryServiceServicer_to_server,
                memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"].full_name,
            )
        ],
        telemetry=telemetry,
    )
    http_server, http_task, http_port = await _start_http(
        create_app(
            orchestrator,
            authenticator,
            settings.limits,
            request_timeout_seconds=settings.request_timeout_seconds,
            telemetry=telemetry,
        ),
        settings.host,
        settings.http_port,
    )
    reconciler = asyncio.create_task(
        VectorSyncReconciler(metadata, vectors, telemetry.metrics).run_forever(
            interval_seconds=settings.vector_sync_interval_seconds,
            min_age_seconds=settings.vector_sync_min_age_seconds,
        )
    )

    workers.start()
    # Redirects are not followed: a receiver must answer at the URL it was given (and a redirect could lead
    # past the address policy).
    webhook_http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
    dispatcher = (
        asyncio.create_task(WebhookDispatcher(metadata, webhook_http, settings.webhooks).run_forever())
        if settings.webhooks.enabled
        else None
    )

    async def stop_workers() -> None:
        await workers.stop(settings.shutdown_grace_seconds)

    async def stop_background_tasks() -> None:
        for task in (reconciler, dispatcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await webhook_http.aclose()

    async def stop_http() -> None:
        http_server.should_exit = True
        await http_task

    async def close_channels() -> None:
        for channel in channels:
            await channel.close()

    return StartedService(
        running=running,
        # Run in reverse: no requests or jobs first, then the background work, then the channels it uses.
        closers=[
            observed.close,
            close_channels,
            acknowledger.close,
            stop_background_tasks,
            stop_workers,
            stop_http,
            reranker.aclose,
        ],
        extra_ports={"http": http_port},
    )


async def serve(settings: GatewaySettings) -> None:
    service = await start_service(settings)
    await serve_until_signalled(service, settings.shutdown_grace_seconds, settings.shutdown_drain_delay_seconds)
