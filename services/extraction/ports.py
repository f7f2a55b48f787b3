"""The extraction seams: what an extractor and a reconciler take and return.

The offline (rule-based) implementations live next to this module; the LLM ones will implement the
same Protocols. Nothing here knows about protobuf or grpc.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from libs.domain import Candidate, Fact, MemoryAction, Message, Scope


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
    # The scope's most recent memories, newest first (context only; the offline rules do not need it).
    recent_memories: tuple[str, ...] = ()


class FactExtractor(Protocol):
    async def extract(self, messages: list[Message], scope: Scope, options: ExtractionOptions) -> list[Fact]:
        """The durable facts of a conversation, in conversation order."""
        ...


class MemoryReconciler(Protocol):
    async def reconcile(self, facts: list[Fact], candidates: list[Candidate]) -> list[MemoryAction]:
        """Per fact, ADD / UPDATE / DELETE / NONE against the candidates found for it, in fact order."""
        ...
