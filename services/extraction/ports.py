"""The extraction seams: what an extractor and a reconciler take and return.

The offline (rule-based) implementations live next to this module; the LLM ones will implement the
same Protocols. Nothing here knows about protobuf or grpc.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from libs.domain import MemoryEvent, Message, Role, Scope


@dataclass(frozen=True, slots=True)
class ExtractionOptions:
    """Per-call extraction options (Mem0 `custom_instructions`, `custom_categories`, `includes`, `excludes`)."""

    custom_instructions: str = ""
    # Category name → description. When non-empty, facts are classified into these names only.
    custom_categories: dict[str, str] = field(default_factory=dict)
    # Comma-separated kinds of information to keep ("" = keep everything).
    includes: str = ""
    # Comma-separated kinds of information to drop.
    excludes: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact phrased as a standalone memory ("Is allergic to nuts")."""

    text: str
    attributed_to: Role
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An existing memory similar to the fact at `fact_index`."""

    memory_id: str
    text: str
    score: float
    immutable: bool
    fact_index: int


@dataclass(frozen=True, slots=True)
class MemoryAction:
    """One decided change. memory_id is empty for ADD; text is the text to store for ADD/UPDATE."""

    event: MemoryEvent
    memory_id: str
    text: str
    fact_index: int


class FactExtractor(Protocol):
    async def extract(self, messages: list[Message], scope: Scope, options: ExtractionOptions) -> list[Fact]:
        """The durable facts of a conversation, in conversation order."""
        ...


class MemoryReconciler(Protocol):
    async def reconcile(self, facts: list[Fact], candidates: list[Candidate]) -> list[MemoryAction]:
        """Per fact, ADD / UPDATE / DELETE / NONE against the candidates found for it, in fact order."""
        ...
