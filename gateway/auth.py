"""API-key authentication and the READER/OWNER rule for both surfaces, with a short cache in front of the
metadata service."""

from __future__ import annotations

import hashlib
import time

from gateway.orchestrator import Orchestrator
from libs import domain
from libs.errors import PermissionDenied, Unauthenticated

SCHEMES = ("token", "bearer")


def parse_authorization(header: str | None) -> str:
    """`Token <key>` (Mem0's scheme; `Bearer` is accepted too) → the key."""
    if not header:
        raise Unauthenticated("Authentication credentials were not provided. Send 'Authorization: Token <key>'.")
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() not in SCHEMES or not key.strip():
        raise Unauthenticated("Invalid Authorization header. Expected 'Token <API key>'.")
    return key.strip()


def writer_tenant(caller: domain.Caller) -> domain.Tenant:
    """The caller's project when its key may change things; PermissionDenied for a READER key."""
    if not caller.role.can_write:
        tenant = caller.tenant
        raise PermissionDenied(
            f"this API key has the {caller.role} role in project {tenant.org_id}/{tenant.project_id}: "
            "it can read but not change memories, entities, settings or members",
            field="authorization",
        )
    return caller.tenant


class Authenticator:
    def __init__(self, orchestrator: Orchestrator, cache_seconds: float) -> None:
        self._orchestrator = orchestrator
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, domain.Caller]] = {}

    async def caller_for(self, authorization: str | None) -> domain.Caller:
        key = parse_authorization(authorization)
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        caller = await self._orchestrator.authenticate(key)
        self._cache[digest] = (now + self._cache_seconds, caller)
        return caller


def owner_of(caller: domain.Caller) -> str:
    """Who a created object belongs to: the member the key was made for, else the key itself."""
    return caller.member_email or caller.key_id
