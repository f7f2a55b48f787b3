"""The caller's deadline of the RPC being served, visible to the LLM client without threading it through every call.

The servicer opens `deadline_scope(context.time_remaining())` around a request; the LLM client caps each HTTP
attempt by `remaining()` and does not start a retry the caller could no longer wait for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("memgrid_extraction_deadline", default=None)


@contextmanager
def deadline_scope(seconds: float | None) -> Iterator[None]:
    """Within the block, `remaining()` counts down from `seconds` (None = no deadline)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current request's deadline (may be negative), or None without one."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()
