"""The deadline of the request being served, visible to every downstream call without threading it through.

The server interceptor opens `deadline_scope(context.time_remaining())` around each RPC and the gateway's REST
middleware opens one with its request budget; clients cap each call by `timeout_within(cap)`, so deadlines
shrink on the way down and nothing waits for a caller that has already given up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from libs.errors import UpstreamTimeout

_DEADLINE: ContextVar[float | None] = ContextVar("memgrid_request_deadline", default=None)


@contextmanager
def deadline_scope(seconds: float | None) -> Iterator[None]:
    """Within the block, `remaining()` counts down from `seconds` (None = no deadline; an outer, earlier
    deadline still applies)."""
    outer = _DEADLINE.get()
    mine = None if seconds is None else time.monotonic() + seconds
    token = _DEADLINE.set(mine if outer is None else outer if mine is None else min(outer, mine))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current request's deadline (may be negative), or None without one."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def timeout_within(cap: float) -> float:
    """The timeout for a downstream call: `cap`, shortened to what is left of the request's deadline.

    Raises UpstreamTimeout when nothing is left, so no call is started that the caller cannot wait for."""
    left = remaining()
    if left is None:
        return cap
    if left <= 0:
        raise UpstreamTimeout("deadline exceeded before the next downstream call")
    return min(cap, left)
