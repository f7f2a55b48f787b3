"""An LRU cache of embeddings in front of the embedder.

The add pipeline embeds each new fact twice — once to find similar memories, once to store it — and
search traffic repeats queries; both are served from here. Vectors depend only on the text (the embedder is
deterministic), so a cached vector is exactly what a fresh encode would return.
"""

from __future__ import annotations

from collections import OrderedDict

from services.vectorsearch.ports import AsyncEmbedder


class CachingEmbedder:
    def __init__(self, inner: AsyncEmbedder, *, capacity: int) -> None:
        self._inner = inner
        self._capacity = capacity
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if self._capacity <= 0:
            return await self._inner.embed(texts)
        # Take the cached vectors before awaiting: a concurrent call may evict them meanwhile.
        known: dict[str, list[float]] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            vector = self._vectors.get(text)
            if vector is None:
                missing.append(text)
            else:
                known[text] = vector
                self._vectors.move_to_end(text)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        fresh = dict(zip(missing, await self._inner.embed(missing), strict=True)) if missing else {}
        result = [fresh[text] if text in fresh else known[text] for text in texts]
        for text, vector in fresh.items():
            self._vectors[text] = vector
        while len(self._vectors) > self._capacity:
            self._vectors.popitem(last=False)
        return result
