"""Webhooks and their deliveries, on an open session (the store owns transactions and the write lock).

A memory change queues one delivery row per subscribed, active webhook of its project, in the change's own
transaction: an event is never lost between the write and its delivery, and never sent for a write that rolled
back. The gateway's dispatcher claims due rows (a lease pushes `next_attempt_at` forward while it POSTs) and
records every attempt on the row; the rows stay afterwards as the delivery log.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import (
    AttemptRecord,
    DeliveryAttempt,
    DeliveryStatus,
    DueDelivery,
    Memory,
    Tenant,
    Webhook,
    WebhookChanges,
    WebhookDelivery,
    WebhookEventType,
)
from libs.errors import InvalidArgument, NotFound
from services.metadata.models import NAME_LENGTH, WebhookDeliveryRow, WebhookRow

MAX_URL_CHARS = 2048
MAX_CLAIM = 1000
SECRET_PREFIX = "whsec_"

# (event type, the memory as it is after the change (before it, for deletes), its previous text for updates)
MemoryEventItem = tuple[WebhookEventType, Memory, str | None]


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise InvalidArgument(f"url: at most {MAX_URL_CHARS} characters", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"url: must be an http(s) URL with a host, got {url[:100]!r}", field="url")
    return url


def check_name(name: str) -> str:
    if not name.strip():
        raise InvalidArgument("name: must not be empty", field="name")
    if len(name) > NAME_LENGTH:
        raise InvalidArgument(f"name: at most {NAME_LENGTH} characters", field="name")
    return name


def check_event_types(event_types: Sequence[WebhookEventType]) -> list[str]:
    if not event_types:
        raise InvalidArgument(
            f"event_types: at least one of {', '.join(WebhookEventType)} is required", field="event_types"
        )
    return list(dict.fromkeys(str(event) for event in event_types))


def webhook_from_row(row: WebhookRow, *, with_secret: bool = False) -> Webhook:
    return Webhook(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        url=row.url,
        event_types=[WebhookEventType(event) for event in row.event_types],
        owner=row.owner,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        secret=row.secret if with_secret else None,
    )


def _attempt_from_json(item: dict[str, Any]) -> DeliveryAttempt:
    return DeliveryAttempt(
        attempt=item["attempt"],
        at=datetime.fromisoformat(item["at"]),
        status_code=item.get("status_code"),
        error=item.get("error"),
        latency_ms=item.get("latency_ms", 0.0),
    )


def _attempt_to_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "at": attempt.at.isoformat(),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "latency_ms": attempt.latency_ms,
    }


def delivery_from_row(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_type=WebhookEventType(row.event_type),
        memory_id=row.memory_id,
        status=DeliveryStatus(row.status),
        attempts=[_attempt_from_json(item) for item in row.attempts],
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
    )


def _memory_json(memory: Memory, previous: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": memory.id,
        "memory": memory.memory,
        **{name: getattr(memory.scope, name) for name in ("user_id", "agent_id", "app_id", "run_id")},
        "metadata": memory.metadata,
        "categories": memory.categories,
        "created_at": memory.created_at.isoformat(),
        "updated_at": memory.updated_at.isoformat(),
    }
    if previous is not None:
        data["previous_memory"] = previous
    return data


def payload(tenant: Tenant, event: WebhookEventType, memory: Memory, previous: str | None, now: datetime) -> str:
    """The JSON body of a delivery (fixed when queued: every attempt sends, and signs, the same bytes)."""
    body = {
        "event_type": str(event),
        "memory": _memory_json(memory, previous),
        "org": tenant.org_id,
        "project": tenant.project_id,
        "created_at": now.isoformat(),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


async def queue(session: AsyncSession, tenant: Tenant, items: Sequence[MemoryEventItem], now: datetime) -> int:
    """Queue a delivery per (item, active webhook of the tenant subscribed to its event type)."""
    if not items:
        return 0
    hooks = list(
        await session.scalars(
            sa.select(WebhookRow).where(
                WebhookRow.org_id == tenant.org_id,
                WebhookRow.project_id == tenant.project_id,
                WebhookRow.is_active.is_(True),
            )
        )
    )
    rows = [
        WebhookDeliveryRow(
            id=str(uuid.uuid4()),
            org_id=tenant.org_id,
            project_id=tenant.project_id,
            webhook_id=hook.id,
            event_type=str(event),
            memory_id=memory.id,
            body=payload(tenant, event, memory, previous, now),
            status=str(DeliveryStatus.PENDING),
            attempts=[],
            created_at=now,
            next_attempt_at=now,
        )
        for event, memory, previous in items
        for hook in hooks
        if str(event) in hook.event_types
    ]
    session.add_all(rows)
    return len(rows)


# --- CRUD -------------------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    tenant: Tenant,
    *,
    name: str,
    url: str,
    event_types: Sequence[WebhookEventType],
    owner: str | None,
    now: datetime,
) -> Webhook:
    row = WebhookRow(
        id=str(uuid.uuid4()),
        org_id=tenant.org_id,
        project_id=tenant.project_id,
        name=check_name(name),
        url=check_url(url),
        event_types=check_event_types(event_types),
        owner=(owner or None) and owner[:NAME_LENGTH],
        is_active=True,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return webhook_from_row(row, with_secret=True)


async def own_row(session: AsyncSession, tenant: Tenant, webhook_id: str) -> WebhookRow:
    """The tenant's webhook, or NotFound (also for other tenants' ids)."""
    row = await session.get(WebhookRow, webhook_id) if webhook_id else None
    if row is None or (row.org_id, row.project_id) != (tenant.org_id, tenant.project_id):
        raise NotFound(f"webhook {webhook_id} not found", field="webhook_id")
    return row


async def update(
    session: AsyncSession, tenant: Tenant, webhook_id: str, changes: WebhookChanges, now: datetime
) -> Webhook:
    row = await own_row(session, tenant, webhook_id)
    if changes.name is not None:
        row.name = check_name(changes.name)
    if changes.url is not None:
        row.url = check_url(changes.url)
    if changes.event_types is not None:
        row.event_types = check_event_types(changes.event_types)
    if changes.is_active is not None:
        row.is_active = changes.is_active
    row.updated_at = now
    return webhook_from_row(row)


async def delete(session: AsyncSession, tenant: Tenant, webhook_id: str) -> Webhook:
    """Delete the webhook and its deliveries (pending ones are not sent; the log goes with it)."""
    row = await own_row(session, tenant, webhook_id)
    webhook = webhook_from_row(row)
    await session.execute(sa.delete(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == row.id))
    await session.delete(row)
    return webhook


async def list_for(session: AsyncSession, tenant: Tenant) -> list[Webhook]:
    rows = await session.scalars(
        sa.select(WebhookRow)
        .where(WebhookRow.org_id == tenant.org_id, WebhookRow.project_id == tenant.project_id)
        .order_by(WebhookRow.created_at, WebhookRow.id)
    )
    return [webhook_from_row(row) for row in rows]


async def list_deliveries(
    session: AsyncSession, tenant: Tenant, webhook_id: str, offset: int, limit: int
) -> tuple[list[WebhookDelivery], int]:
    """A webhook's deliveries, newest first (NotFound for another tenant's webhook)."""
    await own_row(session, tenant, webhook_id)
    where = WebhookDeliveryRow.webhook_id == webhook_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(WebhookDeliveryRow).where(where))
    rows = await session.scalars(
        sa.select(WebhookDeliveryRow)
        .where(where)
        .order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id)
        .offset(offset)
        .limit(limit)
    )
    return [delivery_from_row(row) for row in rows], int(total or 0)


# --- dispatching ------------------------------------------------------------------------------------


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        WebhookDeliveryRow.status == str(DeliveryStatus.PENDING),
        WebhookDeliveryRow.next_attempt_at <= now,
        WebhookRow.is_active.is_(True),
    )


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """Whether a claim now would find a delivery: a read, so an idle dispatcher's polls write nothing."""
    found = sa.select(WebhookDeliveryRow.id).join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
    return await session.scalar(found.where(_due(now)).limit(1)) is not None


async def claim_due(session: AsyncSession, now: datetime, limit: int, lease_seconds: float) -> list[DueDelivery]:
    """Due deliveries of active webhooks, across tenants, oldest due first; each is leased (not due again
    for `lease_seconds`), so a dispatcher that dies mid-POST leaves it to be retried, not lost."""
    found = (
        await session.execute(
            sa.select(WebhookDeliveryRow, WebhookRow)
            .join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
            .where(_due(now))
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
            # PostgreSQL: gateways claiming at the same time skip each other's rows instead of both taking them
            # (SQLite has one writer at a time, and no such clause).
            .with_for_update(of=WebhookDeliveryRow, skip_locked=True)
        )
    ).all()
    leased_until = now + timedelta(seconds=lease_seconds)
    claimed = []
    for delivery, hook in found:
        delivery.next_attempt_at = leased_until
        claimed.append(
            DueDelivery(
                id=delivery.id,
                tenant=Tenant(delivery.org_id, delivery.project_id),
                webhook_id=hook.id,
                url=hook.url,
                secret=hook.secret,
                body=delivery.body,
                attempts_made=len(delivery.attempts),
            )
        )
    return claimed


async def record(session: AsyncSession, item: AttemptRecord) -> bool:
    """Append an attempt to its delivery and set the delivery's state. False (nothing written) when the
    delivery is gone or this attempt number was already recorded (a dispatcher whose lease ran out)."""
    row = await session.get(WebhookDeliveryRow, item.delivery_id)
    if row is None or row.status != str(DeliveryStatus.PENDING) or len(row.attempts) != item.attempt.attempt - 1:
        return False
    row.attempts = [*row.attempts, _attempt_to_json(item.attempt)]
    row.status = str(item.status)
    row.next_attempt_at = item.next_attempt_at if item.status is DeliveryStatus.PENDING else None
    return True
