"""Use cases of the vectorsearch service: upsert, delete and search memory vectors of one tenant."""

from __future__ import annotations

import time

import structlog

from libs.domain import MAX_VECTOR_HITS, SCOPE_FIELDS, Tenant, VectorHit, VectorRecord
from libs.errors import InvalidArgument
from services.vectorsearch.models import (
    CATEGORY_MAX_BYTES,
    ID_MAX_BYTES,
    MAX_CATEGORIES,
    SCOPE_ID_MAX_BYTES,
    SearchQuery,
    StoredVector,
)
from services.vectorsearch.ports import AsyncEmbedder, VectorStore

log = structlog.get_logger()

MAX_TOP_K = MAX_VECTOR_HITS
MAX_QUERIES = 1000
MAX_ITEMS = 5000
MAX_DELETE_IDS = 10000
MAX_CANDIDATE_IDS = 100_000


class VectorSearch:
    """Embeds texts (off the event loop; see batching.BatchingEmbedder) and stores/searches the
    vectors of one tenant at a time in one store."""

    def __init__(self, embedder: AsyncEmbedder, store: VectorStore) -> None:
        self._embedder = embedder
        self._store = store

    async def embed(self, texts: list[str]) -> list[list[float]]:
        return await self._embedder.embed(texts)

    async def upsert(self, tenant: Tenant, records: list[VectorRecord]) -> int:
        if max(_size(tenant.org_id), _size(tenant.project_id)) > SCOPE_ID_MAX_BYTES:
            raise InvalidArgument(f"tenant: ids of at most {SCOPE_ID_MAX_BYTES} bytes", field="tenant")
        _validate_records(records)
        # The last item wins when an id repeats within one request.
        unique = list({record.memory_id: record for record in records}.values())
        vectors = await self.embed([record.text for record in unique])
        count = await self._store.upsert(
            tenant, [StoredVector(record, vector) for record, vector in zip(unique, vectors, strict=True)]
        )
        log.info("vectors.upserted", org_id=tenant.org_id, project_id=tenant.project_id, count=count)
        return count

    async def delete(self, tenant: Tenant, memory_ids: list[str]) -> int:
        if len(memory_ids) > MAX_DELETE_IDS:
            raise InvalidArgument(f"memory_ids: at most {MAX_DELETE_IDS} ids", field="memory_ids")
        for index, memory_id in enumerate(memory_ids):
            if not memory_id:
                raise InvalidArgument(f"memory_ids[{index}]: must not be empty", field="memory_ids")
        unique = list(dict.fromkeys(memory_ids))
        await self._store.delete(tenant, unique)
        log.info("vectors.deleted", org_id=tenant.org_id, project_id=tenant.project_id, count=len(unique))
        return len(unique)

    async def search(self, tenant: Tenant, query: SearchQuery) -> list[list[VectorHit]]:
        _validate_query(query)
        # Compile first: a bad filter fails before any embedding work.
        search = self._store.compile_search(tenant, query.filter, query.candidate_ids)
        if query.candidate_ids is not None and not query.candidate_ids:
            return [[] for _ in query.queries]
        started = time.perf_counter()
        vectors = await self.embed(query.queries)
        embedded = time.perf_counter()
        results = await self._store.search(search, vectors, query.top_k)
        log.debug(
            "vectors.searched",
            org_id=tenant.org_id,
            project_id=tenant.project_id,
            queries=len(query.queries),
            top_k=query.top_k,
            hits=sum(len(hits) for hits in results),
            embed_ms=round((embedded - started) * 1000, 1),
            search_ms=round((time.perf_counter() - embedded) * 1000, 1),
        )
        return results


def _validate_query(query: SearchQuery) -> None:
    if not 1 <= query.top_k <= MAX_TOP_K:
        raise InvalidArgument(f"top_k: must be between 1 and {MAX_TOP_K}, got {query.top_k}", field="top_k")
    if not query.queries:
        raise InvalidArgument("queries: at least one query is required", field="queries")
    if len(query.queries) > MAX_QUERIES:
        raise InvalidArgument(f"queries: at most {MAX_QUERIES} queries", field="queries")
    for index, text in enumerate(query.queries):
        if not text.strip():
            raise InvalidArgument(f"queries[{index}]: must not be empty", field="queries")
    if query.candidate_ids is not None:
        if len(query.candidate_ids) > MAX_CANDIDATE_IDS:
            raise InvalidArgument(f"candidate_ids: at most {MAX_CANDIDATE_IDS} ids", field="candidate_ids")


def _validate_records(records: list[VectorRecord]) -> None:
    if not records:
        raise InvalidArgument("items: at least one item is required", field="items")
    if len(records) > MAX_ITEMS:
        raise InvalidArgument(f"items: at most {MAX_ITEMS} items", field="items")
    for index, record in enumerate(records):
        where = f"items[{index}]"
        if not record.memory_id:
            raise InvalidArgument(f"{where}.memory_id: must not be empty", field=f"{where}.memory_id")
        if _size(record.memory_id) > ID_MAX_BYTES:
            raise InvalidArgument(f"{where}.memory_id: at most {ID_MAX_BYTES} bytes", field=f"{where}.memory_id")
        if not record.text.strip():
            raise InvalidArgument(f"{where}.text: must not be empty", field=f"{where}.text")
        for name in SCOPE_FIELDS:
            value = getattr(record.scope, name) or ""
            if _size(value) > SCOPE_ID_MAX_BYTES:
                raise InvalidArgument(
                    f"{where}.scope.{name}: at most {SCOPE_ID_MAX_BYTES} bytes",
                    field=f"{where}.scope.{name}",
                )
        if len(record.categories) > MAX_CATEGORIES:
            raise InvalidArgument(
                f"{where}.categories: at most {MAX_CATEGORIES} categories", field=f"{where}.categories"
            )
        for category in record.categories:
            if not category or _size(category) > CATEGORY_MAX_BYTES:
                raise InvalidArgument(
                    f"{where}.categories: each category must have 1-{CATEGORY_MAX_BYTES} bytes",
                    field=f"{where}.categories",
                )


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
