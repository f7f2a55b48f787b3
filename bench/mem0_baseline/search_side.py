"""The mem0 OSS side of `python -m bench run --mem0-baseline`: the same data and queries through `mem0.Memory`.

Runs bench/mem0_baseline/search_runner.py in .venv-mem0 (created on first use) after memgrid's workloads, with
the run's own Dataset and SearchCases, and summarises what it measured (search per filter kind, mem0's floor,
raw ingest through `Memory.add(infer=False)`) into the result's `mem0` section. The first chunks of the data
set (about `ingest_sample(memories)` memories) go through the timed `Memory.add` calls, the same calls memgrid's
ingest made; the rest is loaded through mem0's own vector-store object (at ~34 memories/s a full `Memory.add`
load of 100k would take ~50 min), with the payloads mem0's add writes.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.data import Chunk, Dataset, SearchCase
from bench.mem0_baseline import venv as mem0_venv
from bench.stats import summarize

RUNNER = Path(__file__).resolve().parent / "search_runner.py"
FILTER_KINDS = ("user", "user+date", "user+metadata")
MAX_INGEST_SAMPLE = 1000
INSERT_BATCH = 256
TIMEOUT_SECONDS = 7200.0
SETTLE_TIMEOUT_SECONDS = 1800.0
SEARCH_CALL = "Memory.search(query, filters={...}, top_k=10), mem0's defaults otherwise (threshold 0.1, no rerank)"
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
        "warmup": side.warmup,
        "insert_batch": INSERT_BATCH,
        "ingest_concurrency": side.ingest_concurrency,
        "settle_timeout_s": SETTLE_TIMEOUT_SECONDS,
        "ingest": [_chunk(chunk) for chunk in timed],
        "load": [_chunk(chunk) for chunk in rest],
        "cases": [
            {"user_id": c.user_id, "query": c.query, "topic": c.topic, "since": c.since.isoformat()} for c in cases
        ],
    }


def run_runner(spec: dict[str, Any], python: Path) -> dict[str, Any]:
    """The runner's JSON output (its progress lines go to this process's stderr)."""
    with tempfile.TemporaryDirectory(prefix="memgrid-bench-mem0-") as scratch:
        spec_path = Path(scratch) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        completed = subprocess.run(
            [str(python), str(RUNNER), str(spec_path)],
            stdout=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"mem0 search runner exited {completed.returncode} (its stderr is above)")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(dataset: Dataset, cases: Sequence[SearchCase], side: Mem0Side) -> dict[str, Any]:
    """The `mem0` section of a run's result."""
    python = mem0_venv.ensure_venv()
    spec = build_spec(dataset, cases, side)
    print(f"bench: mem0 OSS side ({len(spec['ingest'])} add calls timed, then the rest loaded)", flush=True)
    return summarize_output(run_runner(spec, python), spec)


def summarize_output(output: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
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
            "warmup_queries": spec["warmup"],
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
        "search": [_search_row(kind, output["search"][kind], cases) for kind in FILTER_KINDS],
        "floor": _floor(output["floor"]),
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
        **summarize(measured["seconds"], wall_seconds=measured["wall_s"]),
        "avg_hits": round(sum(hits) / len(hits), 2),
        "min_hits": min(hits),
        "foreign_hits": foreign,
        "off_filter_hits": off_topic,
    }


def _floor(measured: dict[str, Any]) -> dict[str, Any]:
    embed = summarize(measured["embed_seconds"])
    raw = summarize(measured["raw_search_seconds"])
    return {
        "kind": "user",
        "raw_limit": measured["raw_limit"],
        "embed": embed,
        "raw_search": raw,
        "floor_p50_ms": round(embed["p50_ms"] + raw["p50_ms"], 3),
    }
