"""Timing probes for the profiling scripts: an async method, or every Milvus client call, patched to report
how long each call took. Each returns the function that puts the original back."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from services.vectorsearch.store import MilvusVectorStore


def time_method(owner: type, method: str, report: Callable[[float, float], None]) -> Callable[[], None]:
    """Patch the async `owner.method` so that every call reports (start, seconds)."""
    original = getattr(owner, method)

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            report(started, time.perf_counter() - started)

    setattr(owner, method, timed)
    return lambda: setattr(owner, method, original)


def time_milvus_calls(report: Callable[[str, float, float], None]) -> Callable[[], None]:
    """Milvus client methods run in worker threads through MilvusVectorStore._run: every call reports
    (the client method's name, start, seconds)."""
    original = MilvusVectorStore._run

    async def timed(store: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(store, function, *args, **kwargs)
        finally:
            report(getattr(function, "__name__", "call"), started, time.perf_counter() - started)

    MilvusVectorStore._run = timed  # type: ignore[method-assign]
    return lambda: setattr(MilvusVectorStore, "_run", original)
