"""What an ever-growing event log costs, and what a retention pass takes to trim it.

`python -m bench.retention_profile [--events 200000] [--keep 1000] [--rounds 7]` builds an SQLite metadata
database in a temporary directory with one project whose `--events` finished events (one per add, as the API
writes them) are spread over the last 60 days, all but the newest `--keep` older than the 30-day retention.
It times, side by side before and after: `list_events` page 1 (what `GET /v1/events/` and the dashboard's
activity view call; it counts the project's events) and `get_event` by id; and the retention pass itself
(rows per second, and the longest batch: one transaction, holding SQLite's one writer).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from libs.domain import Tenant
from services.metadata import retention
from services.metadata.database import create_engine, run_migrations
from services.metadata.models import EventRow
from services.metadata.settings import MetadataSettings
from services.metadata.store import SqlMetadataStore

TENANT = Tenant("bench", "events")
INSERT_BATCH = 5_000
RESULTS = [{"id": "00000000-0000-0000-0000-000000000000", "memory": "Likes tea and long walks", "event": "ADD"}]


async def build(engine: Any, events: int, keep: int) -> str:
    """`events` SUCCEEDED events over the last 60 days, the newest `keep` within the last 30; a recent id."""
    now = datetime.now(UTC)
    old = events - keep
    recent = ""
    async with engine.begin() as connection:
        for first in range(0, events, INSERT_BATCH):
            rows = []
            for index in range(first, min(events, first + INSERT_BATCH)):
                if index < old:  # 60 to 31 days ago
                    created = now - timedelta(days=60) + timedelta(days=29) * index / old
                else:  # the last 29 days
                    created = now - timedelta(days=29) * (events - index) / keep
                recent = str(uuid.uuid4())
                rows.append(
                    {
                        "id": recent,
                        "org_id": TENANT.org_id,
                        "project_id": TENANT.project_id,
                        "event_type": "ADD",
                        "status": "SUCCEEDED",
                        "results": RESULTS,
                        "error": None,
                        "created_at": created,
                        "started_at": created,
                        "completed_at": created,
                        "latency_ms": 12.0,
                    }
                )
            await connection.execute(sa.insert(EventRow), rows)
    return recent


async def median_ms(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def profile(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    engine = create_engine(MetadataSettings(data_dir=data_dir).resolved_database_url())
    await run_migrations(engine)
    store = SqlMetadataStore(engine)
    try:
        recent = await build(engine, args.events, args.keep)

        async def timings() -> dict[str, float]:
            return {
                "list_events page 1 ms": await median_ms(lambda: store.list_events(TENANT), args.rounds),
                "get_event ms": await median_ms(lambda: store.get_event(TENANT, recent), args.rounds),
            }

        before = await timings()
        batches: list[float] = []
        prune = store.prune_log

        async def timed_batch(table: retention.LogTable, cutoff: datetime, limit: int) -> int:
            started = time.perf_counter()
            try:
                return await prune(table, cutoff, limit)
            finally:
                batches.append(time.perf_counter() - started)

        store.prune_log = timed_batch  # type: ignore[method-assign]
        started = time.perf_counter()
        pruned = await retention.Retention(
            store, days=30, interval_seconds=3600, clock=lambda: datetime.now(UTC)
        ).run_once()
        seconds = time.perf_counter() - started
        after = await timings()
        _, total = await store.list_events(TENANT)
    finally:
        await engine.dispose()
    return {
        "events": args.events,
        "pruned": pruned["events"],
        "left": total,
        "prune seconds": seconds,
        "pruned per second": pruned["events"] / seconds,
        "longest batch ms": max(batches) * 1000,
        "before": before,
        "after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.retention_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--keep", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memgrid-retention-") as tmp:
        result = asyncio.run(profile(args, Path(tmp)))
    print(
        f"{result['events']:,} finished events, {result['pruned']:,} older than 30 days: pruned in "
        f"{result['prune seconds']:.1f} s ({result['pruned per second']:,.0f} rows/s, longest batch of "
        f"{retention.PRUNE_BATCH:,} rows {result['longest batch ms']:.0f} ms), {result['left']:,} left"
    )
    for name in result["before"]:
        print(f"  {name:<24} before {result['before'][name]:8.2f}   after {result['after'][name]:8.2f}")


if __name__ == "__main__":
    main()
