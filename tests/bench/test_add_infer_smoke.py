"""`python -m bench add-infer` end to end with a short run (a subprocess: it starts its own stack and logging)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LATENCY_MS = 50
# Generous: on this 2-CPU machine the overhead is ~100-150 ms; this catches an extra LLM call or a hang-like stall.
OVERHEAD_BOUND_MS = 1500


@pytest.fixture(scope="module")
def add_infer_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench-add-infer")
    command = [sys.executable, "-m", "bench", "add-infer", "--runs", "3", "--warmup", "1"]
    command += ["--llm-latency-ms", str(LATENCY_MS), "--name", "smoke", "--out", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mem0 OSS baseline: not measured yet" in done.stdout
    return json.loads((out / "smoke.json").read_text()), (out / "smoke.md").read_text()


@pytest.mark.timeout(120)
def test_add_infer_records_both_cases_on_both_surfaces(add_infer_result: tuple[dict[str, Any], str]) -> None:
    result, table = add_infer_result
    assert result["workload"] == "add-infer"
    assert result["settings"]["llm_latency_ms"] == LATENCY_MS and result["settings"]["runs"] == 3
    assert result["settings"]["messages_per_add"] == 6 and result["settings"]["facts_per_add"] == 5
    assert result["baseline"] == {"mem0_oss": "not measured yet"}
    assert result["verdict"] in ("PASS", "FAIL")
    assert not result["responder_problems"]
    assert {(row["surface"], row["case"]) for row in result["cases"]} == {
        (surface, case) for surface in ("rest", "grpc") for case in ("first_add", "related_add")
    }
    # 1 warm-up + 3 runs, per surface: 1 call for the first add, 2 for the related one.
    assert result["llm_requests_total"] == 2 * 4 * (1 + 2)
    assert "| rest | first_add | 1 |" in table and "| grpc | related_add | 2 |" in table
    assert "mem0 OSS baseline: not measured yet" in table


def test_add_infer_counts_llm_calls_per_add(add_infer_result: tuple[dict[str, Any], str]) -> None:
    result, _ = add_infer_result
    for row in result["cases"]:
        expected = 1 if row["case"] == "first_add" else 2
        assert row["expected_llm_calls"] == expected
        calls = row["llm_calls_per_add"]
        assert calls["min"] == calls["max"] == expected and calls["as_expected"] is True, row
        assert row["errors"] == 0, row["error_samples"]
        assert row["target_ms"] == expected * LATENCY_MS + 100
        assert row["verdict"] in ("PASS", "FAIL")


def test_add_infer_latency_is_llm_time_plus_bounded_overhead(add_infer_result: tuple[dict[str, Any], str]) -> None:
    result, _ = add_infer_result
    for row in result["cases"]:
        latency, overhead = row["latency"], row["overhead"]
        assert latency["count"] == overhead["count"] == 3
        llm_ms = row["expected_llm_calls"] * LATENCY_MS
        # The scripted LLM sleeps the full latency on every call, so no add can be faster than the LLM time.
        assert latency["p50_ms"] >= llm_ms, row
        assert 0 <= overhead["p50_ms"] <= overhead["max_ms"] < OVERHEAD_BOUND_MS, row
        assert abs(latency["max_ms"] - llm_ms - overhead["max_ms"]) < 0.01
        parts = row["parts"]
        assert parts["before_first_llm_call"]["count"] == 3 and parts["after_last_llm_answer"]["count"] == 3
        assert parts["between_llm_calls"]["count"] == (3 if row["case"] == "related_add" else 0)
