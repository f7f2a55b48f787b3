"""Unit tests of the micro-batching embedder wrapper (with the real hashing embedder underneath)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from services.vectorsearch.batching import QUERY_LANE_MAX_TEXTS, BatchingEmbedder
from services.vectorsearch.embedder import HashingEmbedder


class SlowHashingEmbedder(HashingEmbedder):
    """The hashing embedder made slow (like MiniLM), recording each call's batch and thread overlap."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(dim=32)
        self.batches: list[list[str]] = []
        self.fail_on = fail_on
        self._active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            time.sleep(0.02)
            self.batches.append(list(texts))
            if self.fail_on in texts:
                raise RuntimeError("boom")
            return super().embed(texts)
        finally:
            with self._lock:
                self._active -= 1


async def test_concurrent_requests_share_calls_and_get_their_own_vectors() -> None:
    inner = SlowHashingEmbedder()
    batching = BatchingEmbedder(inner)
    requests = [[f"text {i}", f"other {i}"] for i in range(10)]
    results = await asyncio.gather(*(batching.embed(texts) for texts in requests))
    reference = HashingEmbedder(dim=32)
    for texts, vectors in zip(requests, results, strict=True):
        assert vectors == reference.embed(texts)
    assert len(inner.batches) < len(requests)  # the first call runs alone, the rest are batched
    assert inner.max_active == 1  # all of one lane: never two encode calls at once
    assert sum(len(batch) for batch in inner.batches) == 20


async def test_max_batch_is_respected() -> None:
    inner = SlowHashingEmbedder()
    batching = BatchingEmbedder(inner, max_batch=3)
    await asyncio.gather(*(batching.embed([f"t{i}", f"u{i}"]) for i in range(6)))
    assert all(len(batch) <= 3 for batch in inner.batches)


async def test_a_failure_reaches_only_its_batch_and_the_queue_keeps_working() -> None:
    inner = SlowHashingEmbedder(fail_on="bad")
    batching = BatchingEmbedder(inner)
    with pytest.raises(RuntimeError, match="boom"):
        await batching.embed(["bad"])
    assert await batching.embed(["good"]) == HashingEmbedder(dim=32).embed(["good"])


async def test_cancelled_caller_does_not_break_others() -> None:
    inner = SlowHashingEmbedder()
    batching = BatchingEmbedder(inner)
    first = asyncio.create_task(batching.embed(["one"]))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(batching.embed(["two"]))
    survivor = asyncio.create_task(batching.embed(["three"]))
    await asyncio.sleep(0)
    doomed.cancel()
    assert len(await first) == 1
    assert await survivor == HashingEmbedder(dim=32).embed(["three"])
    assert doomed.cancelled()
    assert ["two"] not in inner.batches and ["two", "three"] not in inner.batches


async def test_a_caller_gone_during_its_encode_keeps_the_lane_busy_until_the_encode_ends() -> None:
    inner = SlowHashingEmbedder()
    batching = BatchingEmbedder(inner)
    lone = asyncio.create_task(batching.embed(["lone"]))
    await asyncio.sleep(0.005)  # its encode is running in a thread now
    lone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await lone
    # The abandoned encode still runs: the next request waits for it instead of running beside it.
    assert await batching.embed(["next"]) == HashingEmbedder(dim=32).embed(["next"])
    assert inner.max_active == 1
    assert inner.batches == [["lone"], ["next"]]
    assert await batching.embed(["after"]) == HashingEmbedder(dim=32).embed(["after"])
    assert batching.calls == 3


async def test_a_failed_lone_encode_reaches_its_caller_and_frees_the_lane() -> None:
    inner = SlowHashingEmbedder(fail_on="bad")
    batching = BatchingEmbedder(inner)
    failing = asyncio.create_task(batching.embed(["bad"]))
    await asyncio.sleep(0)
    queued = asyncio.create_task(batching.embed(["queued"]))
    with pytest.raises(RuntimeError, match="boom"):
        await failing
    assert await queued == HashingEmbedder(dim=32).embed(["queued"])
    assert inner.batches == [["bad"], ["queued"]]


class GatedEmbedder(HashingEmbedder):
    """Bulk calls (more than the query lane takes) block until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__(dim=32)
        self.gate = threading.Event()
        self.bulk_started = threading.Event()

    def embed(self, texts: list[str]) -> list[list[float]]:
        if len(texts) > QUERY_LANE_MAX_TEXTS:
            self.bulk_started.set()
            assert self.gate.wait(timeout=30)
        return super().embed(texts)


async def test_a_query_does_not_wait_behind_a_bulk_encode() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner)
    bulk_texts = [f"fact {i}" for i in range(QUERY_LANE_MAX_TEXTS + 1)]
    bulk = asyncio.create_task(batching.embed(bulk_texts))
    assert await asyncio.to_thread(inner.bulk_started.wait, 30)
    # The bulk encode is stuck in its thread; a query is answered meanwhile, and a second bulk request waits.
    queued_bulk = asyncio.create_task(batching.embed([f"more {i}" for i in range(QUERY_LANE_MAX_TEXTS + 1)]))
    assert await batching.embed(["what does the user like?"]) == HashingEmbedder(dim=32).embed(
        ["what does the user like?"]
    )
    assert not bulk.done() and not queued_bulk.done()
    inner.gate.set()
    assert await bulk == HashingEmbedder(dim=32).embed(bulk_texts)
    assert len(await queued_bulk) == QUERY_LANE_MAX_TEXTS + 1
    assert batching.calls == 3
