"""Where the time of batch_update / batch_delete of 1,000 memories goes, per surface, stage by stage.

`python -m bench.batch_profile [--memories 4000] [--embedder minilm-onnx] [--rounds 1] [--milvus-uri URI]
[--pyinstrument FILE]` starts the whole stack in this process (tests/support/stack.py: real SQLite, Milvus Lite or
the server at URI, default $MEMGRID_TEST_MILVUS_URI as tests/support/with_milvus_server.sh sets it), adds the
memories over gRPC (infer=false, 100 per call), then per round: batch_update of 1,000 via gRPC and via REST, each
with texts of its own, then the REST update again with the texts the gRPC update just sent ("same texts": what
`bench run` did, where the embedding cache answered the second surface), then batch_delete of 1,000 via each
surface. Every call's gateway-side stages are timed (bench.ingest_profile.StageTimer) and its SQL statements
counted. Stages nest: `vectorsearch.*` (the gateway's RPC) contains `embed` and `milvus.*`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from bench.clients import GrpcSurface, RestSurface
from bench.ingest_profile import StageTimer
from gateway.clients import MetadataClient, VectorSearchClient
from services.vectorsearch.core import VectorSearch
from services.vectorsearch.settings import VectorSearchSettings
from tests.support.stack import start_stack

API_KEY = "bench-batch-key"
BATCH = 1_000
ADD_CALL = 100


async def profile(
    memories: int, embedder: str, rounds: int, data_dir: Path, milvus_uri: str | None
) -> list[dict[str, Any]]:
    if memories < 4 * BATCH * rounds:
        raise SystemExit(f"--memories: need at least {4 * BATCH * rounds} for {rounds} round(s)")
    timer = StageTimer()
    undo = [
        timer.wrap(MetadataClient, "begin_idempotent_request", "metadata.idempotency"),
        timer.wrap(MetadataClient, "get_memories", "metadata.get_memories"),
        timer.wrap(MetadataClient, "update_memories", "metadata.update_memories"),
        timer.wrap(MetadataClient, "delete_memories", "metadata.delete_memories"),
        timer.wrap(VectorSearchClient, "upsert", "vectorsearch.upsert (RPC)"),
        timer.wrap(VectorSearchClient, "delete", "vectorsearch.delete (RPC)"),
        timer.wrap(VectorSearch, "embed", "  embed"),
        timer.wrap(MetadataClient, "ack_vector_syncs", "metadata.ack_vector_syncs"),
        timer.wrap(MetadataClient, "record_event", "metadata.record_event"),
        timer.wrap_client_call({}),
        timer.count_sql(),
    ]
    milvus = {"milvus": {"uri": milvus_uri, "collection": "batches"}} if milvus_uri else {}
    settings = VectorSearchSettings(data_dir=data_dir, vectorsearch_port=0, embedder=embedder, **milvus)
    stack = await start_stack(data_dir, f"{API_KEY}=bench/batches", vector_settings=settings)
    grpc_surface = GrpcSurface(stack.grpc_target, API_KEY)
    rest_surface = RestSurface(stack.rest_url, API_KEY)
    rows: list[dict[str, Any]] = []
    try:
        ids: list[str] = []
        for first in range(0, memories, ADD_CALL):
            texts = [f"User {n % 50} said fact {n} about topic {n % 17}." for n in range(first, first + ADD_CALL)]
            ids.extend(await grpc_surface.add(f"user-{first // ADD_CALL % 50}", texts, {"topic": "t"}, None))
        print(f"added {len(ids)} memories", flush=True)

        async def timed(name: str, call: Awaitable[int], expected: int) -> None:
            timer.current.clear()
            started = time.perf_counter()
            try:
                outcome = f"{await call} changed (expected {expected})"
            except RuntimeError as error:  # an HTTP error status: keep going, show it
                outcome = str(error)[:120]
            row = {"call": name, "outcome": outcome, "TOTAL (client side)": time.perf_counter() - started}
            rows.append({**row, **timer.current})
            _print(rows[-1])

        for round_ in range(rounds):
            chunk = ids[4 * BATCH * round_ :]
            first, second, third, fourth = (chunk[i * BATCH : (i + 1) * BATCH] for i in range(4))
            grpc_texts = [(memory_id, f"Updated memory number {n} ({round_}g).") for n, memory_id in enumerate(first)]
            rest_texts = [(memory_id, f"Updated memory number {n} ({round_}r).") for n, memory_id in enumerate(second)]
            same_texts = [(memory_id, text) for memory_id, (_, text) in zip(second, grpc_texts, strict=True)]
            await timed("batch_update via grpc", grpc_surface.batch_update(grpc_texts), BATCH)
            await timed("batch_update via rest", rest_surface.batch_update(rest_texts), BATCH)
            await timed("batch_update via rest, gRPC's texts", rest_surface.batch_update(same_texts), BATCH)
            await timed("batch_delete via grpc", grpc_surface.batch_delete(third), BATCH)
            await timed("batch_delete via rest", rest_surface.batch_delete(fourth), BATCH)
    finally:
        await grpc_surface.close()
        await rest_surface.close()
        await stack.stop()
        for restore in undo:
            restore()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.batch_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--memories", type=int, default=4 * BATCH)
    parser.add_argument("--embedder", default="minilm-onnx")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--milvus-uri", default=os.environ.get("MEMGRID_TEST_MILVUS_URI"), help="default: Milvus Lite")
    parser.add_argument("--pyinstrument", type=Path, help="also write a pyinstrument HTML profile here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memgrid-batches-") as tmp:
        run = profile(args.memories, args.embedder, args.rounds, Path(tmp), args.milvus_uri)
        if args.pyinstrument:
            from pyinstrument import Profiler

            with Profiler(async_mode="disabled") as profiler:
                rows = asyncio.run(run)
            args.pyinstrument.write_text(profiler.output_html(), encoding="utf-8")
        else:
            rows = asyncio.run(run)
    print(f"embedder {args.embedder}; load average {os.getloadavg()}")
    for row in rows:
        _print(row)


def _print(row: dict[str, Any]) -> None:
    print(f"== {row['call']}: {row['outcome']}", flush=True)
    for stage, value in sorted(row.items()):
        if stage not in ("call", "outcome"):
            print(f"  {stage:<34} {value:8.0f}" if "count" in stage else f"  {stage:<34} {value * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
