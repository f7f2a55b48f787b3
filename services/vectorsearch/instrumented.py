"""Telemetry around the embedder and the vector store: a span and a dependency timing per call."""

from __future__ import annotations

from libs.domain import Tenant, VectorHit
from libs.filters import FilterNode
from libs.observability.telemetry import Telemetry
from services.vectorsearch.models import CompiledSearch, StoredVector
from services.vectorsearch.ports import AsyncEmbedder, VectorStore


class InstrumentedEmbedder:
    """Times what a request waits for its vectors (`embedder.embed`: cache hits, batching and the encode)."""

    def __init__(self, inner: AsyncEmbedder, telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry

    async def embed(self, texts: list[str]) -> list[list[float]]:
        with self._telemetry.step("embedder", "embed", texts=len(texts)):
            return await self._inner.embed(texts)


class InstrumentedVectorStore:
    """Times each Milvus call (`milvus.upsert`, `milvus.delete`, `milvus.search`)."""

    def __init__(self, inner: VectorStore, telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry

    async def upsert(self, tenant: Tenant, rows: list[StoredVector]) -> int:
        with self._telemetry.step("milvus", "upsert", rows=len(rows)):
            return await self._inner.upsert(tenant, rows)

    async def delete(self, tenant: Tenant, memory_ids: list[str]) -> None:
        with self._telemetry.step("milvus", "delete", ids=len(memory_ids)):
            await self._inner.delete(tenant, memory_ids)

    def compile_search(
        self, tenant: Tenant, node: FilterNode | None, candidate_ids: list[str] | None
    ) -> CompiledSearch:
        return self._inner.compile_search(tenant, node, candidate_ids)

    async def search(self, search: CompiledSearch, vectors: list[list[float]], top_k: int) -> list[list[VectorHit]]:
        with self._telemetry.step("milvus", "search", queries=len(vectors), top_k=top_k):
            return await self._inner.search(search, vectors, top_k)

    async def close(self) -> None:
        await self._inner.close()
