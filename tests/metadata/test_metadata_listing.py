"""get_all's pages (a deferred join: ids paged from the listing index, then rows by primary key) list exactly
what one ordered query lists, and on SQLite the page's ids come from an index alone (migration 0011)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from libs.domain import NewMemory, Scope, Tenant
from libs.filters import parse_filters
from libs.rpc.client import call
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from services.metadata.database import create_engine, run_migrations
from services.metadata.store import SqlMetadataStore

from .helpers import filter_of, new_memory, query_plans

START = datetime(2025, 6, 1, tzinfo=UTC)


def _memories(today: datetime) -> list[tuple[pb.NewMemory, bool]]:
    """31 memories, (memory, expired): three or four share each created_at (ties broken by id), ids in random
    order against creation order, two users, every fifth one expired yesterday."""
    yesterday = (today.date() - timedelta(days=1)).isoformat()
    made = []
    for n in range(31):
        expired = n % 5 == 3
        made.append(
            (
                new_memory(
                    f"fact {n}",
                    user_id="alex" if n % 3 else "sam",
                    created_at=START + timedelta(minutes=n // 4 if n < 20 else n // 3),
                    memory_id=uuid.uuid4().hex,  # lowercase hex: the same order under any collation
                    expiration_date=yesterday if expired else "",
                ),
                expired,
            )
        )
    return made


async def _pages(stub, tenant, page_size: int, **request) -> tuple[list[str], set[int]]:
    seen: list[str] = []
    totals: set[int] = set()
    for page in range(1, 40):
        response = await call(
            stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page=page, page_size=page_size, **request))
        )
        totals.add(response.total_count)
        if not response.memories:
            return seen, totals
        seen.extend(m.id for m in response.memories)
    raise AssertionError("pages never ended")


async def test_pages_list_what_one_ordered_query_lists_with_ties_expiry_and_filters(stub, tenant):
    made = _memories(datetime.now(UTC))
    await call(stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[m for m, _ in made])))

    def newest_first(keep) -> list[str]:
        kept = [m for m, expired in made if keep(m, expired)]
        return [m.id for m in sorted(kept, key=lambda m: (m.created_at.ToDatetime(), m.id), reverse=True)]

    live = newest_first(lambda _m, expired: not expired)
    assert len(live) == 25
    one_query = await call(stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant)))
    assert list(one_query.memory_ids) == live
    for page_size in (1, 4, 7, 25, 100):
        assert await _pages(stub, tenant, page_size) == (live, {25}), page_size

    everything = newest_first(lambda _m, _expired: True)
    assert await _pages(stub, tenant, 6, show_expired=True) == (everything, {31})

    alex = newest_first(lambda m, expired: not expired and m.scope.user_id == "alex")
    alex_filter = filter_of({"user_id": "alex"})
    assert await _pages(stub, tenant, 5, filter=alex_filter) == (alex, {len(alex)})
    alex_query = await call(stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant, filter=alex_filter)))
    assert list(alex_query.memory_ids) == alex

    # The rows of a page are whole memories, not just their ids.
    page = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page=2, page_size=4)))
    texts = {m.id: m.text for m, _ in made}
    assert [(m.id, m.memory) for m in page.memories] == [(i, texts[i]) for i in live[4:8]]


async def _plans(engine, store: SqlMetadataStore, tenant: Tenant, **listing) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement `list_memories(**listing)` runs."""
    return await query_plans(engine, lambda: store.list_memories(tenant, **listing))


async def test_sqlite_pages_ids_from_the_covering_listing_index_and_filters_keep_their_index(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine)
        tenant = Tenant("o", "p")
        await store.create_memories(
            tenant,
            [
                NewMemory(id=f"m{n:03d}", text=f"fact {n}", scope=Scope(user_id=f"u{n % 4}"), created_at=START)
                for n in range(40)
            ],
        )
        deep = await _plans(engine, store, tenant, page=3, page_size=10)
        # count and page ids: from the index alone, already in order; rows: by primary key.
        assert (
            deep.count("SEARCH memories USING COVERING INDEX ix_memories_tenant_listing (org_id=? AND project_id=?)")
            == 2
        )
        assert "SEARCH memories USING INDEX sqlite_autoindex_memories_1 (id=?)" in deep
        assert not [line for line in deep if "RIGHT PART OF ORDER BY" in line], deep

        by_user = await _plans(engine, store, tenant, node=parse_filters({"user_id": "u1"}), page=2, page_size=5)
        assert [line for line in by_user if "ix_memories_tenant_user (org_id=? AND project_id=? AND user_id=?)" in line]
        assert not [line for line in by_user if "ix_memories_tenant_listing" in line or "RIGHT PART" in line], by_user
    finally:
        await engine.dispose()
