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
from services.metadata import idempotency, jobs
from services.metadata.models import EventRow, IdempotencyKeyRow, JobRow, WebhookDeliveryRow

log = structlog.get_logger()

# Rows deleted per transaction (SQLite has one writer: requests wait for at most one batch).
PRUNE_BATCH = 1_000
# The first pass waits this long (or the interval, if shorter): a service that has just started serves first.
FIRST_PASS_DELAY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class LogTable:
    """One table the pass trims: its key columns, and which rows may go given the cutoff and the time now."""

    name: str
    model: Any
    key: tuple[Any, ...]
    doomed: Callable[[datetime, datetime], sa.ColumnElement[bool]]


def _finished_before_cutoff(status: Any, finished: tuple[str, ...], age_from: Any) -> Any:
    """Rows in a finished status whose age (counted from `age_from`) is past the cutoff."""
    return lambda cutoff, _now: sa.and_(status.in_(finished), age_from < cutoff)


LOGS = (
    LogTable(
        "events",
        EventRow,
        (EventRow.id,),
        _finished_before_cutoff(
            EventRow.status, (str(EventStatus.SUCCEEDED), str(EventStatus.FAILED)), EventRow.created_at
        ),
    ),
    LogTable(
        "jobs",
        JobRow,
        (JobRow.id,),
        _finished_before_cutoff(JobRow.status, (jobs.DONE, jobs.FAILED), JobRow.updated_at),
    ),
    LogTable(
        "webhook_deliveries",
        WebhookDeliveryRow,
        (WebhookDeliveryRow.id,),
        _finished_before_cutoff(
            WebhookDeliveryRow.status,
            (str(DeliveryStatus.SUCCEEDED), str(DeliveryStatus.FAILED)),
            WebhookDeliveryRow.created_at,
        ),
    ),
    # Idempotency keys carry their own retention (the request's): the cutoff does not apply to them.
    LogTable(
        "idempotency_keys",
        IdempotencyKeyRow,
        (IdempotencyKeyRow.org_id, IdempotencyKeyRow.project_id, IdempotencyKeyRow.key),
        lambda _cutoff, now: idempotency.forgotten(now),
    ),
)


async def delete_batch(session: AsyncSession, table: LogTable, cutoff: datetime, now: datetime, limit: int) -> int:
    """Delete up to `limit` rows of `table` that may go; how many went."""
    doomed = sa.select(*table.key).where(table.doomed(cutoff, now)).limit(limit)
    chosen = table.key[0].in_(doomed) if len(table.key) == 1 else sa.tuple_(*table.key).in_(doomed)
    result = await session.execute(sa.delete(table.model).where(chosen))
    return int(result.rowcount or 0)


class Prunable(Protocol):
    async def prune_log(self, table: LogTable, cutoff: datetime, limit: int) -> int: ...


class Retention:
    """The background pass: once `start`ed it prunes soon after start-up and then every `interval_seconds`, table
    by table, a batch at a time until one is not full; `close` ends it between two batches (never inside a
    transaction)."""

    def __init__(self, store: Prunable, *, days: float, interval_seconds: float, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._keep = timedelta(days=days)
        self._interval_seconds = interval_seconds
        self._clock = clock
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> dict[str, int]:
        """Prune everything finished before now minus the retention; how many rows went, per table."""
        cutoff = self._clock() - self._keep
        pruned: dict[str, int] = {}
        for table in LOGS:
            pruned[table.name] = 0
            while not self._stopping.is_set():
                deleted = await self._store.prune_log(table, cutoff, PRUNE_BATCH)
                pruned[table.name] += deleted
                if deleted < PRUNE_BATCH:
                    break
        if any(pruned.values()):
            log.info("retention.pruned", retention_days=self._keep.total_seconds() / 86400, **pruned)
        return pruned

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="retention")

    async def close(self) -> None:
        """Stop after the batch under way, if any."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _run_forever(self) -> None:
        """Until `close`: the first pass soon after start-up (not during it), then one every interval. Errors (a
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
