"""The vector store port and its Milvus implementation (pymilvus MilvusClient; Milvus Lite or server).

pymilvus is blocking, so every call runs in a worker thread. Every read and delete is ANDed with the
tenant expression; ids are unique across tenants (an upsert never takes over another tenant's id).

Two index plans, both exact under the filters memgrid sends (tests/vectorsearch/test_vectorsearch_exact.py
checks them against brute force):
- Milvus Lite: FLAT. Lite's HNSW returns too few hits under selective filters; Lite is for small data.
- Milvus server: HNSW (M 16, efConstruction 200), searched with ef = max(128, top_k). Knowhere searches a
  sealed HNSW segment by brute force when a filter leaves few rows (one user among many), so selective
  filters stay exact; broad filters get a large ef. Rows not yet in a sealed, indexed segment are scanned
  exactly only if the server's interim index is off (`queryNode.segcore.interimIndex.enableIndex: false`);
  Milvus 2.3's default interim IVF index returned 16% of the true top-10 for one user in 1,000.
  No partition key: measured at 100k rows over 1,000 users (sealed HNSW), user-scoped search was equally
  fast with or without a partition key on user_id (2.2 ms), lost exactness at ef 64 (recall 0.99), and
  unscoped search got 8x slower (2.8 -> 22.6 ms).
- Milvus Lite: writes are flushed in the background, soon after they land (lite_flush.py); a write is durable
  and searchable before that.
- No flush after writes on a server: it seals segments itself (size, idle time) and rate-limits flush;
  reads use `consistency_level`. Session (the default) is read-your-writes through this process, and only the
  searches a recent write of this process could answer wait for the server to apply it (freshness.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from pymilvus import DataType, MilvusClient
from pymilvus.exceptions import MilvusException, MilvusUnavailableException

from libs.domain import Tenant, VectorHit
from libs.errors import AlreadyExists, FailedPrecondition, InternalError, MemgridError, UpstreamUnavailable
from libs.filters import FilterNode
from services.vectorsearch import milvus_filter
from services.vectorsearch.freshness import RecentWrites
from services.vectorsearch.lite_flush import DeferredFlush, FlushGate
from services.vectorsearch.models import (
    CATEGORY_MAX_BYTES,
    ID_MAX_BYTES,
    MAX_CATEGORIES,
    SCOPE_ID_MAX_BYTES,
    CompiledSearch,
    StoredVector,
)

log = structlog.get_logger()

T = TypeVar("T")

SCOPE_FIELDS = milvus_filter.SCOPE_FIELDS
# HNSW on a Milvus server: graph degree, build-time and (minimum) search-time candidate list sizes.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
HNSW_MIN_EF = 128
# Collection property naming the embedder that filled it, so a restart with another model fails loudly.
EMBEDDER_PROPERTY = "memgrid.embedder"
# Milvus Lite: flush written rows at most this long after the first unflushed write, or at once when this many
# are waiting (every search scans them in Python, ~0.035 ms a row: 256 rows add at most ~9 ms).
LITE_FLUSH_DELAY_SECONDS = 0.5
LITE_MAX_UNFLUSHED_ROWS = 256
# The consistency of the cross-tenant id check before an upsert (see MilvusVectorStore._upsert).
FOREIGN_ID_CONSISTENCY = "Eventually"
# gRPC codes pymilvus reports when the server cannot be reached.
_UNAVAILABLE_CODES = {2, 14, 503}  # pymilvus UNEXPECTED_ERROR on connect, gRPC UNAVAILABLE, HTTP 503


class MilvusVectorStore:
    """One Milvus collection (COSINE): FLAT on Milvus Lite, HNSW on a Milvus server (see the module doc)."""

    def __init__(
        self,
        client: MilvusClient,
        collection: str,
        *,
        lite: bool,
        consistency_level: str,
        index_type: str = "FLAT",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._client = client
        self._collection = collection
        self._consistency_level = consistency_level
        # On a server: the recent writes of this process. Under Session only the searches one of them could
        # answer read Session; under any level, searches leave out what this process deleted moments ago.
        self._recent_writes = None if lite else RecentWrites()
        self._index_type = index_type
        self._on_close = on_close
        # Milvus Lite 3.2.2 corrupts its sequence bookkeeping when two writes+flushes overlap
        # ("current_seq is monotonic"), so writes and flushes to Lite go one at a time. A server handles its own.
        lite_lock = asyncio.Lock()
        self._write_lock: contextlib.AbstractAsyncContextManager[Any] = lite_lock if lite else contextlib.nullcontext()
        # Lite: flushed in the background, never during a search (lite_flush.py).
        self._flush_gate: FlushGate | None = None
        self._deferred_flush: DeferredFlush | None = None
        if lite:
            self._flush_gate = FlushGate()
            self._deferred_flush = DeferredFlush(
                self._flush_lite,
                lite_lock,
                self._flush_gate,
                delay_seconds=LITE_FLUSH_DELAY_SECONDS,
                max_rows=LITE_MAX_UNFLUSHED_ROWS,
            )

    # --- start-up -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        uri: str,
        token: str | None,
        collection: str,
        dim: int,
        embedder_name: str,
        lite: bool,
        consistency_level: str = "Session",
    ) -> MilvusVectorStore:
        """Connect (blocking), create the collection if missing, check it matches, and load it."""
        started = time.perf_counter()
        try:
            client = MilvusClient(uri=uri, token=token or "")
        except MilvusException as error:
            raise UpstreamUnavailable(f"milvus: cannot connect to {uri}: {error.message}") from None
        on_close = _lite_releaser(uri) if lite else None
        try:
            if client.has_collection(collection):
                _check_collection(client, collection, dim, embedder_name)
                created = False
            else:
                _create_collection(client, collection, dim, embedder_name, hnsw=not lite)
                created = True
            client.load_collection(collection)
            # Search parameters follow the index the collection has (it may predate this version).
            index_type = str(client.describe_index(collection, "vector").get("index_type", ""))
        except BaseException:
            client.close()
            if on_close:
                on_close()
            raise
        log.info(
            "collection.opened",
            collection=collection,
            created=created,
            dim=dim,
            lite=lite,
            index_type=index_type,
            seconds=round(time.perf_counter() - started, 2),
        )
        return cls(
            client,
            collection,
            lite=lite,
            consistency_level=consistency_level,
            index_type=index_type,
            on_close=on_close,
        )

    async def close(self) -> None:
        if self._deferred_flush is not None:
            await self._deferred_flush.close()
        await asyncio.to_thread(self._close_blocking)

    def _close_blocking(self) -> None:
        self._client.close()
        if self._on_close:
            self._on_close()

    # --- writes -------------------------------------------------------------------------------

    async def upsert(self, tenant: Tenant, rows: list[StoredVector]) -> int:
        if not rows:
            return 0
        async with self._write_lock:
            return await self._upsert(tenant, rows)

    async def _upsert(self, tenant: Tenant, rows: list[StoredVector]) -> int:
        ids = [row.record.memory_id for row in rows]
        # Eventually, not the reads' Session: on a Milvus server a Session read first waits until the query node
        # has applied this client's latest write, and under continuous ingest at 75k-100k rows that wait stalled
        # every upsert in flight for 15-29 s, twice in one run (REST adds got 504; bench/ingest_stalls.py,
        # bench/results/get-all-batches-ingest-stalls.md). This read only guards against another tenant's vector
        # under the same id (ids are minted by the gateway): what it cannot see is a row written moments ago.
        owners = await self._owners(ids, FOREIGN_ID_CONSISTENCY)
        taken = next((memory_id for memory_id, owner in owners.items() if owner != tenant), None)
        if taken is not None:
            raise AlreadyExists(f"memory_id '{taken}' is already in use", field="items.memory_id")
        data = [_row(tenant, row) for row in rows]
        try:
            await self._run(self._client.upsert, self._collection, data)
        finally:
            # Also when the call failed: the write may have landed.
            if self._recent_writes is not None:
                self._recent_writes.upserted(tenant, ((row["id"], row["user_id"]) for row in data))
            if self._deferred_flush is not None:
                self._deferred_flush.written(len(data))
        return len(data)

    async def delete(self, tenant: Tenant, memory_ids: list[str]) -> None:
        if not memory_ids:
            return
        async with self._write_lock:
            # Resolve the tenant's ids first, then delete by primary key: Milvus 2.3 resolves a delete by
            # expression with its own read, which missed rows upserted just before (tests saw it on a server).
            # At least Session: a delete must find this process's own writes, whatever staleness searches allow.
            lookup = "Strong" if self._consistency_level == "Strong" else "Session"
            owners = await self._owners(memory_ids, lookup)
            owned = [memory_id for memory_id, owner in owners.items() if owner == tenant]
            if not owned:
                return
            deleted = milvus_filter.ids_expr(owned)
            left_out = False
            try:
                await self._run(self._client.delete, self._collection, filter=deleted)
            finally:
                if self._recent_writes is not None:
                    left_out = self._recent_writes.deleted(tenant, owned)
                if self._deferred_flush is not None:
                    self._deferred_flush.written(len(owned))
            if self._recent_writes is not None and not left_out:
                # Too many ids to leave out of searches by id: one Strong read (~200-400 ms, the time tick) lets
                # every later read see the deletion.
                await self._run(
                    self._client.query,
                    self._collection,
                    filter=deleted,
                    output_fields=["id"],
                    limit=1,
                    consistency_level="Strong",
                )

    async def _owners(self, memory_ids: list[str], consistency_level: str) -> dict[str, Tenant]:
        """The tenant of each of these ids that has a vector. By primary key alone, the tenant compared here:
        Milvus Lite answers a primary-key filter from its key index (0.9 ms at 10k rows) but evaluates one with
        the tenant's fields row by row (10 ms at 10k rows, growing with the collection)."""
        found = await self._run(
            self._client.query,
            self._collection,
            filter=milvus_filter.ids_expr(memory_ids),
            output_fields=["id", "org_id", "project_id"],
            limit=len(memory_ids),
            consistency_level=consistency_level,
        )
        return {str(row["id"]): Tenant(org_id=row["org_id"], project_id=row["project_id"]) for row in found}

    async def _flush_lite(self) -> None:
        await self._run(self._client.flush, self._collection)

    # --- reads --------------------------------------------------------------------------------

    def compile_search(
        self, tenant: Tenant, node: FilterNode | None, candidate_ids: list[str] | None
    ) -> CompiledSearch:
        """The full search expression and its consistency. Raises InvalidArgument."""
        # Milvus 2.3 answers a delete without a timestamp, so no read waits for it: what this process deleted
        # moments ago is left out by id (freshness.py).
        gone = self._recent_writes.deleted_ids(tenant) if self._recent_writes is not None else []
        expr = milvus_filter.conjoin_exprs(
            milvus_filter.tenant_expr(tenant),
            milvus_filter.to_milvus_expr(node),
            None if candidate_ids is None else milvus_filter.ids_expr(candidate_ids),
            f"not ({milvus_filter.ids_expr(gone)})" if gone else None,
        )
        consistency_level = self._consistency_level
        if (
            consistency_level == "Session"
            and self._recent_writes is not None
            and not self._recent_writes.may_see_recent_write(tenant, node, candidate_ids)
        ):
            consistency_level = "Bounded"
        return CompiledSearch(expr, consistency_level)

    async def search(self, search: CompiledSearch, vectors: list[list[float]], top_k: int) -> list[list[VectorHit]]:
        if not vectors:
            return []
        async with self._flush_gate.searching() if self._flush_gate else contextlib.nullcontext():
            results = await self._run(
                self._client.search,
                self._collection,
                data=vectors,
                filter=search.expr,
                limit=top_k,
                anns_field="vector",
                search_params={"metric_type": "COSINE", "params": search_params(self._index_type, top_k)},
                consistency_level=search.consistency_level,
            )
        # The primary keys and distances as pymilvus decoded them, not looked up hit by hit through its Hit dicts.
        return [
            [
                VectorHit(memory_id=str(memory_id), score=_score(distance))
                for memory_id, distance in zip(hits.ids, hits.distances, strict=True)
            ]
            for hits in results
        ]

    async def _run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except MemgridError:
            raise
        except MilvusUnavailableException as error:
            raise UpstreamUnavailable(f"milvus unavailable: {error.message}") from None
        except MilvusException as error:
            if error.code in _UNAVAILABLE_CODES:
                raise UpstreamUnavailable(f"milvus unavailable: {error.message}") from None
            log.error("milvus.call_failed", call=getattr(function, "__name__", "?"), code=error.code)
            raise InternalError(f"milvus error: {error.message}") from None


def search_params(index_type: str, top_k: int) -> dict[str, Any]:
    """Search parameters for the collection's vector index: HNSW gets ef = max(HNSW_MIN_EF, top_k)."""
    return {"ef": max(HNSW_MIN_EF, top_k)} if index_type == "HNSW" else {}


def _score(distance: float) -> float:
    """COSINE distance in Milvus is the cosine similarity; clamp it into [0, 1]."""
    return min(1.0, max(0.0, float(distance)))


def _row(tenant: Tenant, row: StoredVector) -> dict[str, Any]:
    record = row.record
    data: dict[str, Any] = {
        "id": record.memory_id,
        "org_id": tenant.org_id,
        "project_id": tenant.project_id,
        "created_at": milvus_filter.epoch_ms(record.created_at),
        "updated_at": milvus_filter.epoch_ms(record.updated_at),
        "categories": list(record.categories),
        "vector": row.vector,
    }
    for name in SCOPE_FIELDS:
        data[name] = getattr(record.scope, name) or ""
    return data


def _create_collection(client: MilvusClient, collection: str, dim: int, embedder_name: str, *, hnsw: bool) -> None:
    schema = MilvusClient.create_schema(
        auto_id=False,
        enable_dynamic_field=False,
        description="memgrid memory vectors",
    )
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_MAX_BYTES)
    schema.add_field("org_id", DataType.VARCHAR, max_length=SCOPE_ID_MAX_BYTES)
    schema.add_field("project_id", DataType.VARCHAR, max_length=SCOPE_ID_MAX_BYTES)
    for name in SCOPE_FIELDS:
        schema.add_field(name, DataType.VARCHAR, max_length=SCOPE_ID_MAX_BYTES)
    schema.add_field("created_at", DataType.INT64)
    schema.add_field("updated_at", DataType.INT64)
    schema.add_field(
        "categories",
        DataType.ARRAY,
        element_type=DataType.VARCHAR,
        max_capacity=MAX_CATEGORIES,
        max_length=CATEGORY_MAX_BYTES,
    )
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index_params = client.prepare_index_params()
    if hnsw:
        index_params.add_index(
            field_name="vector",
            index_type="HNSW",
            metric_type="COSINE",
            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
        )
    else:
        index_params.add_index(field_name="vector", index_type="FLAT", metric_type="COSINE")
    client.create_collection(collection, schema=schema, index_params=index_params)
    # Milvus Lite ignores properties given to create_collection; altering them afterwards sticks.
    client.alter_collection_properties(collection, properties={EMBEDDER_PROPERTY: embedder_name})
    log.info("collection.created", collection=collection, dim=dim, embedder=embedder_name, hnsw=hnsw)


def _check_collection(client: MilvusClient, collection: str, dim: int, embedder_name: str) -> None:
    description = client.describe_collection(collection)
    fields = {field["name"]: field for field in description.get("fields", [])}
    required = {"id", "org_id", "project_id", *SCOPE_FIELDS, "created_at", "updated_at", "categories"}
    required.add("vector")
    missing = sorted(required - set(fields))
    if missing:
        raise FailedPrecondition(
            f"milvus collection '{collection}' exists but lacks fields {missing}; "
            "use another collection name (MEMGRID_MILVUS__COLLECTION) or data dir"
        )
    existing_dim = int(fields["vector"].get("params", {}).get("dim", 0))
    if existing_dim != dim:
        raise FailedPrecondition(
            f"milvus collection '{collection}' holds {existing_dim}-d vectors but the embedder makes "
            f"{dim}-d vectors; use another collection name (MEMGRID_MILVUS__COLLECTION) or data dir"
        )
    stored = (description.get("properties") or {}).get(EMBEDDER_PROPERTY)
    if stored is not None and stored != embedder_name:
        raise FailedPrecondition(
            f"milvus collection '{collection}' was filled by embedder '{stored}', not '{embedder_name}'; "
            "use another collection name (MEMGRID_MILVUS__COLLECTION) or data dir"
        )


def _lite_releaser(uri: str) -> Callable[[], None]:
    """Stop the in-process Milvus Lite server for `uri`, releasing its data-dir lock."""

    def release() -> None:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)

    return release
