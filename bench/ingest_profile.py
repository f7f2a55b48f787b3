"""Where the time of a raw add goes: add(infer=false) of 100 messages, stage by stage.

`python -m bench.ingest_profile [--adds 10] [--messages 100] [--embedder minilm|minilm-onnx|hashing]
[--pyinstrument FILE.html]` starts the whole stack in this process (tests/support/stack.py, real SQLite and
Milvus Lite), posts the adds one at a time over REST, and wraps the gateway's calls to the internal services
and vectorsearch's embed/store steps with timers. It prints ms per add by stage (medians over the adds after
one warm-up add), the embedding share, and the CPU time the process spent per add (all four services and
the client run in it; Milvus Lite's server is a process of its own): steadier than wall time on a loaded
machine. Stages nest: `vectorsearch.upsert` (the gateway's RPC) contains
`embed` and `milvus.*`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.data import memory_text
from bench.patching import time_method, time_milvus_calls
from gateway.clients import MetadataClient, VectorSearchClient
from services.vectorsearch.core import VectorSearch
from services.vectorsearch.settings import VectorSearchSettings
from tests.support.stack import start_stack

API_KEY = "bench-profile-key"
TOPICS = ("food", "travel", "work", "health", "music")


class StageTimer:
    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)

    def wrap(self, owner: type, method: str, stage: str) -> Callable[[], None]:
        return time_method(owner, method, lambda _started, seconds: self._add(stage, seconds))

    def wrap_client_call(self, stage_of: dict[str, str]) -> Callable[[], None]:
        """Milvus client calls, timed by name (`stage_of` renames them)."""
        return time_milvus_calls(
            lambda name, _started, seconds: self._add(stage_of.get(name, f"milvus.{name}"), seconds)
        )

    def _add(self, stage: str, seconds: float) -> None:
        self.current[stage] += seconds

    def count_sql(self) -> Callable[[], None]:
        """SQL statements executed (an executemany counts once), on every engine of this process."""

        def counted(*_: Any) -> None:
            self.current["SQL statements (count)"] += 1

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", counted)
        return lambda: sa.event.remove(sa.engine.Engine, "before_cursor_execute", counted)


async def profile(adds: int, messages: int, embedder: str, data_dir: Path) -> dict[str, Any]:
    timer = StageTimer()
    undo = [
        timer.wrap(MetadataClient, "begin_idempotent_request", "metadata.idempotency"),
        timer.wrap(MetadataClient, "create_memories", "metadata.create_memories"),
        timer.wrap(VectorSearchClient, "upsert", "vectorsearch.upsert (RPC)"),
        timer.wrap(VectorSearch, "embed", "  embed"),
        timer.wrap(MetadataClient, "ack_vector_syncs", "metadata.ack_vector_syncs"),
        timer.wrap(MetadataClient, "record_event", "metadata.record_event"),
        timer.wrap_client_call({}),
        timer.count_sql(),
    ]
    settings = VectorSearchSettings(data_dir=data_dir, vectorsearch_port=0, embedder=embedder)
    stack = await start_stack(data_dir, f"{API_KEY}=bench/profile", vector_settings=settings)
    rng = random.Random(5)
    per_add: list[dict[str, float]] = []
    try:
        async with httpx.AsyncClient(
            base_url=stack.rest_url, headers={"Authorization": f"Token {API_KEY}"}, timeout=120
        ) as http:
            for index in range(adds + 1):
                texts = [f"{memory_text(rng, rng.choice(TOPICS))} ({index}-{n})" for n in range(messages)]
                body = {"messages": [{"role": "user", "content": t} for t in texts], "user_id": f"u{index}"}
                timer.current.clear()
                started, cpu = time.perf_counter(), time.process_time()
                answer = await http.post("/v1/memories/", json={**body, "infer": False})
                total = time.perf_counter() - started
                cpu_seconds = time.process_time() - cpu
                answer.raise_for_status()
                if index:  # the first add warms up
                    per_add.append(
                        {**timer.current, "TOTAL (REST, client side)": total, "CPU of this process": cpu_seconds}
                    )
    finally:
        await stack.stop()
        for restore in undo:
            restore()
    stages = sorted({stage for row in per_add for stage in row})
    medians = {stage: statistics.median(row.get(stage, 0.0) for row in per_add) * 1000 for stage in stages}
    medians["SQL statements (count)"] /= 1000
    return {"embedder": embedder, "adds": adds, "messages": messages, "ms_per_add_p50": medians}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--adds", type=int, default=10)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--pyinstrument", type=Path, help="also write a pyinstrument HTML profile here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memgrid-ingest-") as tmp:
        run = profile(args.adds, args.messages, args.embedder, Path(tmp))
        if args.pyinstrument:
            from pyinstrument import Profiler

            with Profiler(async_mode="disabled") as profiler:
                result = asyncio.run(run)
            args.pyinstrument.write_text(profiler.output_html(), encoding="utf-8")
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            result = asyncio.run(run)
    total = result["ms_per_add_p50"]["TOTAL (REST, client side)"]
    embed = result["ms_per_add_p50"].get("  embed", 0.0)
    print(f"{result['adds']} adds x {result['messages']} messages, embedder {result['embedder']}; p50 ms per add:")
    for stage, ms in result["ms_per_add_p50"].items():
        print(f"  {stage:<34} {ms:8.1f}{'' if 'count' in stage else ' ms'}")
    cpu = result["ms_per_add_p50"]["CPU of this process"]
    print(f"  => {result['messages'] / total * 1000:.0f} memories/s; embedding {embed / total:.0%} of the add")
    print(f"  => {result['messages'] / cpu * 1000:.0f} memories per CPU-second of this process")


if __name__ == "__main__":
    main()
