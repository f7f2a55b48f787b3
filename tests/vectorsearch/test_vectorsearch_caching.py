"""The embedding cache returns exactly what the embedder would, and only asks it for texts it lacks."""

from __future__ import annotations

import asyncio

from services.vectorsearch.caching import CachingEmbedder
from services.vectorsearch.embedder import HashingEmbedder


class CountingEmbedder:
    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.asked: list[list[str]] = []

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.asked.append(list(texts))
        return self.inner.embed(texts)


async def test_hits_skip_the_embedder_and_match_fresh_vectors() -> None:
    counting = CountingEmbedder()
    cache = CachingEmbedder(counting, capacity=10)
    first = await cache.embed(["a cat", "a dog", "a cat"])
    second = await cache.embed(["a dog", "a bird", "a cat"])
    assert counting.asked == [["a cat", "a dog"], ["a bird"]]
    assert first == HashingEmbedder().embed(["a cat", "a dog", "a cat"])
    assert second == HashingEmbedder().embed(["a dog", "a bird", "a cat"])
    assert (cache.hits, cache.misses) == (3, 3)


async def test_least_recently_used_texts_are_evicted() -> None:
    counting = CountingEmbedder()
    cache = CachingEmbedder(counting, capacity=2)
    await cache.embed(["one", "two"])
    await cache.embed(["one"])  # "two" is now the oldest
    await cache.embed(["three"])
    await cache.embed(["one", "two"])
    assert counting.asked[-1] == ["two"]


async def test_capacity_zero_turns_the_cache_off() -> None:
    counting = CountingEmbedder()
    cache = CachingEmbedder(counting, capacity=0)
    await cache.embed(["same"])
    await cache.embed(["same"])
    assert counting.asked == [["same"], ["same"]]


class GatedEmbedder(CountingEmbedder):
    """Holds every call for `held` until the gate opens."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held = held
        self.gate = asyncio.Event()

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if self.held in texts:
            await self.gate.wait()
        return await super().embed(texts)


async def test_a_hit_survives_its_eviction_by_a_concurrent_call() -> None:
    gated = GatedEmbedder(held="slow")
    cache = CachingEmbedder(gated, capacity=1)
    await cache.embed(["cached"])
    waiting = asyncio.create_task(cache.embed(["cached", "slow"]))  # "cached" is a hit, "slow" must be embedded
    await asyncio.sleep(0)
    await cache.embed(["evictor"])  # fills the one slot: "cached" is evicted while the first call waits
    gated.gate.set()
    assert await waiting == HashingEmbedder().embed(["cached", "slow"])
