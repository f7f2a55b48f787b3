"""The vector-sync outbox: one row per memory change, written in the change's own transaction.

The gateway writes records here first and vectors second. A crash between the two (or a vector write that
failed) leaves the outbox row behind; the gateway's reconciler lists what is pending, makes the vector store
match the records (upsert what exists, delete what does not) and acknowledges. Acknowledging a version
removes that change and older ones of the memory, never a newer change that is still in flight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import Tenant, VectorSync
from services.metadata.models import VectorOutboxRow

MAX_SYNCS_PER_CALL = 10_000
# Memory ids per IN (...) list when acknowledging (SQLite allows 32,766 bound parameters per statement).
ACK_CHUNK = 500


async def queue(session: AsyncSession, tenant: Tenant, versions: Iterable[tuple[str, datetime]], now: datetime) -> None:
    """Record that these memories' vectors must follow their records; `versions` is (memory id, updated_at).
    One executemany (ORM objects with an autoincrement key would cost one INSERT each)."""
    rows = [
        {
            "org_id": tenant.org_id,
            "project_id": tenant.project_id,
            "memory_id": memory_id,
            "version": version,
            "created_at": now,
        }
        for memory_id, version in versions
    ]
    if rows:
        await session.execute(sa.insert(VectorOutboxRow), rows)


async def pending(session: AsyncSession, written_before: datetime, limit: int) -> list[VectorSync]:
    rows = await session.scalars(
        sa.select(VectorOutboxRow)
        .where(VectorOutboxRow.created_at <= written_before)
        .order_by(VectorOutboxRow.seq)
        .limit(limit)
    )
    return [VectorSync(Tenant(row.org_id, row.project_id), row.memory_id, row.version) for row in rows]


async def acknowledge(session: AsyncSession, syncs: Sequence[VectorSync]) -> int:
    """Remove the acknowledged versions (and older ones) of these memories: per tenant and chunk of ids, one
    SELECT of the candidate rows and one DELETE by primary key, instead of a DELETE per memory."""
    acked: dict[Tenant, dict[str, datetime]] = defaultdict(dict)
    for sync in syncs:
        known = acked[sync.tenant].get(sync.memory_id)
        acked[sync.tenant][sync.memory_id] = sync.version if known is None else max(known, sync.version)
    removed = 0
    for tenant, versions in acked.items():
        ids = list(versions)
        for start in range(0, len(ids), ACK_CHUNK):
            found = await session.execute(
                sa.select(VectorOutboxRow.seq, VectorOutboxRow.memory_id, VectorOutboxRow.version).where(
                    VectorOutboxRow.org_id == tenant.org_id,
                    VectorOutboxRow.project_id == tenant.project_id,
                    VectorOutboxRow.memory_id.in_(ids[start : start + ACK_CHUNK]),
                )
            )
            done = [seq for seq, memory_id, version in found if version <= versions[memory_id]]
            if done:
                result = await session.execute(sa.delete(VectorOutboxRow).where(VectorOutboxRow.seq.in_(done)))
                removed += result.rowcount or 0
    return removed
