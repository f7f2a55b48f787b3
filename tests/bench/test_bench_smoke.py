"""The benchmark harness end to end in quick mode (a subprocess: it starts its own stack and logging)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms")


def _positive_latencies(summary: dict[str, Any], where: str) -> None:
    assert summary["count"] > 0, where
    for key in LATENCY_KEYS:
        value = summary[key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, f"{where}.{key} = {value}"
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"], where


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    command = [sys.executable, "-m", "bench", "run", "--quick", "--name", "smoke", "--out", str(out)]
    # One add call in flight while loading: concurrent writes to Milvus Lite 3.2.2 can fail
    # ("current_seq is monotonic"), a known vectorsearch bug the full benchmark reports; the
    # concurrent load below still exercises concurrent adds.
    command += ["--duration", "3", "--search-queries", "20", "--ingest-concurrency", "1", "--no-progress"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "smoke.json").read_text()), (out / "smoke.md").read_text()


@pytest.mark.timeout(120)
def test_quick_run_records_every_section(quick_result: tuple[dict[str, Any], str]) -> None:
    result, table = quick_result
    sections = ("machine", "versions", "git", "settings", "ingest", "ingest_bulk", "search", "floor", "pagination")
    sections += ("search_concurrent",)
    for section in (*sections, "batch", "load", "counts"):
        assert result[section], section
    assert result["settings"]["quick"] is True
    assert result["machine"]["cpu_count"] >= 1
    assert result["versions"]["pymilvus"] and result["versions"]["grpcio"]
    assert "| grpc | user |" in table and "| rest | user+metadata |" in table


def test_quick_run_counts_add_up(quick_result: tuple[dict[str, Any], str]) -> None:
    result, _ = quick_result
    counts, settings = result["counts"], result["settings"]
    assert counts["loaded"] == settings["memories"] == 500
    assert sum(row["memories"] for row in result["ingest"].values()) == 500
    assert all(row["errors"] == 0 and row["memories_per_second"] > 0 for row in result["ingest"].values())
    assert counts["listed_after_ingest"] == 500
    assert counts["listed_after_load"] == 500 + counts["load_adds"]
    batch = settings["batch_size"]
    assert [(row["operation"], row["count"]) for row in result["batch"]] == [
        ("batch_update", batch),
        ("batch_update", batch),
        ("batch_delete", batch),
        ("batch_delete", batch),
    ]
    assert all(row["seconds"] > 0 for row in result["batch"])
    bulk = result["ingest_bulk"]
    assert set(bulk) == {"grpc", "rest"}
    assert all(row["memories"] == settings["bulk_memories"] == 100 and row["errors"] == 0 for row in bulk.values())
    assert all(row["memories_per_second"] > 0 for row in bulk.values())
    assert counts["listed_final"] == counts["listed_after_load"] - 2 * batch + counts["bulk_added"]


def test_quick_run_latencies_are_sane(quick_result: tuple[dict[str, Any], str]) -> None:
    result, _ = quick_result
    assert {(row["surface"], row["filter"]) for row in result["search"]} == {
        (surface, kind) for surface in ("grpc", "rest") for kind in ("user", "user+date", "user+metadata")
    }
    for row in result["search"]:
        _positive_latencies(row, f"search {row['surface']} {row['filter']}")
        assert row["count"] == 20 and row["per_second"] > 0
        # Every query's user owns memories and the filters keep at least some of them on average.
        assert row["avg_hits"] > 0, row
    floor = result["floor"]
    _positive_latencies(floor["embed"], "floor.embed")
    for kind, raw in floor["raw_search"].items():
        _positive_latencies(raw, f"floor.raw_search.{kind}")
        assert raw["avg_hits"] > 0
    assert set(floor["overhead"]) == {"grpc", "rest"}
    assert floor["floor_p50_ms"] > 0
    assert [row["surface"] for row in result["search_concurrent"]] == ["grpc", "rest"]
    for row in result["search_concurrent"]:
        assert row["errors"] == 0 and row["add"]["count"] == 0 and row["ops_per_second"] > 0
        _positive_latencies(row["search"], f"search_concurrent {row['surface']}")
    pages = {(row["surface"], row["page"]) for row in result["pagination"]}
    assert {("grpc", 1), ("rest", 1)} <= pages and len(pages) == 4  # page 1 and the last page on each
    for row in result["pagination"]:
        _positive_latencies(row, f"pagination {row['surface']} {row['page']}")


def test_quick_run_load_has_no_errors(quick_result: tuple[dict[str, Any], str]) -> None:
    result, _ = quick_result
    assert [row["surface"] for row in result["load"]] == ["grpc", "rest"]
    for row in result["load"]:
        assert row["errors"] == 0, row["error_samples"]
        assert row["ops"] > 0 and row["ops_per_second"] > 0
        _positive_latencies(row["search"], f"load {row['surface']} search")
        assert row["clients"] == 5
