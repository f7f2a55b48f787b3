"""Inputs of the store that libs.domain has no type for (they only exist inside this service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from libs.domain import Memory, Role, Scope


@dataclass(slots=True)
class NewMemory:
    """A memory to store; the caller chooses the id."""

    id: str
    text: str
    scope: Scope
    metadata: dict[str, Any] | None = None
    categories: list[str] | None = None
    immutable: bool = False
    expiration_date: date | None = None
    created_at: datetime | None = None
    actor_id: str | None = None
    role: Role | None = None


@dataclass(slots=True)
class MemoryPatch:
    """A change to one memory. None means "leave as is"."""

    memory_id: str
    text: str | None = None
    metadata: dict[str, Any] | None = None
    expiration_date: date | None = None
    clear_expiration_date: bool = False
    updated_at: datetime | None = None
    respect_immutable: bool = False


@dataclass(slots=True)
class UpdatedMemory:
    memory: Memory
    previous_text: str
