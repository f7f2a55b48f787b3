"""The durable job queue: asynchronous adds wait here until a gateway worker claims them.

A job is PENDING until claimed; a claim makes it RUNNING with a lease and a new claim token, and marks its event
RUNNING in the same transaction. A RUNNING job whose lease has expired (its worker died, or its gateway was
killed) is due again, so a restart loses no job. On PostgreSQL the due rows are first locked with SELECT ...
FOR UPDATE SKIP LOCKED, so replicas claiming at the same moment take different jobs; SQLite has one writer at a
time, so one UPDATE ... WHERE id IN (due ids) RETURNING is atomic. Finishing requires the claim token: a worker
whose lease expired and whose job another worker took cannot finish it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import Event, EventStatus, Job, JobOutcome, Tenant
from libs.errors import InvalidArgument
from services.metadata.durations import checked_seconds
from services.metadata.models import EVENT_TYPE_LENGTH, ID_LENGTH, EventRow, JobRow

MAX_CLAIM = 100
PENDING = "PENDING"
RUNNING = "RUNNING"
DONE = "DONE"
FAILED = "FAILED"
_FINAL_STATUS = {JobOutcome.SUCCEEDED: DONE, JobOutcome.FAILED: FAILED, JobOutcome.RETRY: PENDING}


def check_new(job_id: str, kind: str, payload: str, event: Event) -> None:
    if not job_id:
        raise InvalidArgument("job_id: must not be empty", field="job_id")
    if len(job_id) > ID_LENGTH:
        raise InvalidArgument(f"job_id: at most {ID_LENGTH} characters, got {len(job_id)}", field="job_id")
    if not kind or len(kind) > EVENT_TYPE_LENGTH:
        raise InvalidArgument(f"kind: 1 to {EVENT_TYPE_LENGTH} characters", field="kind")
    if not payload:
        raise InvalidArgument("payload: must not be empty", field="payload")
    if event.id != job_id:
        raise InvalidArgument("event.id: must be the job id", field="event.id")


def enqueue(session: AsyncSession, tenant: Tenant, job_id: str, kind: str, payload: str, now: datetime) -> None:
    session.add(
        JobRow(
            id=job_id,
            org_id=tenant.org_id,
            project_id=tenant.project_id,
            kind=kind,
            payload=payload,
            status=PENDING,
            attempts=0,
            due_at=now,
            created_at=now,
            updated_at=now,
        )
    )


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(JobRow.status == PENDING, JobRow.due_at <= now),
        sa.and_(JobRow.status == RUNNING, JobRow.lease_until < now),
    )


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """Whether a claim now would find a job: a read, so idle workers polling an empty queue write nothing."""
    return await session.scalar(sa.select(JobRow.id).where(_due(now)).limit(1)) is not None


async def claim(session: AsyncSession, dialect: str, limit: int, lease_seconds: float, now: datetime) -> list[Job]:
    due = _due(now)
    candidates = sa.select(JobRow.id).where(due).order_by(JobRow.due_at, JobRow.id).limit(limit)
    if dialect == "postgresql":
        # Locked first, in a statement of their own: inside the UPDATE, PostgreSQL may run a LIMIT ... SKIP LOCKED
        # subquery more than once and so take more rows than the limit.
        chosen: Any = list(await session.scalars(candidates.with_for_update(skip_locked=True)))
        if not chosen:
            return []
    else:
        # One statement: SQLite runs one writer at a time, so nobody claims between its read and its write.
        chosen = candidates.scalar_subquery()
    token = str(uuid.uuid4())
    claimed = await session.execute(
        sa.update(JobRow)
        .where(JobRow.id.in_(chosen), due)
        .values(
            status=RUNNING,
            attempts=JobRow.attempts + 1,
            lease_until=now + timedelta(seconds=lease_seconds),
            claim_token=token,
            updated_at=now,
        )
        .returning(
            JobRow.id, JobRow.org_id, JobRow.project_id, JobRow.kind, JobRow.payload, JobRow.attempts, JobRow.created_at
        )
        .execution_options(synchronize_session=False)
    )
    jobs = [
        Job(row.id, Tenant(row.org_id, row.project_id), row.kind, row.payload, row.attempts, token, row.created_at)
        for row in claimed
    ]
    if jobs:
        await session.execute(
            sa.update(EventRow)
            .where(EventRow.id.in_([job.id for job in jobs]))
            .values(status=str(EventStatus.RUNNING), started_at=now, completed_at=None)
            .execution_options(synchronize_session=False)
        )
    return sorted(jobs, key=lambda job: (job.created_at, job.id))


async def finish(
    session: AsyncSession,
    tenant: Tenant,
    job_id: str,
    claim_token: str,
    outcome: JobOutcome,
    retry_after_seconds: float,
    error: str | None,
    now: datetime,
    record_event: Callable[[AsyncSession], Awaitable[None]],
) -> bool:
    """Apply the outcome if `claim_token` still holds the job; `record_event(session)` then stores its event."""
    if not claim_token:
        raise InvalidArgument("claim_token: must not be empty", field="claim_token")
    checked_seconds(retry_after_seconds, "retry_after_seconds", positive=False)
    query = sa.select(JobRow).where(
        JobRow.id == job_id,
        JobRow.org_id == tenant.org_id,
        JobRow.project_id == tenant.project_id,
        JobRow.status == RUNNING,
        JobRow.claim_token == claim_token,
    )
    row = await session.scalar(query.with_for_update())
    if row is None:
        return False
    row.status = _FINAL_STATUS[outcome]
    row.lease_until = None
    row.claim_token = None
    row.last_error = error
    row.updated_at = now
    if outcome is JobOutcome.RETRY:
        row.due_at = now + timedelta(seconds=retry_after_seconds)
    await record_event(session)
    return True
