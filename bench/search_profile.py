"""Where the time of a search goes: sequential user-filtered searches, stage by stage, wall and CPU.

`python -m bench.search_profile [--memories 20000] [--users 200] [--searches 300] [--surface grpc|rest]
[--embedder hashing|minilm-onnx|...] [--milvus-uri URI] [--pyinstrument FILE.html]` starts the whole stack in
this process (tests/support/stack.py; Milvus Lite in a temporary directory unless `--milvus-uri`), loads the
bench dataset, then times each search (a distinct query text each, as `bench run` does) and the gateway's
calls to the internal services inside it. It prints ms per search by stage (medians) and the CPU time this
process spent per search: all four services and the client run in it, so CPU close to wall time means the
search is computing in Python, not waiting. Stages overlap: the dense and lexical lookups run concurrently.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.clients import GrpcSurface, RestSurface
from bench.data import build_dataset, search_cases, unique_query
from bench.ingest_profile import StageTimer
from bench.stack import API_KEY, TENANT
from gateway.clients import MetadataClient, VectorSearchClient
from gateway.orchestrator import Orchestrator
from libs.logging import configure_logging
from services.vectorsearch.core import VectorSearch
from services.vectorsearch.settings import VectorSearchSettings
from tests.support.processes import Processes, free_ports
from tests.support.stack import start_stack

LOAD_CONCURRENCY = 4
WARMUP = 20


async def _load(surface: Any, memories: int, users: int) -> Any:
    dataset = build_dataset(memories, users)
    chunks = iter(dataset.chunks)

    async def worker() -> None:
        for chunk in chunks:
            await surface.add(chunk.user_id, chunk.texts, {"topic": chunk.topic}, int(chunk.created_at.timestamp()))

    await asyncio.gather(*(worker() for _ in range(LOAD_CONCURRENCY)))
    return dataset


async def profile(args: argparse.Namespace, data_dir: Path, profiler: Any = None) -> dict[str, Any]:
    """The per-stage medians; `profiler` (start()/stop(), e.g. pyinstrument's) runs around the searches only."""
    vector_settings = VectorSearchSettings(
        data_dir=data_dir,
        vectorsearch_port=0,
        embedder=args.embedder,
        **({"milvus": {"uri": args.milvus_uri}} if args.milvus_uri else {}),
    )
    api_keys = f"{API_KEY}={TENANT.org_id}/{TENANT.project_id}"
    if args.processes:
        env = {"MEMGRID_EMBEDDER": args.embedder}
        if args.milvus_uri:
            env["MEMGRID_MILVUS__URI"] = args.milvus_uri
        (data_dir / "logs").mkdir()
        procs = Processes(data_dir, free_ports(), data_dir / "logs", api_keys, extra_env=env)
        await procs.start_all()
        grpc_target, rest_url, stop = procs.target("gateway"), f"http://127.0.0.1:{procs.ports['http']}", procs.stop_all
    else:
        stack = await start_stack(data_dir, api_keys, vector_settings=vector_settings)
        grpc_target, rest_url, stop = stack.grpc_target, stack.rest_url, stack.stop
    surface = GrpcSurface(grpc_target, API_KEY) if args.surface == "grpc" else RestSurface(rest_url, API_KEY)
    timer = StageTimer()
    per_search: list[dict[str, float]] = []
    try:
        dataset = await _load(surface, args.memories, args.users)
        undo = [
            timer.wrap(Orchestrator, "search", "gateway: Orchestrator.search"),
            timer.wrap(VectorSearchClient, "search", "  vectorsearch.search (RPC)"),
            timer.wrap(VectorSearch, "embed", "    embed"),
            timer.wrap(MetadataClient, "search_text", "  metadata.search_text (RPC)"),
            timer.wrap(MetadataClient, "get_memories", "  metadata.get_memories (RPC)"),
            timer.wrap(MetadataClient, "authenticate", "  metadata.authenticate (RPC)"),
            timer.wrap_client_call({"search": "    milvus.search", "query": "    milvus.query"}),
            timer.count_sql(),
        ]
        try:
            cases = search_cases(dataset, WARMUP + args.searches)
            if profiler is not None:
                profiler.start()
            for index, case in enumerate(cases):
                query = unique_query(case.query, f"profile-{index}")
                timer.current.clear()
                started, cpu = time.perf_counter(), time.process_time()
                await surface.search(query, "user", case.user_id, since=case.since, topic=case.topic)
                total, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
                if index >= WARMUP:
                    per_search.append(
                        {**timer.current, "TOTAL (client side)": total, "CPU of this process": cpu_seconds}
                    )
        finally:
            if profiler is not None:
                profiler.stop()
            for restore in undo:
                restore()
    finally:
        await surface.close()
        await stop()
    stages = sorted({stage for row in per_search for stage in row}, key=_stage_order)
    medians = {stage: statistics.median(row.get(stage, 0.0) for row in per_search) * 1000 for stage in stages}
    if "SQL statements (count)" in medians:
        medians["SQL statements (count)"] /= 1000
    return {"surface": args.surface, "embedder": args.embedder, "searches": args.searches, "ms_p50": medians}


def _stage_order(stage: str) -> tuple[int, str]:
    first = ("TOTAL", "CPU", "gateway")
    return (next((i for i, prefix in enumerate(first) if stage.startswith(prefix)), len(first)), stage)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--memories", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--surface", choices=("grpc", "rest"), default="grpc")
    parser.add_argument("--embedder", default="minilm-onnx")
    parser.add_argument("--processes", action="store_true", help="the services as OS processes (as `memgrid up`)")
    parser.add_argument("--milvus-uri", help="a Milvus server instead of Milvus Lite")
    parser.add_argument("--pyinstrument", type=Path, help="also write a pyinstrument HTML profile of the searches")
    args = parser.parse_args()
    # As `bench run`: the services' info logs (a line per internal call) are not part of what is measured.
    configure_logging(service="bench", level="warning")
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="memgrid-search-") as tmp:
        profiler = None
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled")
        result = asyncio.run(profile(args, Path(tmp), profiler))
        if profiler is not None:
            args.pyinstrument.write_text(profiler.output_html(), encoding="utf-8")
            print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{result['searches']} searches over {result['surface']}, embedder {result['embedder']}; p50 ms:")
    for stage, ms in result["ms_p50"].items():
        print(f"  {stage:<36} {ms:8.2f}{'' if 'count' in stage else ' ms'}")


if __name__ == "__main__":
    main()
