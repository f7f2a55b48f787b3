"""Look for stalls during raw ingest: every internal call's duration on a timeline, plus event-loop lag.

`python -m bench.ingest_stalls [--memories 30000] [--per-call 50] [--in-flight 4] [--surface rest|grpc]
[--embedder hashing] [--milvus-uri URI]` starts the whole stack in this process (as `bench run` does), adds
the memories (infer=false) with that many calls in flight, and records every call the gateway makes to the
internal services, the metadata store's methods, the embedder and each Milvus client call, with start time
and duration; a task measures how late the event loop wakes it (blocking work on the loop). It prints the
client-side latency distribution, every client call over --slow seconds with the internal calls that overlapped
it, and the longest internal calls per name.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.clients import GrpcSurface, RestSurface, Surface
from bench.patching import time_method, time_milvus_calls
from bench.stack import API_KEY, TENANT
from gateway.clients import MetadataClient, VectorSearchClient
from services.metadata.store import SqlMetadataStore
from services.vectorsearch.core import VectorSearch
from services.vectorsearch.settings import VectorSearchSettings
from tests.support.stack import start_stack

STORE_METHODS = (
    "create_memories",
    "ack_vector_syncs",
    "list_pending_vector_syncs",
    "claim_jobs",
    "claim_webhook_deliveries",
    "record_event",
    "begin_idempotent_request",
)


@dataclass(frozen=True, slots=True)
class Span:
    name: str
    start: float
    seconds: float


class Recorder:
    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: type, method: str, name: str) -> None:
        self._undo.append(time_method(owner, method, lambda started, seconds: self._add(name, started, seconds)))

    def wrap_milvus(self) -> None:
        self._undo.append(
            time_milvus_calls(lambda name, started, seconds: self._add(f"milvus.{name}", started, seconds))
        )

    def _add(self, name: str, started: float, seconds: float) -> None:
        self.spans.append(Span(name, started, seconds))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()


async def _loop_lag(spans: list[Span], stop: asyncio.Event, tick: float = 0.05) -> None:
    """Records a span whenever the loop wakes this task more than 0.25 s late."""
    while not stop.is_set():
        expected = time.perf_counter() + tick
        await asyncio.sleep(tick)
        late = time.perf_counter() - expected
        if late > 0.25:
            spans.append(Span("event loop lag", expected, late))


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    recorder = Recorder()
    for method in ("create_memories", "ack_vector_syncs", "record_event", "claim_jobs", "claim_webhook_deliveries"):
        recorder.wrap(MetadataClient, method, f"rpc metadata.{method}")
    recorder.wrap(VectorSearchClient, "upsert", "rpc vectorsearch.upsert")
    for method in STORE_METHODS:
        recorder.wrap(SqlMetadataStore, method, f"store.{method}")
    recorder.wrap(VectorSearch, "embed", "embed")
    recorder.wrap_milvus()
    milvus = {"milvus": {"uri": args.milvus_uri, "collection": "stalls"}} if args.milvus_uri else {}
    settings = VectorSearchSettings(data_dir=data_dir, vectorsearch_port=0, embedder=args.embedder, **milvus)
    stack = await start_stack(data_dir, f"{API_KEY}={TENANT.org_id}/{TENANT.project_id}", vector_settings=settings)
    surface: Surface = (
        RestSurface(stack.rest_url, API_KEY) if args.surface == "rest" else GrpcSurface(stack.grpc_target, API_KEY)
    )
    calls: list[tuple[float, float, str]] = []
    stop = asyncio.Event()
    lag = asyncio.create_task(_loop_lag(recorder.spans, stop))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(args.memories // args.per_call):
        queue.put_nowait(number)
    begun = time.perf_counter()

    async def worker() -> None:
        while not queue.empty():
            number = queue.get_nowait()
            texts = [f"user {number % 100} noted item {number}-{n} on topic {n % 13}" for n in range(args.per_call)]
            started = time.perf_counter()
            try:
                await surface.add(f"user-{number % 100}", texts, {"topic": "t"}, None)
                outcome = "ok"
            except Exception as error:  # an error is a result here: record it and go on
                outcome = f"{type(error).__name__}: {str(error)[:100]}"
            calls.append((started, time.perf_counter() - started, outcome))
            if number % 100 == 0:
                print(f"{number * args.per_call} memories, {time.perf_counter() - begun:.0f} s", flush=True)

    try:
        await asyncio.gather(*(worker() for _ in range(args.in_flight)))
    finally:
        stop.set()
        await lag
        await surface.close()
        await stack.stop()
        recorder.restore()
    _report(args, calls, recorder.spans, begun)


def _report(args: argparse.Namespace, calls: list[tuple[float, float, str]], spans: list[Span], begun: float) -> None:
    latencies = sorted(seconds for _, seconds, _ in calls)
    failed = [call for call in calls if call[2] != "ok"]
    print(
        f"\n{len(calls)} {args.surface} adds of {args.per_call}, {args.in_flight} in flight, embedder {args.embedder}, "
        f"milvus {args.milvus_uri or 'lite'}: {len(failed)} failed; p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"load average {os.getloadavg()}"
    )
    for started, seconds, outcome in sorted(calls):
        if seconds < args.slow:
            continue
        print(f"\nslow call at +{started - begun:.1f} s: {seconds:.1f} s, {outcome}")
        overlapping = [s for s in spans if s.start < started + seconds and s.start + s.seconds > started]
        for span in sorted(overlapping, key=lambda s: -s.seconds)[:12]:
            print(f"    {span.name:<40} +{span.start - begun:8.1f} s  {span.seconds * 1000:9.1f} ms")
    worst: dict[str, list[float]] = defaultdict(list)
    for span in spans:
        worst[span.name].append(span.seconds)
    print("\ninternal calls: count, p50, p99, max (ms)")
    for name, values in sorted(worst.items()):
        values.sort()
        print(
            f"  {name:<40} {len(values):6d} {statistics.median(values) * 1000:8.1f} "
            f"{values[int(len(values) * 0.99)] * 1000:8.1f} {values[-1] * 1000:9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_stalls", description=__doc__.split("\n")[0])
    parser.add_argument("--memories", type=int, default=30_000)
    parser.add_argument("--per-call", type=int, default=50)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--surface", choices=("rest", "grpc"), default="rest")
    parser.add_argument("--embedder", default="hashing")
    parser.add_argument("--milvus-uri", default=os.environ.get("MEMGRID_TEST_MILVUS_URI"))
    parser.add_argument("--slow", type=float, default=3.0, help="report client calls slower than this (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memgrid-stalls-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
