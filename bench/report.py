"""What a run records besides its numbers (machine, versions, git commit) and the markdown table."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.mem0_baseline import compare as mem0_compare

PACKAGES = (
    "grpcio",
    "protobuf",
    "pymilvus",
    "milvus-lite",
    "torch",
    "sentence-transformers",
    "transformers",
    "fastapi",
    "uvicorn",
    "httpx",
    "SQLAlchemy",
    "aiosqlite",
)
REPO = Path(__file__).resolve().parent.parent


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_total_mb": _meminfo_mb("MemTotal"),
        "memory_available_mb": _meminfo_mb("MemAvailable"),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
    return info


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def git_state() -> dict[str, Any]:
    def run(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    status = run("status", "--porcelain")
    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _meminfo_mb(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        return None
    return None


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _vector_backend(result: dict[str, Any]) -> str:
    backend = result["settings"].get("vector_backend", "")
    if not backend.startswith("milvus server"):
        return f"Milvus Lite {result['versions'].get('milvus-lite')}"
    version = result["versions"].get("milvus-server")
    settle = result.get("milvus_settle_s")
    settled = f"; searched after flush + HNSW build of all rows ({settle} s)" if settle is not None else ""
    return f"{backend}{f' (server {version})' if version else ''}{settled}"


def markdown(result: dict[str, Any]) -> str:
    """A short table of the headline numbers."""
    settings = result["settings"]
    lines = [
        f"# memgrid benchmark `{result['name']}`",
        "",
        f"{settings['memories']:,} memories over {settings['users']:,} users; load {settings['clients']} clients x "
        f"{settings['duration_s']} s. Machine: {result['machine']['cpus_usable']} CPUs "
        f"({result['machine']['cpu_model']}), load average at start {result['machine']['load_average']}, "
        f"Python {result['machine']['python']}, {_vector_backend(result)}, "
        f"commit {str(result['git']['commit'])[:10]}{' (dirty)' if result['git']['dirty'] else ''}.",
        "",
        "## Search (sequential, top_k 10)",
        "",
        "| surface | filter | p50 ms | p95 ms | p99 ms | QPS | avg hits |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["search"]:
        lines.append(
            f"| {row['surface']} | {row['filter']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | "
            f"{_ms(row['p99_ms'])} | {row['per_second']:.1f} | {row['avg_hits']:.1f} |"
        )
    for row in result.get("search_concurrent", []):
        s = row["search"]
        lines.append(
            f"| {row['surface']} | mixed, {row['clients']} concurrent clients | {_ms(s['p50_ms'])} | "
            f"{_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} | {row['ops_per_second']:.1f} | errors: {row['errors']} |"
        )
    floor = result["floor"]
    lines += [
        "",
        "## Floor (user filter)",
        "",
        "| part | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| query embedding (MiniLM) | {_ms(floor['embed']['p50_ms'])} | {_ms(floor['embed']['p95_ms'])} |",
    ]
    for kind, raw in floor["raw_search"].items():
        lines.append(f"| raw pymilvus search, {kind} | {_ms(raw['p50_ms'])} | {_ms(raw['p95_ms'])} |")
    lines.append(f"| floor = embed + raw ({floor['kind']}) | {_ms(floor['floor_p50_ms'])} | |")
    for surface, over in floor["overhead"].items():
        lines.append(f"| {surface} search p50 - floor | {_ms(over['overhead_ms'])} | ratio {over['ratio']:.2f}x |")
    ingest = result["ingest"]
    lines += [
        "",
        "## Ingest (infer=false), batches, updates, pagination",
        "",
        "| workload | result |",
        "|---|---|",
    ]
    for surface, row in ingest.items():
        lines.append(
            f"| raw ingest via {surface} ({row['memories']:,} memories, {row['calls']} calls, "
            f"{row['concurrency']} in flight) | {row['memories_per_second']:.0f} memories/s, "
            f"{row.get('errors', 0)} failed calls |"
        )
    for surface, row in result.get("ingest_bulk", {}).items():
        lines.append(
            f"| raw ingest via {surface} in large calls ({row['memories']:,} memories, {row['memories_per_call']} "
            f"per call, 1 in flight) | {row['memories_per_second']:.0f} memories/s, {row['errors']} failed calls |"
        )
    for row in result["batch"]:
        lines.append(f"| {row['operation']} of {row['size']:,} via {row['surface']} | {row['seconds'] * 1000:.0f} ms |")
    for row in result["pagination"]:
        lines.append(
            f"| get_all page {row['page']} (size {row['page_size']}) via {row['surface']} | "
            f"p50 {_ms(row['p50_ms'])} ms, p95 {_ms(row['p95_ms'])} ms |"
        )
    lines += [
        "",
        "## Concurrent load (80% search / 20% add, infer=false)",
        "",
        "| surface | ops/s | search p50 / p95 / p99 ms | add p50 / p95 / p99 ms | ops | errors |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["load"]:
        s, a = row["search"], row["add"]
        lines.append(
            f"| {row['surface']} | {row['ops_per_second']:.1f} | {_ms(s['p50_ms'])} / {_ms(s['p95_ms'])} / "
            f"{_ms(s['p99_ms'])} | {_ms(a['p50_ms'])} / {_ms(a['p95_ms'])} / {_ms(a['p99_ms'])} | "
            f"{row['ops']:,} | {row['errors']} |"
        )
    if "mem0" in result:
        lines += mem0_compare.markdown(result)
    lines += ["", f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)
