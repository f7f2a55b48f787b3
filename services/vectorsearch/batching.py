"""Micro-batching of embedding calls: concurrent requests share one encode call in a worker thread.

The embedder is CPU-bound and runs off the event loop. While a call runs, new requests queue up; the next call
embeds all of them together (one batch of 20 queries costs about as much as 4 single ones with MiniLM).

Two lanes, each one encode call at a time: requests of a few texts (search queries) and bulk requests (the
texts of an add or an update). A query never waits behind a bulk encode — under a mixed load of adds and
searches, one add of 50 texts kept every search waiting for its whole encode (hundreds of ms) — it runs beside
it, so at most two encode calls overlap. The embedders are safe to call from two threads at once.
"""

from __future__ import annotations

import asyncio

from services.vectorsearch.embedder import Embedder

_Pending = tuple[list[str], asyncio.Future[list[list[float]]]]

# Requests of at most this many texts take the query lane.
QUERY_LANE_MAX_TEXTS = 4


class BatchingEmbedder:
    def __init__(self, embedder: Embedder, *, max_batch: int = 256) -> None:
        self._embedder = embedder
        self._queries = _Lane(embedder, max_batch)
        self._bulk = _Lane(embedder, max_batch)

    @property
    def dim(self) -> int:
        return self._embedder.dim

    @property
    def calls(self) -> int:
        """Encode calls made, for metrics and tests."""
        return self._queries.calls + self._bulk.calls

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        lane = self._queries if len(texts) <= QUERY_LANE_MAX_TEXTS else self._bulk
        return await lane.embed(texts)


class _Lane:
    """A queue of requests drained by one worker task, one encode call (in a thread) at a time."""

    def __init__(self, embedder: Embedder, max_batch: int) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._pending: list[_Pending] = []
        self._worker: asyncio.Task[None] | None = None
        self.calls = 0

    async def embed(self, texts: list[str]) -> list[list[float]]:
        future: asyncio.Future[list[list[float]]] = asyncio.get_running_loop().create_future()
        self._pending.append((texts, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._take_batch()
            texts = [text for request, _ in batch for text in request]
            try:
                self.calls += 1
                vectors = await asyncio.to_thread(self._embedder.embed, texts)
            except Exception as error:  # hand the failure to every waiting caller
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            offset = 0
            for request, future in batch:
                if not future.done():  # the caller may have gone away (deadline, cancel)
                    future.set_result(vectors[offset : offset + len(request)])
                offset += len(request)

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0][0]) <= self._max_batch):
            request = self._pending.pop(0)
            if request[1].done():
                continue
            batch.append(request)
            size += len(request[0])
        return batch
