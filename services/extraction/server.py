"""Composition root of the extraction service: picks the extractor and reconciler, starts the server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from opentelemetry.sdk.trace.export import SpanExporter

from libs.observability.telemetry import StartedTelemetry, Telemetry, start_telemetry
from libs.rpc.server import ServiceBinding, StartedService, create_server, serve_until_signalled
from memgrid.extraction.v1 import extraction_service_pb2, extraction_service_pb2_grpc
from services.extraction.llm.client import OpenAICompatibleClient
from services.extraction.llm.extractor import LLMFactExtractor
from services.extraction.llm.instrumented import InstrumentedJsonChat
from services.extraction.llm.reconciler import LLMMemoryReconciler
from services.extraction.offline_extractor import OfflineFactExtractor
from services.extraction.offline_reconciler import OfflineMemoryReconciler
from services.extraction.ports import FactExtractor, MemoryReconciler
from services.extraction.servicer import ExtractionServicer
from services.extraction.settings import ExtractionSettings

log = structlog.get_logger()

SERVICE_NAME = extraction_service_pb2.DESCRIPTOR.services_by_name["ExtractionService"].full_name


@dataclass(slots=True)
class Engines:
    """The extractor and reconciler in use, and what to close when the service stops."""

    extractor: FactExtractor
    reconciler: MemoryReconciler
    kind: str
    closers: list[Callable[[], Any]] = field(default_factory=list)


def build_engines(settings: ExtractionSettings, telemetry: Telemetry | None = None) -> Engines:
    """The LLM pair when an LLM endpoint is configured (MEMGRID_LLM__BASE_URL), the offline pair otherwise.
    `telemetry` times every LLM call."""
    llm = settings.llm
    if not llm.base_url:
        log.info("extractor.selected", kind="offline", llm_configured=False)
        return Engines(OfflineFactExtractor(), OfflineMemoryReconciler(), kind="offline")
    client = OpenAICompatibleClient(llm)
    log.info(
        "extractor.selected",
        kind="llm",
        llm_configured=True,
        model=llm.model,
        timeout_s=llm.timeout_seconds,
        max_retries=llm.max_retries,
    )
    chat = InstrumentedJsonChat(client, telemetry or Telemetry())
    return Engines(
        LLMFactExtractor(chat, max_conversation_chars=llm.max_conversation_chars),
        LLMMemoryReconciler(chat),
        kind="llm",
        closers=[client.aclose],
    )


async def start_service(settings: ExtractionSettings, *, span_exporter: SpanExporter | None = None) -> StartedService:
    """Serve on host:extraction_port. `span_exporter` (tests) receives the spans, tracing settings aside."""
    observed = start_telemetry(
        "extraction", settings.host, settings.metrics, settings.tracing, listen=True, span_exporter=span_exporter
    )
    try:
        return await _start(settings, observed)
    except BaseException:
        observed.close()
        raise


async def _start(settings: ExtractionSettings, observed: StartedTelemetry) -> StartedService:
    engines = build_engines(settings, observed.telemetry)
    servicer = ExtractionServicer(engines.extractor, engines.reconciler)
    running = await create_server(
        settings.host,
        settings.extraction_port,
        [
            ServiceBinding(
                servicer=servicer,
                register=extraction_service_pb2_grpc.add_ExtractionServiceServicer_to_server,
                full_name=SERVICE_NAME,
            )
        ],
        settings.internal_tls,
        telemetry=observed.telemetry,
    )
    return StartedService(
        running=running, closers=[observed.close, *engines.closers], extra_ports=observed.extra_ports()
    )


async def serve(settings: ExtractionSettings) -> None:
    service = await start_service(settings)
    await serve_until_signalled(service, settings.shutdown_grace_seconds, settings.shutdown_drain_delay_seconds)
