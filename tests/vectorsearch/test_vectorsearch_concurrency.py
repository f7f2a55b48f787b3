"""Concurrent writes to Milvus Lite: every one succeeds and every row is there afterwards.

Milvus Lite 3.2.2 failed overlapping upsert+flush pairs with "current_seq is monotonic" (found by the
benchmark under 50 clients); the store now serialises its writes on Lite.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from libs.domain import Scope, Tenant, VectorRecord
from memgrid.common.v1 import common_pb2
from services.vectorsearch.models import StoredVector

from .support import RunningVectorSearch, item, on_lite_only, open_hashing_store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_overlapping_upserts_and_deletes_all_succeed(hashing_server: RunningVectorSearch) -> None:
    tenant = common_pb2.Tenant(org_id=f"conc-{uuid.uuid4().hex[:6]}", project_id="p")
    batches = [[item(f"c{b}-{i}", f"note {b} {i}", user_id="u") for i in range(5)] for b in range(20)]
    counts = await asyncio.gather(*(hashing_server.upsert(tenant, batch) for batch in batches))
    assert counts == [5] * 20
    doomed = [f"c{b}-0" for b in range(20)]
    await asyncio.gather(*(hashing_server.delete(tenant, [memory_id]) for memory_id in doomed))
    [hits] = await hashing_server.search(tenant, "note", top_k=1000)
    assert len(hits) == 80 and not {memory_id for memory_id, _ in hits} & set(doomed)


@on_lite_only
async def test_concurrent_upserts_on_lite_share_a_flush_that_follows_each_write(tmp_path: Path) -> None:
    store, embedder = open_hashing_store(str(tmp_path / "milvus.db"), "group", lite=True)
    events: list[str] = []  # appended from the worker threads the store runs pymilvus in

    def recorded(name: str, call: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            result = call(*args, **kwargs)
            rows = args[1] if name == "upsert" else None
            events.append(f"upsert {rows[0]['id'].split('-')[0]}" if rows else name)
            return result

        return run

    store._client.upsert = recorded("upsert", store._client.upsert)  # type: ignore[method-assign]
    store._client.flush = recorded("flush", store._client.flush)  # type: ignore[method-assign]
    tenant = Tenant(org_id="group", project_id="p")

    async def write(batch: int) -> int:
        records = [
            VectorRecord(f"g{batch}-{i}", f"note {batch} {i}", Scope(user_id="u"), NOW, NOW, []) for i in range(5)
        ]
        count = await store.upsert(tenant, [StoredVector(r, embedder.embed([r.text])[0]) for r in records])
        events.append(f"returned g{batch}")
        return count

    try:
        assert await asyncio.gather(*(write(batch) for batch in range(8))) == [5] * 8
        # Durability as before: every caller returns only after a flush that ran after its own upsert...
        for batch in range(8):
            written, returned = events.index(f"upsert g{batch}"), events.index(f"returned g{batch}")
            assert "flush" in events[written:returned], events
        # ...but the writers queued together share flushes instead of taking one each.
        assert 1 <= events.count("flush") < 8, events
        [hits] = await store.search(store.compile_search(tenant, None, None), embedder.embed(["note"]), 100)
        assert len(hits) == 40
    finally:
        await store.close()
