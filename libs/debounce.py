"""Work done in the background soon after it is asked for, once for every request made meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable


class Debounced:
    """Runs `action` in a background task at most `delay_seconds` after the first request, or at once after a
    request with `now=True`; requests made while it waits join that run, requests made once it has begun start
    the next one. `close` runs what is waiting now and waits for every run. The tasks have a context of their own
    (not the requester's deadline, request id or span)."""

    def __init__(self, action: Callable[[], Awaitable[None]], *, delay_seconds: float, name: str) -> None:
        self._action = action
        self._delay_seconds = delay_seconds
        self._name = name
        self._waiting: tuple[asyncio.Task[None], asyncio.Event] | None = None  # the run not begun yet
        self._runs: set[asyncio.Task[None]] = set()

    def request(self, *, now: bool = False) -> None:
        # A waiting task that is done was cancelled with its event loop (tests run one object in several loops,
        # one after the other): the next run gets a task, and an event, of this loop.
        if self._waiting is None or self._waiting[0].done():
            due = asyncio.Event()
            task = asyncio.create_task(self._run(due), name=self._name, context=contextvars.Context())
            self._runs.add(task)
            task.add_done_callback(self._runs.discard)
            self._waiting = (task, due)
        if now:
            self._waiting[1].set()

    async def close(self) -> None:
        """Run what is waiting now, and wait for every run (never cancels one under way)."""
        if self._waiting is not None:
            self._waiting[1].set()
        running = [task for task in self._runs if not task.done()]
        if running:
            await asyncio.gather(*running)

    async def _run(self, due: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(due.wait(), self._delay_seconds)
        if self._waiting is not None and self._waiting[1] is due:
            self._waiting = None  # from here on a request starts the next run
        await self._action()
