"""Milvus Lite writes alone: concurrent small upserts, their wall time, CPU time and flushes.

`python -m bench.lite_writes LABEL` upserts 200 batches of 5 rows (hashing vectors) into a fresh Milvus Lite
collection with 4 upserts in flight, through MilvusVectorStore, and prints one line. Run it from two trees
(PYTHONPATH) interleaved to compare store versions; bench/results/ingest-throughput.md has the numbers.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from libs.domain import Scope, Tenant, VectorRecord
from services.vectorsearch.embedder import HashingEmbedder
from services.vectorsearch.models import StoredVector
from services.vectorsearch.store import MilvusVectorStore

CALLS, ROWS, IN_FLIGHT = 200, 5, 4


async def measure(label: str) -> str:
    embedder = HashingEmbedder()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="memgrid-lite-writes-") as tmp:
        store = MilvusVectorStore.open(
            uri=str(Path(tmp) / "milvus.db"),
            token=None,
            collection="writes",
            dim=embedder.dim,
            embedder_name=embedder.name,
            lite=True,
        )
        flushes = 0
        flush = store._client.flush

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal flushes
            flushes += 1
            return flush(*args, **kwargs)

        store._client.flush = counted  # type: ignore[method-assign]
        tenant = Tenant("bench", "writes")
        calls = []
        for call in range(CALLS):
            texts = [f"text {call} {row}" for row in range(ROWS)]
            records = [
                VectorRecord(f"m{call}-{row}", text, Scope(user_id=f"u{call % 50}"), now, now, [])
                for row, text in enumerate(texts)
            ]
            calls.append([StoredVector(r, v) for r, v in zip(records, embedder.embed(texts), strict=True)])
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def upsert(rows: list[StoredVector]) -> None:
            async with gate:
                await store.upsert(tenant, rows)

        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(upsert(rows) for rows in calls))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await store.close()
    return (
        f"{label}: {CALLS} upserts x {ROWS} rows, {IN_FLIGHT} in flight: {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"(this process), {flushes} flushes -> {CALLS * ROWS / wall:.0f} rows/s"
    )


def main() -> None:
    print(asyncio.run(measure(sys.argv[1] if len(sys.argv) > 1 else "run")), flush=True)


if __name__ == "__main__":
    main()
