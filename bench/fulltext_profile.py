"""What the lexical half of a search costs at scale, with the match budget and with every term ranked.

`python -m bench.fulltext_profile [--memories 1000000] [--users 1000] [--backend sqlite|postgresql|both]
[--rounds 6] [--budget 5000] [--out bench/results/fulltext-1m.json]` loads `--memories` memories of
bench.data's synthetic set (`--users` users, one shared agent id) straight into a migrated metadata database
(SQLite in a temporary directory; PostgreSQL in a throwaway cluster, as the tests run it, then ANALYZE) and
times the store's `search_text` (what a hybrid search's lexical half runs) pinned to a user, pinned to the
shared agent, and across the project, for queries of common words and of a rare one (NEEDLES memories of it):
side by side with the match budget and with every term ranked (a budget no query reaches). Writes the JSON
(and a markdown table beside it) and prints the table: median ms, hits, and how many of the rare word's
memories are among the first 20.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.data import Chunk, Dataset, build_dataset
from libs.domain import Tenant
from libs.filters.ast import Condition, FilterNode, Op
from services.metadata import fulltext
from services.metadata.database import create_engine, run_migrations
from services.metadata.store import SqlMetadataStore, text_hash
from tests.support.postgres import PostgresCluster

TENANT = Tenant("bench", "fulltext")
AGENT = "assistant"
COLUMNS = (
    "id, org_id, project_id, user_id, agent_id, text, hash, metadata, categories, immutable, created_at, updated_at"
)
# A rare word among the common ones: the shared agent's few memories of it must still rank first.
NEEDLE_TEXT = "Our team booked a sailing trip to Zanzibar number {n}"
NEEDLES = 20
QUERIES = (
    "Who went to Zanzibar with friends every weekend?",
    "What about vegan ramen?",
    "Does anyone love hiking in the Alps?",
    "What happens every weekend with friends?",
    "Lisbon",
    "Who is learning about Kubernetes migrations?",
    "coffee",
)
EVERY_TERM = 10**12


def _records(dataset: Dataset) -> Iterator[tuple[Any, ...]]:
    """The memories as rows of COLUMNS (created = updated), and NEEDLES memories of a rare word."""
    needles = Chunk(dataset.users[-1], "travel", dataset.now, tuple(NEEDLE_TEXT.format(n=n) for n in range(NEEDLES)))
    for chunk in (*dataset.chunks, needles):
        metadata = json.dumps({"topic": chunk.topic})
        for text in chunk.texts:
            yield (
                f"needle-{uuid.uuid4()}" if chunk is needles else str(uuid.uuid4()),
                TENANT.org_id,
                TENANT.project_id,
                chunk.user_id,
                AGENT,
                text,
                text_hash(text),
                metadata,
                "[]",
                False,
                chunk.created_at,
                chunk.created_at,
            )


def load_sqlite(path: Path, dataset: Dataset) -> None:
    """Plain INSERTs: migration 0005/0010's triggers index each row as the store's writes would."""
    connection = sqlite3.connect(path)
    try:
        as_text = (
            (*record[:9], int(record[9]), *(moment.strftime("%Y-%m-%d %H:%M:%S.%f") for moment in record[10:]))
            for record in _records(dataset)
        )
        connection.executemany(f"INSERT INTO memories ({COLUMNS}) VALUES ({', '.join('?' * 12)})", as_text)
        connection.commit()
        connection.execute("ANALYZE")
    finally:
        connection.close()


def load_postgresql(cluster: PostgresCluster, database: str, dataset: Dataset) -> None:
    with cluster.connect(database) as connection:
        with connection.cursor().copy(f"COPY memories ({COLUMNS}) FROM STDIN") as copy:
            for record in _records(dataset):
                copy.write_row(record)
        connection.execute("ANALYZE")


def scopes(dataset: Dataset) -> dict[str, FilterNode | None]:
    return {
        "user": Condition("user_id", Op.EQ, dataset.users[len(dataset.users) // 3]),
        "agent": Condition("agent_id", Op.EQ, AGENT),
        "project": None,
    }


async def timed(
    store: SqlMetadataStore, query: str, node: FilterNode | None, rounds: int
) -> tuple[float, list[tuple[str, float]]]:
    """The median ms of `rounds` searches (after one unmeasured) and the last one's hits."""
    times, hits = [], []
    for _ in range(rounds + 1):
        started = time.perf_counter()
        hits = await store.search_text(TENANT, query, node, 100)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:]), hits


def _cell(label: str, result: dict[str, Any]) -> str:
    return f"  {label} {result['ms']:8.1f} ms {result['hits']:>3} hits ({result['needles in top 20']:>2} needles)"


def _needles(hits: list[tuple[str, float]]) -> int:
    return sum(memory_id.startswith("needle-") for memory_id, _ in hits)


async def measure(url: str, dataset: Dataset, rounds: int, budget: int) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        stores = {
            "budget": SqlMetadataStore(engine, match_budget=budget),
            "every term": SqlMetadataStore(engine, match_budget=EVERY_TERM),
        }
        results = []
        for scope, node in scopes(dataset).items():
            for query in QUERIES:
                row: dict[str, Any] = {"scope": scope, "query": query}
                for label, store in stores.items():
                    ms, hits = await timed(store, query, node, rounds)
                    row[label] = {"ms": round(ms, 2), "hits": len(hits), "needles in top 20": _needles(hits[:NEEDLES])}
                results.append(row)
                print(f"  {scope:<8} {query[:40]:<40}", *(_cell(label, row[label]) for label in stores), flush=True)
        return results
    finally:
        await engine.dispose()


async def profile(args: argparse.Namespace, cluster: PostgresCluster | None = None) -> dict[str, Any]:
    """The report of `args`; PostgreSQL in `cluster` (a database of its own, dropped after), else a throwaway one."""
    dataset = build_dataset(args.memories, args.users)
    report: dict[str, Any] = {
        "memories": dataset.memory_count,
        "users": args.users,
        "match_budget": args.budget,
        "rounds": args.rounds,
        "backends": {},
    }
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="fulltext-") as directory:
            path = Path(directory) / "memgrid.db"
            url = f"sqlite+aiosqlite:///{path}"
            engine = create_engine(url)
            await run_migrations(engine)
            await engine.dispose()
            started = time.perf_counter()
            load_sqlite(path, dataset)
            print(f"sqlite: {dataset.memory_count:,} memories loaded in {time.perf_counter() - started:.0f} s")
            report["backends"]["sqlite"] = await measure(url, dataset, args.rounds, args.budget)
    if args.backend in ("postgresql", "both"):
        report["backends"]["postgresql"] = await _measure_postgresql(cluster, dataset, args)
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as a markdown table: median ms, hits and the rare word's memories among the first 20."""
    lines = [
        f"# The lexical half at {report['memories']:,} memories: match budget vs every term ranked",
        "",
        f"`search_text` (limit 100) over bench.data's synthetic memories ({report['users']:,} users, one shared "
        f"agent), {NEEDLES} of them with a rare word; median of {report['rounds']} runs after one. Budget: "
        f"{report['match_budget']:,} matches. Cells: ms, hits, the rare word's memories among the first 20.",
        "",
        "| backend | scope | query | with the budget | every term ranked |",
        "|---|---|---|---|---|",
    ]
    for backend, rows in report["backends"].items():
        for row in rows:
            cells = [
                f"{row[label]['ms']:.1f} ms, {row[label]['hits']}, {row[label]['needles in top 20']}"
                for label in ("budget", "every term")
            ]
            lines.append(f"| {backend} | {row['scope']} | {row['query']} | {cells[0]} | {cells[1]} |")
    lines += ["", "Reproduce: `python -m bench.fulltext_profile --out bench/results/fulltext-1m.json`", ""]
    return "\n".join(lines)


async def _measure_postgresql(
    cluster: PostgresCluster | None, dataset: Dataset, args: argparse.Namespace
) -> list[dict[str, Any]]:
    running = cluster or PostgresCluster.start()
    database = running.create_database()
    try:
        engine = create_engine(running.url(database))
        await run_migrations(engine)
        await engine.dispose()
        started = time.perf_counter()
        load_postgresql(running, database, dataset)
        print(f"postgresql {running.version}: loaded in {time.perf_counter() - started:.0f} s")
        return await measure(running.url(database), dataset, args.rounds, args.budget)
    finally:
        running.drop_database(database)
        if cluster is None:
            running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fulltext_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--memories", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--budget", type=int, default=fulltext.MATCH_BUDGET, help="the match budget measured")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = asyncio.run(profile(args))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(markdown(report))
        print(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
