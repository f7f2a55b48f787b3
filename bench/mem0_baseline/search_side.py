"""The mem0 OSS side of `python -m bench run --mem0-baseline`: the same data and queries through `mem0.Memory`.

bench/mem0_baseline/search_runner.py runs in .venv-mem0 (created on first use) beside memgrid's running stack,
with the run's own Dataset and SearchCases. The first chunks of the data set (`ingest_sample(memories)`
memories) go through timed `Memory.add(infer=False)` calls, the same calls memgrid's ingest made; the rest is
loaded through mem0's own vector-store object (at ~34 memories/s a full `Memory.add` load of 100k would take
~50 min), with the payloads mem0's add writes. Then every query goes to memgrid's surfaces and to mem0 in turn
(the order rotating per query), so both sides are timed under the same machine load; likewise each side's
query embedding alone and its raw vector search alone. memgrid is timed as a client sees it (a gRPC / HTTP call
on loopback), mem0 around its in-process `Memory.search` call.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.clients import FILTER_KINDS, Surface
from bench.data import Chunk, Dataset, SearchCase, unique_query
from bench.mem0_baseline import venv as mem0_venv
from bench.stats import summarize

RUNNER = Path(__file__).resolve().parent / "search_runner.py"
MAX_INGEST_SAMPLE = 1000
INSERT_BATCH = 256
STOP_SECONDS = 120.0
SETTLE_TIMEOUT_SECONDS = 1800.0
SEARCH_CALL = "Memory.search(query, filters={...}, top_k=10), mem0's defaults otherwise (threshold 0.1, no rerank)"
# The user filter again with every query text made unique (" (question N)" appended, on both sides): memgrid's
# vectorsearch caches query vectors by text and the data set has only 10 question texts, so its searches above
# are cache hits that embed nothing; here both sides embed every query.
DISTINCT = "user, distinct query texts"
MEM0_FILTERS = {
    "user": '{"user_id": U}',
    "user+date": '{"user_id": U, "created_at": {"gte": SINCE}}',
    "user+metadata": '{"user_id": U, "topic": T}',
}


@dataclass(frozen=True, slots=True)
class Mem0Side:
    """What the mem0 side needs besides the data: the backend memgrid used and its embedder threads."""

    milvus_uri: str | None
    collection: str
    embed_threads: int
    top_k: int
    warmup: int
    ingest_concurrency: int


def ingest_sample(memories: int) -> int:
    """Memories timed through `Memory.add`: 1,000, or a fifth of the data set when that is smaller."""
    return min(MAX_INGEST_SAMPLE, max(1, memories // 5))


def split_chunks(chunks: Sequence[Chunk], sample: int) -> tuple[list[Chunk], list[Chunk]]:
    """The first whole chunks holding at least `sample` memories, and the rest."""
    taken = 0
    for index, chunk in enumerate(chunks):
        if taken >= sample:
            return list(chunks[:index]), list(chunks[index:])
        taken += len(chunk.texts)
    return list(chunks), []


def _chunk(chunk: Chunk) -> dict[str, Any]:
    return {
        "user_id": chunk.user_id,
        "topic": chunk.topic,
        "created_at": chunk.created_at.isoformat(),
        "texts": list(chunk.texts),
    }


def build_spec(dataset: Dataset, cases: Sequence[SearchCase], side: Mem0Side) -> dict[str, Any]:
    timed, rest = split_chunks(dataset.chunks, ingest_sample(dataset.memory_count))
    return {
        "milvus_uri": side.milvus_uri,
        "collection": side.collection,
        "embed_threads": side.embed_threads,
        "top_k": side.top_k,
        "insert_batch": INSERT_BATCH,
        "ingest_concurrency": side.ingest_concurrency,
        "settle_timeout_s": SETTLE_TIMEOUT_SECONDS,
        "ingest": [_chunk(chunk) for chunk in timed],
        "load": [_chunk(chunk) for chunk in rest],
        "cases": [
            {"user_id": c.user_id, "query": c.query, "topic": c.topic, "since": c.since.isoformat()} for c in cases
        ],
    }


class Mem0Process:
    """search_runner.py in .venv-mem0: one JSON line per request and answer (its progress lines go to stderr)."""

    def __init__(self, python: Path, spec: dict[str, Any]) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="memgrid-bench-mem0-"))
        spec_path = self._scratch / "spec.json"
        spec_path.write_text(json.dumps(spec))
        self._process = subprocess.Popen(
            [str(python), str(RUNNER), str(spec_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def ready(self) -> dict[str, Any]:
        """Blocks until mem0 is loaded; what the runner reports about its setup, ingest and load."""
        message = self._read()
        if not message.get("ready"):
            raise RuntimeError(f"mem0 search runner: unexpected first message {str(message)[:300]}")
        return message

    def request(self, **request: Any) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait(timeout=STOP_SECONDS)
            raise RuntimeError(f"mem0 search runner exited {code} (its stderr is above)")
        return json.loads(line)

    def close(self) -> None:
        try:
            if self._process.poll() is None:
                self.request(op="finish")
                self._process.wait(timeout=STOP_SECONDS)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            shutil.rmtree(self._scratch, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class MemgridProbe:
    """memgrid's side of the interleaved measurement: its public surfaces and its own floor parts."""

    surfaces: Sequence[Surface]
    # Seconds of one query embedding with memgrid's embedder, and the vector.
    embed: Callable[[SearchCase], tuple[float, list[float]]]
    # Seconds of one raw pymilvus search under the user filter on memgrid's collection.
    raw_search: Callable[[SearchCase, list[float]], float]


@dataclass(slots=True)
class _Samples:
    seconds: list[float]
    hits: list[int]


async def measure(
    dataset: Dataset, cases: Sequence[SearchCase], side: Mem0Side, memgrid: MemgridProbe
) -> dict[str, Any]:
    """The `mem0` section of a run's result, with memgrid's interleaved numbers beside mem0's."""
    python = await asyncio.to_thread(mem0_venv.ensure_venv)
    spec = build_spec(dataset, cases, side)
    print(f"bench: mem0 OSS side: {len(spec['ingest'])} timed add calls, then loading the rest", flush=True)
    process = Mem0Process(python, spec)
    try:
        ready = await asyncio.to_thread(process.ready)
        print("bench: mem0 OSS side: searching, interleaved with memgrid", flush=True)
        mem0_search: dict[str, dict[str, Any]] = {}
        memgrid_search: dict[tuple[str, str], _Samples] = {}
        for kind in FILTER_KINDS:
            mem0_search[kind] = await _interleave_search(process, memgrid, kind, cases, side.warmup, memgrid_search)
        mem0_search[DISTINCT] = await _interleave_search(
            process, memgrid, "user", cases, side.warmup, memgrid_search, label=DISTINCT
        )
        floors = await _interleave_floor(process, memgrid, cases, side.warmup)
    finally:
        await asyncio.to_thread(process.close)
    summary = summarize_output(ready, spec, mem0_search)
    summary["memgrid_interleaved"] = {
        "search": [
            {
                "surface": surface,
                "filter": kind,
                **summarize(samples.seconds, wall_seconds=sum(samples.seconds)),
                "avg_hits": round(sum(samples.hits) / len(samples.hits), 2),
            }
            for (surface, kind), samples in memgrid_search.items()
        ],
        "floor": {"embed": summarize(floors["memgrid_embed"]), "raw_search": summarize(floors["memgrid_raw"])},
    }
    summary["floor"] = _floor(floors["mem0_embed"], floors["mem0_raw"], ready["raw_limit"])
    return summary


async def _interleave_search(
    process: Mem0Process,
    memgrid: MemgridProbe,
    kind: str,
    cases: Sequence[SearchCase],
    warmup: int,
    memgrid_search: dict[tuple[str, str], _Samples],
    *,
    label: str | None = None,
) -> dict[str, Any]:
    """One filter kind: each query through every memgrid surface and mem0, the first of them rotating. With a
    `label` (DISTINCT), every query text is made unique, the warm-up's too."""
    label = label or kind

    def text(case: SearchCase, tag: str) -> str:
        return unique_query(case.query, tag) if label == DISTINCT else case.query

    first = await asyncio.to_thread(process.request, op="search", kind=kind, case=0, query=text(cases[0], "w"))
    if "error" in first:
        return {"error": first["error"]}
    for index, case in enumerate(cases[:warmup]):
        query = text(case, f"w{index}")
        await asyncio.to_thread(process.request, op="search", kind=kind, case=index, query=query)
        for surface in memgrid.surfaces:
            await surface.search(query, kind, case.user_id, since=case.since, topic=case.topic)
    mem0: dict[str, Any] = {"seconds": [], "embed_seconds": [], "hit_users": [], "hit_topics": []}
    for surface in memgrid.surfaces:
        memgrid_search[(surface.name, label)] = _Samples([], [])
    turns: list[Surface | None] = [*memgrid.surfaces, None]
    for index, case in enumerate(cases):
        query = text(case, str(index))
        for turn in turns[index % len(turns) :] + turns[: index % len(turns)]:
            if turn is None:
                answer = await asyncio.to_thread(process.request, op="search", kind=kind, case=index, query=query)
                if "error" in answer:
                    raise RuntimeError(f"mem0 search {kind}: {answer['error']}")
                mem0["seconds"].append(answer["seconds"])
                mem0["embed_seconds"].append(answer["embed_seconds"])
                mem0["hit_users"].append(answer["users"])
                mem0["hit_topics"].append(answer["topics"])
                continue
            began = time.perf_counter()
            hits = await turn.search(query, kind, case.user_id, since=case.since, topic=case.topic)
            samples = memgrid_search[(turn.name, label)]
            samples.seconds.append(time.perf_counter() - began)
            samples.hits.append(hits)
    return mem0


async def _interleave_floor(
    process: Mem0Process, memgrid: MemgridProbe, cases: Sequence[SearchCase], warmup: int
) -> dict[str, list[float]]:
    """Per query, alternately memgrid first or mem0 first: the embedding alone, then the raw search alone."""
    floors: dict[str, list[float]] = {"memgrid_embed": [], "memgrid_raw": [], "mem0_embed": [], "mem0_raw": []}

    def memgrid_side(case: SearchCase, record: bool) -> None:
        seconds, vector = memgrid.embed(case)
        raw = memgrid.raw_search(case, vector)
        if record:
            floors["memgrid_embed"].append(seconds)
            floors["memgrid_raw"].append(raw)

    def mem0_side(index: int, record: bool) -> None:
        embed = process.request(op="embed", case=index)
        raw = process.request(op="raw", case=index)
        if record:
            floors["mem0_embed"].append(embed["seconds"])
            floors["mem0_raw"].append(raw["seconds"])

    def run() -> None:
        for index, case in enumerate(cases[:warmup]):
            memgrid_side(case, False)
            mem0_side(index, False)
        for index, case in enumerate(cases):
            if index % 2:
                mem0_side(index, True)
                memgrid_side(case, True)
            else:
                memgrid_side(case, True)
                mem0_side(index, True)

    await asyncio.to_thread(run)
    return floors


def summarize_output(output: dict[str, Any], spec: dict[str, Any], search: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The runner's ready message and mem0's interleaved search samples, summarised."""
    cases = spec["cases"]
    versions = output["versions"]
    ingest = output["ingest"]
    if ingest["errors"] or ingest["memories"] != ingest["expected"]:
        raise RuntimeError(f"mem0 ingest: {ingest['memories']} of {ingest['expected']} added: {ingest['errors'][:3]}")
    collection = output["collection"]
    backend = (
        f"milvus server {spec['milvus_uri']} (server {output['server_version']}), collection {collection['name']}"
        if spec["milvus_uri"]
        else f"milvus-lite {versions.get('milvus-lite')} file (local C++ engine)"
    )
    index = collection["vector_index"]
    return {
        "system": f"mem0 OSS Memory {versions.get('mem0ai')}",
        "versions": versions,
        "python": output["python"],
        "settings": {
            "vector_backend": backend,
            "vector_index": f"{index.get('index_type')}/{index.get('metric_type')} on `vectors`"
            + (" (as mem0 creates it, pre-v3 schema)" if output["pre_v3_collection_because"] else " (mem0's own)"),
            "hybrid_bm25": collection["bm25_schema"] and collection["keyword_search_answers"],
            "pre_v3_collection_because": output["pre_v3_collection_because"],
            "collection_fields": collection["fields"],
            "rows_searched": collection["rows"],
            "embedder": f"huggingface sentence-transformers all-MiniLM-L6-v2 on torch, {output['torch_threads']} "
            "thread(s)",
            "spacy": versions.get("spacy"),
            "search_call": SEARCH_CALL,
            "filters": MEM0_FILTERS,
            "top_k": spec["top_k"],
            "queries": len(cases),
            "timing": "per query memgrid's surfaces and mem0 in turn (rotating order), sequential; QPS = 1 / mean "
            "latency",
            "ingest_call": "Memory.add(messages, user_id=U, metadata={'topic': T}, infer=False)",
            "ingest_sample_memories": ingest["memories"],
            "loaded_via": "memory.vector_store.insert (mem0 embedder embed_batch, payloads as mem0's add writes "
            f"them, no history rows), batches of {spec['insert_batch']}",
            "loaded_memories": output["load"]["memories"],
        },
        "setup_s": output["setup_s"],
        "load": output["load"],
        "settle_s": output["settle_s"],
        "ingest": {
            "memories": ingest["memories"],
            "calls": ingest["calls"],
            "memories_per_call": round(ingest["memories"] / max(1, ingest["calls"]), 2),
            "concurrency": ingest["concurrency"],
            "seconds": round(ingest["seconds"], 3),
            "memories_per_second": round(ingest["memories"] / ingest["seconds"], 1),
            "call_latency": summarize(ingest["call_seconds"]),
        },
        "search": [_search_row(kind, measured, cases) for kind, measured in search.items()],
    }


def _search_row(kind: str, measured: dict[str, Any], cases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if "error" in measured:
        return {"filter": kind, "unsupported": measured["error"]}
    hits = [len(users) for users in measured["hit_users"]]
    foreign = sum(
        1 for case, users in zip(cases, measured["hit_users"], strict=True) for user in users if user != case["user_id"]
    )
    off_topic = 0
    if kind == "user+metadata":
        off_topic = sum(
            1
            for case, topics in zip(cases, measured["hit_topics"], strict=True)
            for topic in topics
            if topic != case["topic"]
        )
    return {
        "filter": kind,
        **summarize(measured["seconds"], wall_seconds=sum(measured["seconds"])),
        "avg_hits": round(sum(hits) / len(hits), 2),
        "min_hits": min(hits),
        "foreign_hits": foreign,
        "off_filter_hits": off_topic,
        # Per call, the time outside mem0's own query embedding (timed inside the same call).
        "beyond_embedding": summarize(
            [total - embed for total, embed in zip(measured["seconds"], measured["embed_seconds"], strict=True)]
        ),
    }


def _floor(embed_seconds: list[float], raw_seconds: list[float], raw_limit: int) -> dict[str, Any]:
    embed = summarize(embed_seconds)
    raw = summarize(raw_seconds)
    return {
        "kind": "user",
        "raw_limit": raw_limit,
        "embed": embed,
        "raw_search": raw,
        "floor_p50_ms": round(embed["p50_ms"] + raw["p50_ms"], 3),
    }
