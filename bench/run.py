"""One benchmark run: start the stack, load the data, measure every workload, write JSON and markdown."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymilvus import MilvusClient
from tqdm import tqdm

from bench import floor, report
from bench.clients import FILTER_KINDS, GrpcSurface, RestSurface, Surface
from bench.data import TOPICS, Chunk, Dataset, SearchCase, build_dataset, memory_text, search_cases, unique_query
from bench.mem0_baseline import compare as mem0_compare
from bench.mem0_baseline import search_side as mem0_side
from bench.stack import API_KEY, TENANT, start_bench_stack
from bench.stats import summarize
from libs.domain import Tenant
from libs.logging import configure_logging
from services.vectorsearch.settings import VectorSearchSettings
from tests.support.milvus_server import seal_and_index

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PAGE_SIZE = 100
MAX_BATCH = 1000
LOAD_SEARCH_SHARE = 0.8
# Length of the search-only concurrent run (capped by --duration).
SEARCH_QPS_SECONDS = 15.0
# Safety bound of the load loops besides the deadline.
MAX_OPS_PER_CLIENT = 1_000_000
WARMUP_QUERIES = 5
INGEST_ATTEMPTS = 3
# Messages per add call in the large-call ingest.
BULK_CALL_SIZE = 100


@dataclass(slots=True)
class Settings:
    name: str
    memories: int = 10_000
    users: int = 1_000
    duration_s: float = 60.0
    clients: int = 50
    search_queries: int = 200
    pagination_repeats: int = 20
    ingest_concurrency: int = 4
    seed: int = 7
    quick: bool = False
    progress: bool = True
    out_dir: Path = RESULTS_DIR
    data_dir: Path | None = None
    # A Milvus server instead of Milvus Lite (a fresh collection per run).
    milvus_uri: str | None = None
    # After memgrid's workloads, the same data and queries through the mem0 OSS library (bench/mem0_baseline/).
    mem0_baseline: bool = False

    @classmethod
    def quick_defaults(cls, name: str) -> Settings:
        return cls(
            name=name,
            memories=500,
            users=50,
            duration_s=5.0,
            clients=5,
            search_queries=30,
            pagination_repeats=5,
            quick=True,
        )

    @property
    def bulk_memories(self) -> int:
        """Memories per surface of the large-call ingest: 2,000, or a fifth of the data set when smaller."""
        return min(2000, self.memories // 5)

    @property
    def bulk_call_size(self) -> int:
        return min(BULK_CALL_SIZE, self.bulk_memories)

    @property
    def batch_size(self) -> int:
        """batch_update/batch_delete size: 1,000, or a quarter of the data set when that is smaller."""
        return min(MAX_BATCH, self.memories // 4)


class Progress:
    """tqdm bars on stderr, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled

    def bar(self, total: float | None, description: str, unit: str = "it") -> tqdm:
        return tqdm(total=total, desc=description, unit=unit, disable=not self._enabled, leave=True, dynamic_ncols=True)


async def run(settings: Settings, command: str) -> dict[str, Any]:
    configure_logging(service="bench", level="warning")
    logging.basicConfig(level=logging.WARNING)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    progress = Progress(settings.progress)
    result: dict[str, Any] = {
        "name": settings.name,
        "command": command,
        "started_at": started_at.isoformat(),
        "machine": report.machine(),
        "versions": report.versions(),
        "git": report.git_state(),
    }
    dataset = build_dataset(settings.memories, settings.users, seed=settings.seed)
    cases = search_cases(dataset, settings.search_queries, seed=settings.seed + 1)
    with tempfile.TemporaryDirectory(prefix="memgrid-bench-") as scratch:
        data_dir = settings.data_dir or Path(scratch)
        print(f"bench: starting the stack in {data_dir}", flush=True)
        collection = f"bench_{started_at:%Y%m%d_%H%M%S}" if settings.milvus_uri else None
        stack = await start_bench_stack(data_dir, milvus_uri=settings.milvus_uri, collection=collection)
        vector_settings = stack.vector_settings
        result["settings"] = {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()},
            "batch_size": settings.batch_size,
            "bulk_memories": settings.bulk_memories,
            "bulk_call_size": settings.bulk_call_size,
            "page_size": PAGE_SIZE,
            "top_k": floor.TOP_K,
            "load_search_share": LOAD_SEARCH_SHARE,
            "embedder": vector_settings.embedder,
            "embed_threads": vector_settings.embed_threads,
            "vector_backend": _vector_backend(vector_settings),
            "metadata_backend": "sqlite (aiosqlite)",
            "topology": "all four services and the load generator in one process, one event loop, loopback",
        }
        grpc_surface = GrpcSurface(stack.grpc_target, API_KEY, channels=max(1, settings.clients // 10))
        rest_surface = RestSurface(stack.rest_url, API_KEY, connections=max(settings.clients, 10))
        surfaces: list[Surface] = [grpc_surface, rest_surface]
        raw_client = None
        try:
            for surface in surfaces:
                await surface.ping()
            ids = await _ingest(result, dataset, surfaces, settings, progress)
            await _count(result, "listed_after_ingest", grpc_surface)
            raw_client = await asyncio.to_thread(floor.open_raw_client, vector_settings)
            if not vector_settings.uses_milvus_lite():
                result["versions"]["milvus-server"] = await asyncio.to_thread(raw_client.get_server_version)
                await _settle(result, raw_client, vector_settings, len(ids), progress)
            await _search(result, cases, surfaces, progress)
            await _floor(result, cases, TENANT, vector_settings, raw_client, progress)
            if settings.mem0_baseline:
                await _mem0(result, dataset, cases, surfaces, settings, vector_settings, raw_client, collection)
            await _pagination(result, surfaces, settings, progress)
            await _search_throughput(result, dataset, cases, surfaces, settings, progress)
            await _load(result, dataset, cases, surfaces, settings, progress)
            await _count(result, "listed_after_load", grpc_surface)
            await _batches(result, ids, surfaces, settings, progress)
            await _bulk_ingest(result, dataset, surfaces, settings, progress)
            await _count(result, "listed_final", grpc_surface)
        finally:
            for surface in surfaces:
                await surface.close()
            await stack.stop()
            if raw_client is not None:
                raw_client.close()
    result["machine_end"] = {"load_average": report.machine()["load_average"]}
    result["finished_at"] = datetime.now(UTC).isoformat()
    result["duration_s"] = round(time.perf_counter() - started, 1)
    _write(result, settings.out_dir)
    return result


def _vector_backend(vector_settings: VectorSearchSettings) -> str:
    if vector_settings.uses_milvus_lite():
        return "milvus-lite (in-process), FLAT/COSINE"
    consistency = vector_settings.milvus.consistency_level
    return f"milvus server {vector_settings.milvus.uri}, HNSW/COSINE, consistency {consistency}"


async def _settle(
    result: dict[str, Any], client: MilvusClient, vector_settings: VectorSearchSettings, rows: int, progress: Progress
) -> None:
    """Server path: flush, then wait until every row is served from an indexed sealed segment (the steady
    state a server reaches by itself within minutes); the time it took is reported."""
    started = time.perf_counter()
    with progress.bar(None, "milvus: flush + HNSW build", "s"):
        await asyncio.to_thread(seal_and_index, client, vector_settings.milvus.collection, rows)
    result["milvus_settle_s"] = round(time.perf_counter() - started, 1)


# --- (b) ingest -------------------------------------------------------------------------------------


async def _ingest(
    result: dict[str, Any], dataset: Dataset, surfaces: Sequence[Surface], settings: Settings, progress: Progress
) -> list[str]:
    """The first half of the users through the first surface, the rest through the second."""
    users = {user: index for index, user in enumerate(dataset.users)}
    halves: list[list[Chunk]] = [[], []]
    for chunk in dataset.chunks:
        halves[0 if users[chunk.user_id] < len(dataset.users) / 2 else 1].append(chunk)
    result["ingest"] = {}
    ids: list[str] = []
    for surface, chunks in zip(surfaces, halves, strict=True):
        total = sum(len(chunk.texts) for chunk in chunks)
        with progress.bar(total, f"ingest via {surface.name}", "mem") as bar:
            outcome = await _add_chunks(surface, chunks, settings.ingest_concurrency, bar.update)
        if len(outcome.ids) != total:
            raise RuntimeError(f"ingest via {surface.name}: {len(outcome.ids)} memories added, expected {total}")
        ids.extend(outcome.ids)
        result["ingest"][surface.name] = outcome.summary(total / len(chunks), settings.ingest_concurrency)
    result["counts"] = {"loaded": len(ids)}
    return ids


@dataclass(slots=True)
class IngestOutcome:
    ids: list[str] = field(default_factory=list)
    call_seconds: list[float] = field(default_factory=list)
    # One entry per failed add call (each is retried, up to INGEST_ATTEMPTS tries).
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0

    def summary(self, memories_per_call: float, concurrency: int) -> dict[str, Any]:
        return {
            "memories": len(self.ids),
            "calls": self.calls,
            "memories_per_call": round(memories_per_call, 2),
            "concurrency": concurrency,
            "seconds": round(self.seconds, 3),
            "memories_per_second": round(len(self.ids) / self.seconds, 1),
            "call_latency": summarize(self.call_seconds),
            "errors": len(self.failures),
            "error_samples": sorted(set(self.failures))[:5],
        }


async def _add_chunks(
    surface: Surface, chunks: Sequence[Chunk], concurrency: int, advance: Callable[[int], Any]
) -> IngestOutcome:
    queue: asyncio.Queue[Chunk] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)
    outcome = IngestOutcome(calls=len(chunks))

    async def worker() -> None:
        while not queue.empty():
            chunk = queue.get_nowait()
            for attempt in range(INGEST_ATTEMPTS):
                began = time.perf_counter()
                try:
                    new_ids = await surface.add(
                        chunk.user_id, chunk.texts, {"topic": chunk.topic}, int(chunk.created_at.timestamp())
                    )
                except Exception as error:  # counted and reported; the chunk is retried
                    outcome.failures.append(f"{type(error).__name__}: {str(error)[:200]}")
                    if attempt == INGEST_ATTEMPTS - 1:
                        raise
                    continue
                outcome.call_seconds.append(time.perf_counter() - began)
                break
            outcome.ids.extend(new_ids)
            advance(len(new_ids))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _count(result: dict[str, Any], key: str, surface: Surface) -> None:
    _, total = await surface.list_page(1, 1)
    result["counts"][key] = total


# --- (a) search ------------------------------------------------------------------------------------


async def _search(
    result: dict[str, Any], cases: Sequence[SearchCase], surfaces: Sequence[Surface], progress: Progress
) -> None:
    """Sequential searches, the surfaces interleaved query by query (in alternating order), so that what the
    backend is doing meanwhile (Milvus compacting after the index build) weighs on both alike."""
    timed: dict[tuple[str, str], tuple[list[float], list[int]]] = {}
    for kind in FILTER_KINDS:
        for surface in surfaces:
            for number, case in enumerate(cases[:WARMUP_QUERIES]):
                query = unique_query(case.query, f"{surface.name}-{kind}-warmup-{number}")
                await surface.search(query, kind, case.user_id, since=case.since, topic=case.topic)
        for surface in surfaces:
            timed[(surface.name, kind)] = ([], [])
        with progress.bar(len(cases) * len(surfaces), f"search {kind}", "q") as bar:
            for number, case in enumerate(cases):
                for surface in surfaces if number % 2 == 0 else list(reversed(surfaces)):
                    seconds, hits = timed[(surface.name, kind)]
                    query = unique_query(case.query, f"{surface.name}-{kind}-{number}")
                    start = time.perf_counter()
                    hits.append(await surface.search(query, kind, case.user_id, since=case.since, topic=case.topic))
                    seconds.append(time.perf_counter() - start)
                    bar.update(1)
    rows = []
    for surface in surfaces:
        for kind in FILTER_KINDS:
            seconds, hits = timed[(surface.name, kind)]
            rows.append(
                {
                    "surface": surface.name,
                    "filter": kind,
                    # Sequential: the QPS of one client is the inverse of the mean latency.
                    **summarize(seconds, wall_seconds=sum(seconds)),
                    "avg_hits": round(sum(hits) / len(hits), 2),
                    "min_hits": min(hits),
                }
            )
    result["search"] = rows


# --- the floor ------------------------------------------------------------------------------------


async def _floor(
    result: dict[str, Any],
    cases: Sequence[SearchCase],
    tenant: Tenant,
    vector_settings: VectorSearchSettings,
    raw_client: MilvusClient,
    progress: Progress,
) -> None:
    embedder = await asyncio.to_thread(floor.build_embedder, vector_settings)
    floor.time_embeddings(embedder, cases[:WARMUP_QUERIES], lambda: None)
    with progress.bar(len(cases), "floor: embed", "q") as bar:
        embed_seconds, vectors = floor.time_embeddings(embedder, cases, lambda: bar.update(1))
    raw: dict[str, Any] = {}
    for kind in ("user", "user+date"):
        floor.time_raw_searches(
            raw_client, vector_settings, tenant, kind, cases[:WARMUP_QUERIES], vectors[:WARMUP_QUERIES], lambda: None
        )
        with progress.bar(len(cases), f"floor: raw search {kind}", "q") as bar:
            seconds, hits = floor.time_raw_searches(
                raw_client, vector_settings, tenant, kind, cases, vectors, lambda: bar.update(1)
            )
        raw[kind] = {**summarize(seconds), "avg_hits": round(sum(hits) / len(hits), 2)}
    embed = summarize(embed_seconds)
    floor_p50 = embed["p50_ms"] + raw["user"]["p50_ms"]
    overhead = {}
    for row in result["search"]:
        if row["filter"] == "user":
            overhead[row["surface"]] = {
                "gateway_p50_ms": row["p50_ms"],
                "overhead_ms": round(row["p50_ms"] - floor_p50, 3),
                "ratio": round(row["p50_ms"] / floor_p50, 3) if floor_p50 > 0 else math.nan,
            }
    result["floor"] = {
        "kind": "user",
        "raw_limit": floor.TOP_K + floor.SEARCH_OVERFETCH,
        "embed": embed,
        "raw_search": raw,
        "floor_p50_ms": round(floor_p50, 3),
        "overhead": overhead,
    }


# --- (e) pagination -------------------------------------------------------------------------------


async def _pagination(
    result: dict[str, Any], surfaces: Sequence[Surface], settings: Settings, progress: Progress
) -> None:
    rows = []
    for surface in surfaces:
        _, total = await surface.list_page(1, 1)
        last = max(1, math.ceil(total / PAGE_SIZE))
        expected_last = total - (last - 1) * PAGE_SIZE
        for page in sorted({1, last}):
            seconds: list[float] = []
            with progress.bar(settings.pagination_repeats, f"get_all {surface.name} page {page}", "call") as bar:
                for _ in range(settings.pagination_repeats):
                    start = time.perf_counter()
                    rows_returned, _ = await surface.list_page(page, PAGE_SIZE)
                    seconds.append(time.perf_counter() - start)
                    bar.update(1)
            expected = min(PAGE_SIZE, total) if page == 1 else expected_last
            if rows_returned != expected:
                raise RuntimeError(f"get_all page {page}: {rows_returned} rows, expected {expected}")
            rows.append(
                {
                    "surface": surface.name,
                    "page": page,
                    "page_size": PAGE_SIZE,
                    "rows": rows_returned,
                    "total": total,
                    **summarize(seconds),
                }
            )
    result["pagination"] = rows


# --- (a) search throughput under concurrency -------------------------------------------------------


async def _search_throughput(
    result: dict[str, Any],
    dataset: Dataset,
    cases: Sequence[SearchCase],
    surfaces: Sequence[Surface],
    settings: Settings,
    progress: Progress,
) -> None:
    """Search-only load (filters mixed evenly) with the load's client count: the search QPS ceiling."""
    rows = []
    for number, surface in enumerate(surfaces):
        rows.append(
            await _load_one(
                surface,
                dataset,
                cases,
                settings,
                progress,
                seed=settings.seed * 10 + number,
                search_share=1.0,
                duration_s=min(settings.duration_s, SEARCH_QPS_SECONDS),
            )
        )
    result["search_concurrent"] = rows


# --- (f) concurrent load --------------------------------------------------------------------------


async def _load(
    result: dict[str, Any],
    dataset: Dataset,
    cases: Sequence[SearchCase],
    surfaces: Sequence[Surface],
    settings: Settings,
    progress: Progress,
) -> None:
    rows = []
    adds_total = 0
    for number, surface in enumerate(surfaces):
        row = await _load_one(
            surface,
            dataset,
            cases,
            settings,
            progress,
            seed=settings.seed * 100 + number,
            search_share=LOAD_SEARCH_SHARE,
            duration_s=settings.duration_s,
        )
        adds_total += row["add"]["count"]
        rows.append(row)
    result["load"] = rows
    result["counts"]["load_adds"] = adds_total


async def _load_one(
    surface: Surface,
    dataset: Dataset,
    cases: Sequence[SearchCase],
    settings: Settings,
    progress: Progress,
    *,
    seed: int,
    search_share: float,
    duration_s: float,
) -> dict[str, Any]:
    search_seconds: list[float] = []
    add_seconds: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + duration_s

    async def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        for _ in range(MAX_OPS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                return
            is_search = rng.random() < search_share
            start = time.perf_counter()
            try:
                if is_search:
                    case = rng.choice(cases)
                    kind = rng.choice(FILTER_KINDS)
                    query = unique_query(case.query, f"load-{seed}-{number}-{rng.getrandbits(48)}")
                    await surface.search(query, kind, case.user_id, since=case.since, topic=case.topic)
                else:
                    user = rng.choice(dataset.users)
                    topic = rng.choice(dataset.topics_of(user))
                    await surface.add(user, [memory_text(rng, topic)], {"topic": topic}, None)
            except Exception as error:  # a load test counts every failure
                errors.append(f"{type(error).__name__}: {str(error)[:200]}")
                continue
            (search_seconds if is_search else add_seconds).append(time.perf_counter() - start)

    async def ticker(bar: tqdm) -> None:
        while True:
            await asyncio.sleep(0.5)
            bar.n = round(min(duration_s, duration_s - (deadline - time.perf_counter())), 1)
            bar.set_postfix(ops=len(search_seconds) + len(add_seconds), errors=len(errors), refresh=True)

    label = "load" if search_share < 1 else "search-only load"
    with progress.bar(duration_s, f"{label} {surface.name} x{settings.clients}", "s") as bar:
        began = time.perf_counter()
        tick = asyncio.create_task(ticker(bar))
        try:
            await asyncio.gather(*(client(number) for number in range(settings.clients)))
        finally:
            tick.cancel()
        wall = time.perf_counter() - began
        bar.n = duration_s
        bar.refresh()
    ops = len(search_seconds) + len(add_seconds)
    return {
        "surface": surface.name,
        "clients": settings.clients,
        "duration_s": duration_s,
        "search_share": search_share,
        "wall_s": round(wall, 3),
        "ops": ops,
        "ops_per_second": round(ops / wall, 2),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "search": summarize(search_seconds, wall_seconds=wall),
        "add": summarize(add_seconds, wall_seconds=wall),
    }


# --- (d) batch update / delete --------------------------------------------------------------------


async def _batches(
    result: dict[str, Any], ids: Sequence[str], surfaces: Sequence[Surface], settings: Settings, progress: Progress
) -> None:
    size = settings.batch_size
    rng = random.Random(settings.seed + 2)
    pool = list(ids)
    rng.shuffle(pool)
    slices = [pool[i * size : (i + 1) * size] for i in range(2 * len(surfaces))]
    rows = []
    steps: list[tuple[str, Surface, list[str]]] = []
    for index, surface in enumerate(surfaces):
        steps.append(("batch_update", surface, slices[index]))
    for index, surface in enumerate(surfaces):
        steps.append(("batch_delete", surface, slices[len(surfaces) + index]))
    with progress.bar(len(steps), "batch update/delete", "call") as bar:
        for operation, surface, chunk in steps:
            call: Awaitable[int]
            if operation == "batch_update":
                # Texts of its own per surface: with the same texts, the second surface's vectors came from
                # the embedding cache (0.8 s instead of 3.6 s for 1,000 in milvus-server-100k-onnx).
                call = surface.batch_update(
                    [(memory_id, f"Updated memory number {n} via {surface.name}.") for n, memory_id in enumerate(chunk)]
                )
            else:
                call = surface.batch_delete(chunk)
            start = time.perf_counter()
            count = await call
            seconds = time.perf_counter() - start
            if count != len(chunk):
                raise RuntimeError(f"{operation} via {surface.name}: {count} changed, expected {len(chunk)}")
            rows.append(
                {
                    "surface": surface.name,
                    "operation": operation,
                    "size": len(chunk),
                    "count": count,
                    "seconds": round(seconds, 4),
                }
            )
            bar.update(1)
    result["batch"] = rows
    result["counts"]["batch_deleted"] = sum(row["count"] for row in rows if row["operation"] == "batch_delete")


# --- (b) ingest in large calls ---------------------------------------------------------------------


async def _bulk_ingest(
    result: dict[str, Any], dataset: Dataset, surfaces: Sequence[Surface], settings: Settings, progress: Progress
) -> None:
    """Raw ingest with many messages per call, one call in flight, into users of its own (bulk-<surface>-<n>)."""
    rng = random.Random(settings.seed + 3)
    size = settings.bulk_call_size
    calls = max(1, settings.bulk_memories // size)
    rows: dict[str, Any] = {}
    for surface in surfaces:
        chunks = [
            Chunk(
                user_id=f"bulk-{surface.name}-{number:03d}",
                topic=(topic := rng.choice(TOPICS)),
                created_at=dataset.now,
                texts=tuple(memory_text(rng, topic) for _ in range(size)),
            )
            for number in range(calls)
        ]
        with progress.bar(calls * size, f"bulk ingest via {surface.name}", "mem") as bar:
            outcome = await _add_chunks(surface, chunks, 1, bar.update)
        if len(outcome.ids) != calls * size:
            raise RuntimeError(
                f"bulk ingest via {surface.name}: {len(outcome.ids)} memories added, expected {calls * size}"
            )
        rows[surface.name] = outcome.summary(size, 1)
    result["ingest_bulk"] = rows
    result["counts"]["bulk_added"] = sum(row["memories"] for row in rows.values())


# --- the mem0 OSS library on the same data and queries -----------------------------------------------


async def _mem0(
    result: dict[str, Any],
    dataset: Dataset,
    cases: Sequence[SearchCase],
    surfaces: Sequence[Surface],
    settings: Settings,
    vector_settings: VectorSearchSettings,
    raw_client: MilvusClient,
    collection: str | None,
) -> None:
    """mem0 on the same backend kind (on a server: the same server, its own collection), loaded while memgrid's
    stack idles and searched interleaved with memgrid's surfaces, before memgrid's data changes."""
    embedder = await asyncio.to_thread(floor.build_embedder, vector_settings)

    def embed(case: SearchCase) -> tuple[float, list[float]]:
        seconds, vectors = floor.time_embeddings(embedder, [case], lambda: None)
        return seconds[0], vectors[0]

    def raw_search(case: SearchCase, vector: list[float]) -> float:
        seconds, _ = floor.time_raw_searches(
            raw_client, vector_settings, TENANT, "user", [case], [vector], lambda: None
        )
        return seconds[0]

    side = mem0_side.Mem0Side(
        milvus_uri=settings.milvus_uri,
        collection=f"mem0_{collection}" if collection else "mem0_bench",
        embed_threads=vector_settings.embed_threads,
        top_k=floor.TOP_K,
        warmup=WARMUP_QUERIES,
        ingest_concurrency=settings.ingest_concurrency,
    )
    load_average = report.machine()["load_average"]
    result["mem0"] = await mem0_side.measure(dataset, cases, side, mem0_side.MemgridProbe(surfaces, embed, raw_search))
    result["mem0"]["load_average"] = {"start": load_average, "end": report.machine()["load_average"]}
    result["mem0"]["ratios"] = mem0_compare.ratio_rows(result)


# --- output ---------------------------------------------------------------------------------------


def _write(result: dict[str, Any], out_dir: Path) -> None:
    write_result(result, out_dir, report.markdown(result))


def write_result(result: dict[str, Any], out_dir: Path, table: str) -> None:
    """<out_dir>/<name>.json and <name>.md (`table`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{result['name']}.json"
    md_path = out_dir / f"{result['name']}.md"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    md_path.write_text(table)
    print(f"bench: wrote {json_path} and {md_path}", flush=True)
