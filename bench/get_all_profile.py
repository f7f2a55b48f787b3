"""get_all page 1 and a deep page on a large project, whole stack, with the store's own list call beside it.

`python -m bench.get_all_profile DATA_DIR [--rounds 7] [--pages 1,100,1000]`: DATA_DIR holds a metadata
database (`memgrid.db`) with one large project `bench/p100k` (build it fast with `--build N`, which inserts N
memories through the store, no embedding). Starts the stack on DATA_DIR (hashing embedder: get_all never
embeds) and times, round by round and side by side: the store's count + page query alone, and POST
/v3/memories/ (REST), for each page (100 per page; page 1,000 skips 99,900 memories). Medians are printed.
`--store-only` times the store's call alone, without the stack, in wall and CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from libs.domain import NewMemory, Scope, Tenant
from services.metadata.database import create_engine, run_migrations
from services.metadata.settings import MetadataSettings
from services.metadata.store import SqlMetadataStore
from tests.support.stack import start_stack

TENANT = Tenant("bench", "p100k")
API_KEY = "bench-get-all-key"
BATCH = 2_000


async def build(data_dir: Path, memories: int) -> None:
    engine = create_engine(MetadataSettings(data_dir=data_dir).resolved_database_url())
    await run_migrations(engine)
    store = SqlMetadataStore(engine)
    rng = random.Random(3)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(0, memories, BATCH):
        await store.create_memories(
            TENANT,
            [
                NewMemory(
                    id=f"m{index:07d}",
                    text=f"user {index % 1000} likes topic {rng.randrange(50)} and item {rng.randrange(10_000)}",
                    scope=Scope(user_id=f"user-{index % 1000:05d}"),
                    metadata={"topic": f"t{index % 50}"},
                    created_at=start + timedelta(seconds=index),
                )
                for index in range(first, min(first + BATCH, memories))
            ],
        )
    # These memories have no vectors on purpose: acknowledge their outbox entries, or the stack's vector-sync
    # reconciler embeds and upserts all of them in the background while get_all is being timed.
    while pending := await store.list_pending_vector_syncs(0, 500):
        await store.ack_vector_syncs(pending)
    await engine.dispose()


async def measure(data_dir: Path, rounds: int, pages: list[int]) -> dict[str, float]:
    stack = await start_stack(data_dir, f"{API_KEY}={TENANT.org_id}/{TENANT.project_id}", embedder="hashing")
    engine = create_engine(MetadataSettings(data_dir=data_dir).resolved_database_url())
    store = SqlMetadataStore(engine)
    samples: dict[str, list[float]] = {}
    try:
        async with httpx.AsyncClient(
            base_url=stack.rest_url, headers={"Authorization": f"Token {API_KEY}"}, timeout=60
        ) as http:
            for round_ in range(rounds + 1):
                for page in pages:
                    for name, call in (
                        (f"store.list_memories page {page}", store.list_memories(TENANT, page=page, page_size=100)),
                        (f"REST /v3/memories/ page {page}", _page(http, page)),
                    ):
                        started = time.perf_counter()
                        await call
                        if round_:  # the first round warms caches up
                            samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
        await stack.stop()
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}


async def measure_store(data_dir: Path, rounds: int, pages: list[int]) -> dict[str, float]:
    """The store's list call alone, no stack around it: wall and process CPU time (the query runs in
    aiosqlite's thread of this process), which a loaded machine inflates much less than wall time."""
    engine = create_engine(MetadataSettings(data_dir=data_dir).resolved_database_url())
    store = SqlMetadataStore(engine)
    samples: dict[str, list[float]] = {}
    try:
        for round_ in range(rounds + 1):
            for page in pages:
                wall, cpu = time.perf_counter(), time.process_time()
                memories, _ = await store.list_memories(TENANT, page=page, page_size=100)
                if len(memories) != 100:
                    raise SystemExit(f"page {page}: expected 100 memories")
                if round_:
                    samples.setdefault(f"store page {page} wall", []).append((time.perf_counter() - wall) * 1000)
                    samples.setdefault(f"store page {page} CPU", []).append((time.process_time() - cpu) * 1000)
    finally:
        await engine.dispose()
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}


async def _page(http: httpx.AsyncClient, page: int) -> None:
    answer = await http.post("/v3/memories/", params={"page": page, "page_size": 100}, json={})
    answer.raise_for_status()
    if len(answer.json()["results"]) != 100:
        raise SystemExit(f"get_all page {page}: expected 100 results")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.get_all_profile", description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--build", type=int, help="first insert this many memories into DATA_DIR")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pages", default="1,100,1000", help="comma-separated pages to time (100 per page)")
    parser.add_argument("--store-only", action="store_true", help="time the store's call alone (wall and CPU)")
    args = parser.parse_args()
    if args.build:
        asyncio.run(build(args.data_dir, args.build))
    pages = [int(page) for page in args.pages.split(",")]
    timing = measure_store if args.store_only else measure
    for name, ms in asyncio.run(timing(args.data_dir, args.rounds, pages)).items():
        print(f"{name:<32} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
