"""Milvus Lite's deferred flush: a write returns before any flush, is searchable and durable at once, and
one background flush soon covers every write before it, never overlapping one (lite_flush.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from milvus_lite.engine import collection as lite_collection

from libs.domain import Scope, Tenant, VectorRecord
from libs.filters import parse_filters
from services.vectorsearch.embedder import HashingEmbedder
from services.vectorsearch.lite_flush import DeferredFlush, FlushGate
from services.vectorsearch.models import StoredVector
from services.vectorsearch.store import LITE_FLUSH_DELAY_SECONDS, LITE_MAX_UNFLUSHED_ROWS, MilvusVectorStore

from .support import on_lite_only, open_hashing_store

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TENANT = Tenant(org_id="flush", project_id="p")
REPO = Path(__file__).resolve().parents[2]


def stored(embedder: HashingEmbedder, prefix: str, count: int, user_id: str = "u") -> list[StoredVector]:
    texts = [f"note {prefix} {i}" for i in range(count)]
    vectors = embedder.embed(texts)
    return [
        StoredVector(VectorRecord(f"{prefix}-{i}", text, Scope(user_id=user_id), NOW, NOW), vector)
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
    ]


async def ids_found(store: MilvusVectorStore, embedder: HashingEmbedder, top_k: int = 1000) -> set[str]:
    search = store.compile_search(TENANT, parse_filters({"user_id": "u"}), None)
    [hits] = await store.search(search, embedder.embed(["note"]), top_k)
    return {hit.memory_id for hit in hits}


async def ids_after_reopening(path: Path, embedder: HashingEmbedder) -> set[str]:
    """What a store opened afresh on the same Milvus Lite directory finds."""
    store, _ = open_hashing_store(str(path), "deferred", lite=True)
    try:
        return await ids_found(store, embedder)
    finally:
        await store.close()


class CallLog:
    """Records when the store's pymilvus calls start and end (they run in worker threads)."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self._lock = threading.Lock()

    def wrap(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.events.append(f"{name} start")
            try:
                return call(*args, **kwargs)
            finally:
                with self._lock:
                    self.events.append(f"{name} end")

        return run

    def count(self, event: str) -> int:
        with self._lock:
            return self.events.count(event)


def logged_store(path: Path) -> tuple[MilvusVectorStore, HashingEmbedder, CallLog]:
    store, embedder = open_hashing_store(str(path), "deferred", lite=True)
    calls = CallLog()
    for name in ("upsert", "delete", "flush"):
        setattr(store._client, name, calls.wrap(name, getattr(store._client, name)))
    return store, embedder, calls


async def eventually(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


# --- the store on Milvus Lite ------------------------------------------------------------------------------------


@on_lite_only
async def test_a_write_returns_before_any_flush_is_searchable_at_once_and_flushed_soon_after(tmp_path: Path) -> None:
    store, embedder, calls = logged_store(tmp_path / "milvus.db")
    try:
        assert await store.upsert(TENANT, stored(embedder, "a", 5)) == 5
        assert calls.count("flush start") == 0
        await store.delete(TENANT, ["a-0"])
        assert calls.count("flush start") == 0
        assert store._deferred_flush is not None and store._deferred_flush.pending_rows == 6
        assert await ids_found(store, embedder) == {f"a-{i}" for i in range(1, 5)}
        # One flush for both writes, within the delay.
        assert await eventually(lambda: calls.count("flush end") == 1, LITE_FLUSH_DELAY_SECONDS + 5)
        await asyncio.sleep(LITE_FLUSH_DELAY_SECONDS * 2)
        assert calls.count("flush start") == 1
        assert await ids_found(store, embedder) == {f"a-{i}" for i in range(1, 5)}
    finally:
        await store.close()


@on_lite_only
async def test_concurrent_writes_share_flushes_and_never_overlap_one(tmp_path: Path) -> None:
    store, embedder, calls = logged_store(tmp_path / "milvus.db")
    batch = LITE_MAX_UNFLUSHED_ROWS // 4 + 1  # every fourth write reaches the row limit
    try:
        counts = await asyncio.gather(*(store.upsert(TENANT, stored(embedder, f"c{b}", batch)) for b in range(12)))
        assert counts == [batch] * 12
    finally:
        await store.close()
    # Several writes a flush (a flush queues for the write lock behind the writes already waiting for it)...
    assert calls.events.count("upsert start") == 12
    assert 1 <= calls.count("flush start") < 12, calls.events
    # ...and writes and flushes one at a time (Lite's "current_seq is monotonic"): every start is followed by its end.
    for started, ended in zip(calls.events[::2], calls.events[1::2], strict=True):
        assert started.removesuffix(" start") == ended.removesuffix(" end"), calls.events
    assert len(await ids_after_reopening(tmp_path / "milvus.db", embedder)) == 12 * batch


@on_lite_only
async def test_close_flushes_what_is_waiting(tmp_path: Path) -> None:
    store, embedder, calls = logged_store(tmp_path / "milvus.db")
    await store.upsert(TENANT, stored(embedder, "w", 3))
    await store.close()
    assert calls.count("flush end") == 1
    assert await ids_after_reopening(tmp_path / "milvus.db", embedder) == {"w-0", "w-1", "w-2"}


@on_lite_only
async def test_unflushed_writes_survive_a_killed_process(tmp_path: Path) -> None:
    """The writes are in Lite's write-ahead log before the upsert returns; opening the collection replays it."""
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.vectorsearch.support import open_hashing_store
        from tests.vectorsearch.test_vectorsearch_lite_flush import TENANT, stored

        async def main():
            store, embedder = open_hashing_store({str(tmp_path / "milvus.db")!r}, "deferred", lite=True)
            await store.upsert(TENANT, stored(embedder, "k", 4))
            await store.delete(TENANT, ["k-3"])
            assert store._deferred_flush.pending_rows == 5
            os._exit(0)  # no close, no flush

        asyncio.run(main())
        """
    )
    command = [sys.executable, "-c", script]
    finished = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=90, cwd=REPO)
    assert finished.returncode == 0, finished.stderr[-2000:]
    embedder = HashingEmbedder()
    assert await ids_after_reopening(tmp_path / "milvus.db", embedder) == {"k-0", "k-1", "k-2"}


@on_lite_only
async def test_no_search_runs_during_a_flush_so_none_misses_the_rows_being_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lite swaps in an empty memory table before the flushed segment is in its cache: a search in between
    found none of the rows being flushed."""
    store, embedder, calls = logged_store(tmp_path / "milvus.db")

    class SlowWal(lite_collection.WAL):  # type: ignore[misc,name-defined]
        """Widens the gap: Lite opens the next log between swapping the table and caching the segment."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            time.sleep(0.3)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(lite_collection, "WAL", SlowWal)
    try:
        rows = LITE_MAX_UNFLUSHED_ROWS  # the row limit: flushed at once
        await store.upsert(TENANT, stored(embedder, "f", rows))
        counts = []
        while calls.count("flush end") == 0 and len(counts) < 500:
            counts.append(len(await ids_found(store, embedder)))
        assert calls.count("flush end") == 1
        assert counts and set(counts) == {rows}
        assert len(await ids_found(store, embedder)) == rows
    finally:
        await store.close()


@on_lite_only
def test_a_store_written_in_one_event_loop_flushes_and_closes_in_the_next(tmp_path: Path) -> None:
    """The first loop ends with its flush still waiting (cancelled with the loop); the rows are not lost."""
    store, embedder = open_hashing_store(str(tmp_path / "milvus.db"), "deferred", lite=True)
    asyncio.run(store.upsert(TENANT, stored(embedder, "l", 2)))
    asyncio.run(store.upsert(TENANT, stored(embedder, "m", 2)))
    assert store._deferred_flush is not None and store._deferred_flush.pending_rows == 4
    asyncio.run(store.close())
    assert asyncio.run(ids_after_reopening(tmp_path / "milvus.db", embedder)) == {"l-0", "l-1", "m-0", "m-1"}


# --- the policy alone --------------------------------------------------------------------------------------------


class Flushes:
    def __init__(self, failures: int = 0) -> None:
        self.count = 0
        self.failures = failures

    async def __call__(self) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("disk full")
        self.count += 1


async def written(deferred: DeferredFlush, lock: asyncio.Lock, rows: int) -> None:
    async with lock:
        deferred.written(rows)


async def test_writes_within_the_delay_share_one_flush() -> None:
    flushes, lock = Flushes(), asyncio.Lock()
    deferred = DeferredFlush(flushes, lock, FlushGate(), delay_seconds=0.2, max_rows=100)
    for _ in range(5):
        await written(deferred, lock, 3)
    await asyncio.sleep(0.05)
    assert (flushes.count, deferred.pending_rows) == (0, 15)
    assert await eventually(lambda: flushes.count == 1, 5)
    assert deferred.pending_rows == 0
    await written(deferred, lock, 1)  # a later write schedules the next flush
    assert await eventually(lambda: flushes.count == 2, 5)


async def test_reaching_the_row_limit_flushes_without_waiting_out_the_delay() -> None:
    flushes, lock = Flushes(), asyncio.Lock()
    deferred = DeferredFlush(flushes, lock, FlushGate(), delay_seconds=60, max_rows=10)
    await written(deferred, lock, 4)
    await asyncio.sleep(0.05)
    assert flushes.count == 0
    await written(deferred, lock, 6)
    assert await eventually(lambda: flushes.count == 1, 5)
    assert deferred.pending_rows == 0


async def test_a_failed_flush_keeps_its_rows_for_the_next_one() -> None:
    flushes, lock = Flushes(failures=1), asyncio.Lock()
    deferred = DeferredFlush(flushes, lock, FlushGate(), delay_seconds=0.05, max_rows=100)
    await written(deferred, lock, 7)
    assert await eventually(lambda: flushes.failures == 0, 5)
    assert (flushes.count, deferred.pending_rows) == (0, 7)
    await written(deferred, lock, 1)
    assert await eventually(lambda: flushes.count == 1, 5)
    assert deferred.pending_rows == 0


async def test_close_flushes_at_once_and_a_close_with_nothing_waiting_does_not() -> None:
    flushes, lock = Flushes(), asyncio.Lock()
    deferred = DeferredFlush(flushes, lock, FlushGate(), delay_seconds=60, max_rows=100)
    await deferred.close()
    assert flushes.count == 0
    await written(deferred, lock, 2)
    await asyncio.wait_for(deferred.close(), 5)
    assert (flushes.count, deferred.pending_rows) == (1, 0)


async def test_a_flush_waits_for_the_searches_under_way_and_holds_off_new_ones() -> None:
    gate, order = FlushGate(), []
    searching, release = asyncio.Event(), asyncio.Event()

    async def search(name: str, hold: bool = False) -> None:
        async with gate.searching():
            order.append(f"{name} start")
            if hold:
                searching.set()
                await release.wait()
            order.append(f"{name} end")

    async def flush() -> None:
        async with gate.flushing():
            order.append("flush start")
            await asyncio.sleep(0.05)
            order.append("flush end")

    first = asyncio.create_task(search("first", hold=True))
    await searching.wait()
    flushing = asyncio.create_task(flush())
    await asyncio.sleep(0.02)
    later = asyncio.create_task(search("later"))
    await asyncio.sleep(0.02)
    assert order == ["first start"]  # the flush waits for the first search, the later search for the flush
    release.set()
    await asyncio.gather(first, flushing, later)
    assert order == ["first start", "first end", "flush start", "flush end", "later start", "later end"]


async def test_the_flush_runs_under_the_write_lock() -> None:
    lock = asyncio.Lock()
    held: list[bool] = []

    async def flush() -> None:
        held.append(lock.locked())

    deferred = DeferredFlush(flush, lock, FlushGate(), delay_seconds=0.01, max_rows=100)
    await written(deferred, lock, 1)
    assert await eventually(lambda: bool(held), 5)
    assert held == [True]
