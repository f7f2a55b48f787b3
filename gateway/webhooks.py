"""Webhook deliveries: signing, retry schedule and the dispatcher that POSTs what the metadata service queued.

Memory writes queue one delivery row per subscribed webhook in their own transaction (see
services/metadata/webhooks.py), so the user's write never waits for a receiver. The dispatcher claims due rows
(leased, so a crash mid-POST means a retry, not a loss), POSTs each signed body with a timeout, and records the
attempt: 2xx succeeds; anything else is retried after base * 2^(attempt-1) seconds (capped) until
`max_attempts`, then the delivery is FAILED.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.backoff import backoff_seconds
from gateway.clients import MetadataClient
from libs import domain
from libs.errors import InvalidArgument, MemgridError

log = structlog.get_logger()

SIGNATURE_HEADER = "X-Memgrid-Signature"
TIMESTAMP_HEADER = "X-Memgrid-Timestamp"
DELIVERY_HEADER = "X-Memgrid-Delivery"
USER_AGENT = "memgrid-webhooks/1"
# Characters of a receiver's error kept in the delivery log.
MAX_ERROR_CHARS = 500


class WebhookSettings(BaseModel):
    """MEMGRID_WEBHOOKS__<NAME> (e.g. MEMGRID_WEBHOOKS__MAX_ATTEMPTS=8)."""

    model_config = ConfigDict(frozen=True)

    # Run the dispatcher in this gateway (deliveries still queue when it is off; another gateway may send them).
    enabled: bool = True
    # How often the dispatcher looks for due deliveries when it found none.
    poll_interval_seconds: float = Field(1.0, gt=0)
    # Deliveries claimed (and POSTed concurrently) at a time.
    batch_size: int = Field(50, ge=1, le=1000)
    # Budget of one POST (connect + response).
    timeout_seconds: float = Field(5.0, gt=0)
    # Attempts before a delivery is FAILED (1 = no retries).
    max_attempts: int = Field(5, ge=1, le=50)
    # Wait before retry n: backoff_base_seconds * 2^(n-1), at most backoff_max_seconds.
    backoff_base_seconds: float = Field(10.0, gt=0)
    backoff_max_seconds: float = Field(3600.0, gt=0)
    # A claimed delivery is due again after this long if its attempt was never recorded (the gateway died).
    lease_seconds: float = Field(60.0, gt=0)
    # Deliver to loopback, private, link-local and other non-public addresses. True suits the embedded,
    # single-user stack (receivers on localhost); set false when untrusted callers can create webhooks (SSRF).
    allow_private_addresses: bool = True

    @model_validator(mode="after")
    def _lease_outlives_a_post(self) -> WebhookSettings:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("webhooks.lease_seconds must be longer than webhooks.timeout_seconds")
        return self


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Memgrid-Signature value: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>" keyed by the secret>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_types_from_names(names: Sequence[str], field: str = "event_types") -> list[domain.WebhookEventType]:
    allowed = ", ".join(domain.WebhookEventType)
    if not names:
        raise InvalidArgument(f"{field}: at least one of {allowed} is required", field=field)
    events = []
    for name in names:
        try:
            events.append(domain.WebhookEventType(name))
        except ValueError:
            raise InvalidArgument(f"{field}: must be among {allowed}, got {name!r}", field=field) from None
    return events


async def _private_address(url: str) -> str | None:
    """The first non-public address the URL's host resolves to, or None."""
    host = urlsplit(url).hostname or ""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return str(address)
    return None


class WebhookDispatcher:
    def __init__(self, metadata: MetadataClient, http: httpx.AsyncClient, settings: WebhookSettings) -> None:
        self._metadata = metadata
        self._http = http
        self._settings = settings

    async def run_once(self) -> int:
        """Claim due deliveries and make one attempt each; returns how many were claimed."""
        due = await self._metadata.claim_webhook_deliveries(self._settings.batch_size, self._settings.lease_seconds)
        if due:
            records = await asyncio.gather(*(self._attempt(delivery) for delivery in due))
            await self._metadata.record_webhook_attempts(records)
        return len(due)

    async def run_forever(self) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except MemgridError as error:
                log.warning("webhooks.pass_failed", error=str(error))
                claimed = 0
            if claimed < self._settings.batch_size:
                await asyncio.sleep(self._settings.poll_interval_seconds)

    async def _attempt(self, due: domain.DueDelivery) -> domain.AttemptRecord:
        number = due.attempts_made + 1
        at = datetime.now(UTC)
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        final = False
        try:
            refused = None if self._settings.allow_private_addresses else await _private_address(due.url)
            if refused is not None:
                error = f"refused: the host resolves to the non-public address {refused}"
                final = True
            else:
                status_code = await self._post(due)
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR_CHARS]
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        attempt = domain.DeliveryAttempt(number, at, status_code, error, latency_ms)
        if error is None:
            status, next_at = domain.DeliveryStatus.SUCCEEDED, None
        elif final or number >= self._settings.max_attempts:
            status, next_at = domain.DeliveryStatus.FAILED, None
        else:
            wait = backoff_seconds(number, self._settings.backoff_base_seconds, self._settings.backoff_max_seconds)
            status, next_at = domain.DeliveryStatus.PENDING, datetime.now(UTC) + timedelta(seconds=wait)
        log.info(
            "webhook.attempted",
            delivery_id=due.id,
            webhook_id=due.webhook_id,
            attempt=number,
            status_code=status_code,
            outcome=str(status),
            latency_ms=latency_ms,
        )
        return domain.AttemptRecord(due.id, attempt, status, next_at)

    async def _post(self, due: domain.DueDelivery) -> int:
        body = due.body.encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(due.secret, timestamp, body),
            TIMESTAMP_HEADER: str(timestamp),
            DELIVERY_HEADER: due.id,
        }
        response = await self._http.post(due.url, content=body, headers=headers, timeout=self._settings.timeout_seconds)
        return response.status_code
