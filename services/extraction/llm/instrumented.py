"""Telemetry around the LLM: a span and a dependency timing per chat call (all its attempts)."""

from __future__ import annotations

from collections.abc import Sequence

from libs.observability.telemetry import Telemetry
from services.extraction.llm.structured import ChatMessage, JsonChat


class InstrumentedJsonChat:
    """A JsonChat timing every call as `llm.<purpose>` (purposes are fixed names: extract, reconcile, ...)."""

    def __init__(self, inner: JsonChat, telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry

    async def complete_json(self, messages: Sequence[ChatMessage], *, purpose: str) -> str:
        with self._telemetry.step("llm", purpose, messages=len(messages)):
            return await self._inner.complete_json(messages, purpose=purpose)
