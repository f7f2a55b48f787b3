"""Idempotent requests: the same idempotency key within 24 h returns the first result and writes nothing new.

The key (REST `Idempotency-Key` header or `request_id` field; gRPC `request_id`) is claimed in the metadata
service before the request runs, and the result stored when it succeeds. A repeat of a completed request gets
the stored result; a repeat while the first is still running waits for it; a repeat with other parameters is
refused (400 naming `request_id`); a failed request releases its key so a retry runs again. A claim whose
request died (no result after the lease) is taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import structlog

from gateway.clients import MetadataClient
from gateway.commands import AddOutcome
from libs import domain
from libs.errors import InvalidArgument, MemgridError

log = structlog.get_logger()

T = TypeVar("T")

MAX_KEY_LENGTH = 255
# How often a repeat polls while the first request with its key is still running.
IN_PROGRESS_POLL_SECONDS = 0.05


def fingerprint(operation: str, parameters: Any) -> str:
    """A digest of what is asked: the same key must come with the same operation and parameters."""
    if dataclasses.is_dataclass(parameters) and not isinstance(parameters, type):
        parameters = dataclasses.asdict(parameters)
    text = json.dumps([operation, parameters], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Codec(Generic[T]):
    """How a result is kept for replay."""

    encode: Callable[[T], str]
    decode: Callable[[str], T]


class IdempotentRunner:
    def __init__(self, metadata: MetadataClient, *, lease_seconds: float) -> None:
        self._metadata = metadata
        self._lease_seconds = lease_seconds

    async def run(
        self,
        tenant: domain.Tenant,
        key: str | None,
        operation: str,
        parameters: Any,
        execute: Callable[[str | None], Awaitable[T]],
        codec: Codec[T],
    ) -> T:
        """`execute(claim_id)` once per key; without a key, `execute(None)`. The claim id names this use of the
        key (the same for a run taking over a dead one). The caller's deadline bounds the wait for a concurrent
        first request (each poll is a downstream call capped by it)."""
        if key is None or key == "":
            return await execute(None)
        if len(key) > MAX_KEY_LENGTH or not key.strip():
            raise InvalidArgument(
                f"request_id: an idempotency key must be 1 to {MAX_KEY_LENGTH} characters, not only spaces",
                field="request_id",
            )
        digest = fingerprint(operation, parameters)
        while True:
            claim = await self._metadata.begin_idempotent_request(tenant, key, digest, self._lease_seconds)
            if claim.state is domain.IdempotencyState.COMPLETED:
                log.info("idempotency.replayed", operation=operation)
                return codec.decode(claim.result or "")
            if claim.state is domain.IdempotencyState.STARTED:
                break
            await asyncio.sleep(IN_PROGRESS_POLL_SECONDS)
        try:
            result = await execute(claim.claim_id)
        except BaseException:
            with contextlib.suppress(MemgridError):
                await self._metadata.finish_idempotent_request(tenant, key, succeeded=False)
            raise
        try:
            await self._metadata.finish_idempotent_request(tenant, key, succeeded=True, result=codec.encode(result))
        except MemgridError as error:
            # The work is done and the caller gets its result; a repeat after the lease would run it again.
            log.warning("idempotency.store_failed", operation=operation, error=str(error))
        return result


def _encode_outcome(outcome: AddOutcome) -> str:
    return json.dumps(
        {
            "event_id": outcome.event_id,
            "changes": [
                {
                    "id": c.id,
                    "memory": c.memory,
                    "event": c.event.value,
                    "previous_memory": c.previous_memory,
                    "actor_id": c.actor_id,
                    "role": c.role.value if c.role else None,
                }
                for c in outcome.changes
            ],
        }
    )


def _decode_outcome(text: str) -> AddOutcome:
    data = json.loads(text)
    return AddOutcome(
        event_id=data["event_id"],
        changes=[
            domain.MemoryChange(
                id=c["id"],
                memory=c["memory"],
                event=domain.MemoryEvent(c["event"]),
                previous_memory=c["previous_memory"],
                actor_id=c["actor_id"],
                role=domain.Role(c["role"]) if c["role"] else None,
            )
            for c in data["changes"]
        ],
    )


ADD_OUTCOME: Codec[AddOutcome] = Codec(_encode_outcome, _decode_outcome)
COUNT: Codec[int] = Codec(str, int)
