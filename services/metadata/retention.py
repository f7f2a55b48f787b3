"""Retention of the operation logs: finished events, jobs and webhook deliveries older than the retention go.

Every add, update and delete writes an event (with the memories it changed in `results`), every queued add a
job, every webhook event a delivery per webhook; nothing else ever removes them, so without retention they grow
with every request forever, keep the texts of memories deleted long ago, and make every `GET /v1/events/` count
them all. A background pass in the metadata service (a minute after start-up, then every interval) deletes the
finished ones older than the retention, a batch per transaction so that no request waits behind one long delete.
Memories and their history are never touched; PENDING/RUNNING events and jobs and deliveries still being retried
are kept whatever their age. The same pass deletes idempotency keys past their own retention (idempotency.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import DeliveryStatus, EventStatus
from libs.errors import MemgridError
from services.metadata import jobs
from services.metadata.models import EventRow, JobRow, WebhookDeliveryRow

log = structlog.get_logger()

# Rows deleted per transaction (SQLite has one writer: requests wait for at most one batch).
PRUNE_BATCH = 1_000
# The first pass waits this long (or the interval, if shorter): a service that has just started serves first.
FIRST_PASS_DELAY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Log:
    """One log table: which rows are finished, and the column their age is counted from."""

    name: str
    model: Any
    status: Any
    finished: tuple[str, ...]
    age_from: Any


LOGS = (
    _Log(
        "events",
        EventRow,
        EventRow.status,
        (str(EventStatus.SUCCEEDED), str(EventStatus.FAILED)),
        EventRow.created_at,
    ),
    _Log("jobs", JobRow, JobRow.status, (jobs.DONE, jobs.FAILED), JobRow.updated_at),
    _Log(
        "webhook_deliveries",
        WebhookDeliveryRow,
        WebhookDeliveryRow.status,
        (str(DeliveryStatus.SUCCEEDED), str(DeliveryStatus.FAILED)),
        WebhookDeliveryRow.created_at,
    ),
)


async def delete_finished_batch(session: AsyncSession, table: _Log, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` finished rows of `table` older than `cutoff`; how many went."""
    doomed = (
        sa.select(table.model.id)
        .where(table.status.in_(table.finished), table.age_from < cutoff)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(sa.delete(table.model).where(table.model.id.in_(doomed)))
    return int(result.rowcount or 0)


class Prunable(Protocol):
    async def prune_finished_logs(self, cutoff: datetime, limit: int) -> dict[str, int]: ...


class Retention:
    """The background pass: `run_forever` prunes soon after start-up and then every `interval_seconds`, a batch per
    table at a time until none is full; `stop` ends it between two batches (never inside a transaction)."""

    def __init__(self, store: Prunable, *, days: float, interval_seconds: float, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._keep = timedelta(days=days)
        self._interval_seconds = interval_seconds
        self._clock = clock
        self._stopping = asyncio.Event()

    async def run_once(self) -> dict[str, int]:
        """Prune everything finished before now minus the retention; how many rows went, per table."""
        cutoff = self._clock() - self._keep
        pruned: dict[str, int] = {}
        while not self._stopping.is_set():
            batch = await self._store.prune_finished_logs(cutoff, PRUNE_BATCH)
            for name, count in batch.items():
                pruned[name] = pruned.get(name, 0) + count
            if all(count < PRUNE_BATCH for count in batch.values()):
                break
        if any(pruned.values()):
            log.info("retention.pruned", retention_days=self._keep.total_seconds() / 86400, **pruned)
        return pruned

    async def run_forever(self) -> None:
        """Until `stop`: the first pass soon after start-up (not during it), then one every interval. Errors (a
        database that is away) wait for the next pass."""
        delay = min(self._interval_seconds, FIRST_PASS_DELAY_SECONDS)
        while not await self._stopped_within(delay):
            try:
                await self.run_once()
            except (MemgridError, sa.exc.SQLAlchemyError, OSError) as error:
                log.warning("retention.pass_failed", error=str(error))
            delay = self._interval_seconds

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()
