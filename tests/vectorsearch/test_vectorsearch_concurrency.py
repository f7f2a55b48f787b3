"""Concurrent writes to Milvus Lite: every one succeeds and every row is there afterwards.

Milvus Lite 3.2.2 failed overlapping upsert+flush pairs with "current_seq is monotonic" (found by the
benchmark under 50 clients); the store serialises its writes and flushes on Lite (test_vectorsearch_lite_flush.py).
"""

from __future__ import annotations

import asyncio
import uuid

from memgrid.common.v1 import common_pb2

from .support import RunningVectorSearch, item


async def test_overlapping_upserts_and_deletes_all_succeed(hashing_server: RunningVectorSearch) -> None:
    tenant = common_pb2.Tenant(org_id=f"conc-{uuid.uuid4().hex[:6]}", project_id="p")
    batches = [[item(f"c{b}-{i}", f"note {b} {i}", user_id="u") for i in range(5)] for b in range(20)]
    counts = await asyncio.gather(*(hashing_server.upsert(tenant, batch) for batch in batches))
    assert counts == [5] * 20
    doomed = [f"c{b}-0" for b in range(20)]
    await asyncio.gather(*(hashing_server.delete(tenant, [memory_id]) for memory_id in doomed))
    [hits] = await hashing_server.search(tenant, "note", top_k=1000)
    assert len(hits) == 80 and not {memory_id for memory_id, _ in hits} & set(doomed)
