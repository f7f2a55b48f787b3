"""Composition root of the extraction service: picks the extractor and reconciler, starts the server."""

from __future__ import annotations

import structlog

from libs.rpc.server import ServiceBinding, StartedService, create_server, serve_until_signalled
from memgrid.extraction.v1 import extraction_service_pb2, extraction_service_pb2_grpc
from services.extraction.offline_extractor import OfflineFactExtractor
from services.extraction.offline_reconciler import OfflineMemoryReconciler
from services.extraction.ports import FactExtractor, MemoryReconciler
from services.extraction.servicer import ExtractionServicer
from services.extraction.settings import ExtractionSettings

log = structlog.get_logger()

SERVICE_NAME = extraction_service_pb2.DESCRIPTOR.services_by_name["ExtractionService"].full_name


def build_engines(settings: ExtractionSettings) -> tuple[FactExtractor, MemoryReconciler]:
    """The extractor and reconciler the settings ask for. Only the offline pair exists so far."""
    if settings.llm.base_url:
        log.warning(
            "extractor.selected",
            kind="offline",
            llm_configured=True,
            model=settings.llm.model,
            reason="the LLM extractor is not built yet; MEMGRID_LLM__* is ignored and the offline one is used",
        )
    else:
        log.info("extractor.selected", kind="offline", llm_configured=False)
    return OfflineFactExtractor(), OfflineMemoryReconciler()


async def start_service(settings: ExtractionSettings) -> StartedService:
    extractor, reconciler = build_engines(settings)
    servicer = ExtractionServicer(extractor, reconciler)
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
    )
    return StartedService(running=running, closers=[])


async def serve(settings: ExtractionSettings) -> None:
    service = await start_service(settings)
    await serve_until_signalled(service, settings.shutdown_grace_seconds)
