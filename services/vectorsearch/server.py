"""Composition root of vectorsearch: builds the embedder and the Milvus store, serves the gRPC API."""

from __future__ import annotations

import asyncio
import logging
import traceback

from opentelemetry.sdk.trace.export import SpanExporter

from libs.observability.telemetry import start_telemetry
from libs.rpc.server import ServiceBinding, StartedService, create_server, serve_until_signalled
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as pb
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2_grpc as pb_grpc
from services.vectorsearch.batching import BatchingEmbedder
from services.vectorsearch.caching import CachingEmbedder
from services.vectorsearch.core import VectorSearch
from services.vectorsearch.embedder import Embedder, HashingEmbedder, MiniLMEmbedder
from services.vectorsearch.instrumented import InstrumentedEmbedder, InstrumentedVectorStore
from services.vectorsearch.onnx_embedder import OnnxMiniLMEmbedder
from services.vectorsearch.servicer import VectorSearchServicer
from services.vectorsearch.settings import VectorSearchSettings
from services.vectorsearch.store import MilvusVectorStore

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["VectorSearchService"].full_name


class MilvusLiteNoiseFilter(logging.Filter):
    """Drops the traceback Milvus Lite 3.2.2's in-process server logs when pymilvus 3 calls AllocTimestamp,
    an RPC Lite does not implement (harmless: collection creation goes on). Everything else passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, NotImplementedError) or error.__traceback__ is None:
            return True
        frames = traceback.extract_tb(error.__traceback__)
        return not (frames and frames[-1].name == "AllocTimestamp" and "pymilvus" in frames[-1].filename)


def quiet_milvus_lite_noise() -> None:
    logger = logging.getLogger("grpc._server")
    if not any(isinstance(existing, MilvusLiteNoiseFilter) for existing in logger.filters):
        logger.addFilter(MilvusLiteNoiseFilter())


def build_embedder(settings: VectorSearchSettings) -> Embedder:
    if settings.embedder == "hashing":
        return HashingEmbedder()
    if settings.embedder in ("minilm-onnx", "minilm-onnx-int8"):
        return OnnxMiniLMEmbedder(
            model_dir=settings.model_dir(),
            threads=settings.embed_threads,
            workers=settings.embed_workers,
            int8=settings.embedder == "minilm-onnx-int8",
        )
    return MiniLMEmbedder(threads=settings.embed_threads)


def open_store(settings: VectorSearchSettings, embedder: Embedder) -> MilvusVectorStore:
    token = settings.milvus.token.get_secret_value() if settings.milvus.token else None
    return MilvusVectorStore.open(
        uri=settings.milvus_uri(),
        token=token,
        collection=settings.milvus.collection,
        dim=embedder.dim,
        embedder_name=embedder.name,
        lite=settings.uses_milvus_lite(),
        consistency_level=settings.milvus.consistency_level,
    )


async def start_service(settings: VectorSearchSettings, *, span_exporter: SpanExporter | None = None) -> StartedService:
    """Serve on host:vectorsearch_port. `span_exporter` (tests) receives the spans, tracing settings aside."""
    if settings.uses_milvus_lite():
        quiet_milvus_lite_noise()
    embedder = await asyncio.to_thread(build_embedder, settings)
    store = await asyncio.to_thread(open_store, settings, embedder)
    observed = None
    try:
        observed = start_telemetry(
            "vectorsearch", settings.host, settings.metrics, settings.tracing, listen=True, span_exporter=span_exporter
        )
        telemetry = observed.telemetry
        core = VectorSearch(
            InstrumentedEmbedder(
                CachingEmbedder(BatchingEmbedder(embedder), capacity=settings.embed_cache_size), telemetry
            ),
            InstrumentedVectorStore(store, telemetry),
        )
        binding = ServiceBinding(
            servicer=VectorSearchServicer(core),
            register=pb_grpc.add_VectorSearchServiceServicer_to_server,
            full_name=SERVICE_NAME,
        )
        running = await create_server(
            settings.host, settings.vectorsearch_port, [binding], settings.internal_tls, telemetry=telemetry
        )
    except BaseException:
        await store.close()
        if observed is not None:
            observed.close()
        raise
    closers = [observed.close, store.close]
    if isinstance(embedder, OnnxMiniLMEmbedder):
        closers.append(embedder.close)
    return StartedService(running=running, closers=closers, extra_ports=observed.extra_ports())


async def serve(settings: VectorSearchSettings) -> None:
    service = await start_service(settings)
    await serve_until_signalled(service, settings.shutdown_grace_seconds, settings.shutdown_drain_delay_seconds)
