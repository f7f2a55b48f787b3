"""Idempotency keys: the first request with a key claims it and stores its result; later ones replay it.

A claim whose request died (no result after `lease`) or failed (released) is taken over by the next request with
the key, which keeps the claim id (so it can find what the earlier run wrote); keys are forgotten after
`retention` (24 h by default), and deleted by the retention pass (retention.py) once past it. The same key with
other parameters (another fingerprint) is refused while a request holds it or after it succeeded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import IdempotencyClaim, IdempotencyState, Tenant
from libs.errors import InvalidArgument
from services.metadata.models import IdempotencyKeyRow

DEFAULT_RETENTION = timedelta(hours=24)
MAX_RETENTION = timedelta(days=365)
MAX_LEASE = timedelta(days=1)
# The claim time of a released key: older than any lease.
RELEASED = datetime(1970, 1, 1, tzinfo=UTC)
MAX_KEY_LENGTH = 255


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(f"key: idempotency key must be 1 to {MAX_KEY_LENGTH} characters", field="key")


async def begin(
    session: AsyncSession,
    tenant: Tenant,
    key: str,
    fingerprint: str,
    *,
    now: datetime,
    lease: timedelta,
    retention: timedelta,
) -> IdempotencyClaim:
    """Claim `key` (in a write transaction the caller holds) or report what holds it."""
    check_key(key)
    row = await session.get(
        IdempotencyKeyRow, (tenant.org_id, tenant.project_id, key), with_for_update=True, populate_existing=True
    )
    if row is None:
        claim_id = str(uuid.uuid4())
        session.add(
            IdempotencyKeyRow(
                org_id=tenant.org_id,
                project_id=tenant.project_id,
                key=key,
                fingerprint=fingerprint,
                claim_id=claim_id,
                completed=False,
                result=None,
                created_at=now,
                claimed_at=now,
                expires_at=now + retention,
            )
        )
        await session.flush()
        return IdempotencyClaim(IdempotencyState.STARTED, claim_id)
    expired = row.created_at < now - retention
    abandoned = not row.completed and row.claimed_at < now - lease
    if expired or abandoned:
        row.fingerprint, row.completed, row.result, row.claimed_at = fingerprint, False, None, now
        if expired:
            row.created_at, row.claim_id, row.expires_at = now, str(uuid.uuid4()), now + retention
        return IdempotencyClaim(IdempotencyState.STARTED, row.claim_id)
    if row.fingerprint != fingerprint:
        raise InvalidArgument(
            "request_id: this idempotency key was already used for a different request "
            "(another operation or other parameters); use a new key",
            field="request_id",
        )
    if row.completed:
        return IdempotencyClaim(IdempotencyState.COMPLETED, row.claim_id, row.result)
    return IdempotencyClaim(IdempotencyState.IN_PROGRESS, row.claim_id)


async def finish(session: AsyncSession, tenant: Tenant, key: str, *, succeeded: bool, result: str) -> None:
    """Store the result of a claimed request, or release the claim of a failed one so a retry runs it again."""
    check_key(key)
    where = sa.and_(
        IdempotencyKeyRow.org_id == tenant.org_id,
        IdempotencyKeyRow.project_id == tenant.project_id,
        IdempotencyKeyRow.key == key,
        IdempotencyKeyRow.completed.is_(False),
    )
    if succeeded:
        await session.execute(sa.update(IdempotencyKeyRow).where(where).values(completed=True, result=result))
    else:
        # Released, not forgotten: the next request with the key takes it over at once and keeps its claim id,
        # so it finds whatever the failed run wrote before it failed instead of writing it again.
        await session.execute(sa.update(IdempotencyKeyRow).where(where).values(claimed_at=RELEASED))


def forgotten(now: datetime) -> sa.ColumnElement[bool]:
    """Keys past their retention (keys from before their expiry was kept: past the longest retention) that no
    request still holds (an unfinished claim within the longest lease): the retention pass deletes them."""
    expired = sa.or_(
        IdempotencyKeyRow.expires_at < now,
        sa.and_(IdempotencyKeyRow.expires_at.is_(None), IdempotencyKeyRow.created_at < now - MAX_RETENTION),
    )
    idle = sa.or_(IdempotencyKeyRow.completed.is_(True), IdempotencyKeyRow.claimed_at < now - MAX_LEASE)
    return sa.and_(expired, idle)
