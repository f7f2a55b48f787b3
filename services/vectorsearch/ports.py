"""The ports the core needs: an async embedder (batching.BatchingEmbedder) and a vector store
(store.MilvusVectorStore)."""

from __future__ import annotations

from typing import Protocol

from libs.domain import Tenant, VectorHit
from libs.filters import FilterNode
from services.vectorsearch.models import CompiledSearch, StoredVector


class AsyncEmbedder(Protocol):
    """Unit-length vectors for texts, computed off the event loop."""

    async def embed(self, texts: list[str]) -> list[list[float]]: ...


class VectorStore(Protocol):
    async def upsert(self, tenant: Tenant, rows: list[StoredVector]) -> int: ...

    async def delete(self, tenant: Tenant, memory_ids: list[str]) -> None: ...

    def compile_search(
        self, tenant: Tenant, node: FilterNode | None, candidate_ids: list[str] | None
    ) -> CompiledSearch: ...

    async def search(self, search: CompiledSearch, vectors: list[list[float]], top_k: int) -> list[list[VectorHit]]: ...

    async def close(self) -> None: ...
