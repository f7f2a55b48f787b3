"""The mem0 OSS side of `bench run --mem0-baseline`: the ratio rows and table (no venv needed), and the runner
itself on a tiny data set in .venv-mem0 (skipped when that venv was not built; CI does not build it)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench.data import build_dataset, search_cases
from bench.mem0_baseline import compare, search_side
from bench.mem0_baseline import venv as mem0_venv

KINDS = ("user", "user+date", "user+metadata")


def _search(surface: str, kind: str, p50: float, p95: float, qps: float) -> dict[str, Any]:
    return {"surface": surface, "filter": kind, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95, "per_second": qps}


def _result() -> dict[str, Any]:
    """A run result with only what the comparison reads: memgrid twice as fast as mem0 on gRPC search."""
    mem0_search = [
        {"filter": "user", "p50_ms": 40.0, "p95_ms": 80.0, "p99_ms": 90.0, "per_second": 25.0, "avg_hits": 9.5},
        {"filter": "user+date", "unsupported": "ValueError: Filter value for 'created_at' must be str"},
        {"filter": "user+metadata", "p50_ms": 50.0, "p95_ms": 100.0, "p99_ms": 110.0, "per_second": 20.0},
    ]
    for row in mem0_search:
        row.setdefault("avg_hits", 5.0)
        row.setdefault("beyond_embedding", {"p50_ms": row.get("p50_ms", 0) - 18.0 - 4.0})
        row.update(foreign_hits=0, off_filter_hits=0)
    return {
        "settings": {"embedder": "minilm-onnx", "embed_threads": 1},
        # The run's own search table and floor: not what the comparison reads (it reads the interleaved pass).
        "search": [_search(surface, kind, 1.0, 2.0, 1000.0) for surface in ("grpc", "rest") for kind in KINDS],
        "floor": {"embed": {"p50_ms": 1.0}, "raw_search": {"user": {"p50_ms": 1.0}}},
        "ingest": {"grpc": {"memories_per_second": 300.0}, "rest": {"memories_per_second": 15.0}},
        "mem0": {
            "memgrid_interleaved": {
                "search": [
                    _search("grpc", "user", 20.0, 40.0, 50.0),
                    _search("grpc", "user+date", 22.0, 44.0, 45.0),
                    _search("grpc", "user+metadata", 25.0, 50.0, 40.0),
                    _search("rest", "user", 80.0, 160.0, 12.5),
                    _search("rest", "user+date", 81.0, 161.0, 12.0),
                    _search("rest", "user+metadata", 100.0, 200.0, 10.0),
                ],
                "floor": {"embed": {"p50_ms": 6.0}, "raw_search": {"p50_ms": 3.0}},
            },
            "system": "mem0 OSS Memory 2.2.1",
            "versions": {"mem0ai": "2.2.1", "pymilvus": "2.5.18"},
            "settings": {
                "vector_backend": "milvus-lite 2.5.1 file",
                "vector_index": "AUTOINDEX/COSINE on `vectors` (mem0's own)",
                "hybrid_bm25": True,
                "embedder": "huggingface all-MiniLM-L6-v2 on torch, 1 thread(s)",
                "search_call": search_side.SEARCH_CALL,
                "queries": 100,
                "rows_searched": 10_000,
                "ingest_call": "Memory.add(..., infer=False)",
                "loaded_memories": 9_000,
                "loaded_via": "memory.vector_store.insert",
            },
            "search": mem0_search,
            "floor": {"embed": {"p50_ms": 18.0}, "raw_search": {"p50_ms": 2.0}, "raw_limit": 60, "floor_p50_ms": 20.0},
            "ingest": {"memories": 1000, "calls": 100, "concurrency": 4, "memories_per_second": 30.0},
        },
    }


def _by(rows: list[dict[str, Any]], workload: str, surface: str) -> dict[str, Any]:
    found = [row for row in rows if row["workload"] == workload and row["surface"] == surface]
    assert len(found) == 1, (workload, surface, rows)
    return found[0]


def test_ratio_rows_are_memgrid_over_mem0_with_the_speedup_one_way_for_latency_and_rate() -> None:
    rows = compare.ratio_rows(_result())
    p50 = _by(rows, "search p50, user", "grpc")
    assert (p50["memgrid"], p50["mem0"], p50["ratio"], p50["speedup"]) == (20.0, 40.0, 0.5, 2.0)
    slower = _by(rows, "search p95, user+metadata", "rest")
    assert (slower["ratio"], slower["speedup"]) == (2.0, 0.5)
    qps = _by(rows, "search QPS (sequential), user", "grpc")
    assert (qps["ratio"], qps["speedup"]) == (2.0, 2.0)
    ingest = _by(rows, "raw ingest memories/s", "grpc")
    assert (ingest["ratio"], ingest["speedup"]) == (10.0, 10.0)
    assert _by(rows, "raw ingest memories/s", "rest")["speedup"] == 0.5
    # Floor-normalised: memgrid's search p50 minus its embedder's p50 alone (20 - 6); mem0's p50 of the time
    # beyond the embedding inside each search call (18 here).
    normalised = _by(rows, "search p50 beyond the query embedding, user", "grpc")
    assert (normalised["memgrid"], normalised["mem0"], normalised["ratio"]) == (14.0, 18.0, round(14 / 18, 3))
    assert _by(rows, "query embedding p50 (alone)", "-")["speedup"] == 3.0
    assert _by(rows, "raw vector search p50 (alone), user", "-")["ratio"] == 1.5
    # No row for a filter mem0 cannot express.
    assert not [row for row in rows if "user+date" in row["workload"]]


def test_beyond_the_embedding_compares_the_distinct_query_texts_when_measured() -> None:
    result = _result()
    mem0 = result["mem0"]
    mem0["search"].append(
        {"filter": search_side.DISTINCT, "p50_ms": 45.0, "p95_ms": 90.0, "p99_ms": 95.0, "per_second": 20.0}
    )
    mem0["search"][-1].update(avg_hits=5.0, foreign_hits=0, off_filter_hits=0, beyond_embedding={"p50_ms": 25.0})
    for surface, p50 in (("grpc", 26.0), ("rest", 86.0)):
        mem0["memgrid_interleaved"]["search"].append(_search(surface, search_side.DISTINCT, p50, 2 * p50, 30.0))
    rows = compare.ratio_rows(result)
    beyond = _by(rows, f"search p50 beyond the query embedding, {search_side.DISTINCT}", "grpc")
    assert (beyond["memgrid"], beyond["mem0"], beyond["ratio"]) == (20.0, 25.0, 0.8)
    assert not [row for row in rows if row["workload"] == "search p50 beyond the query embedding, user"]
    assert _by(rows, f"search p50, {search_side.DISTINCT}", "rest")["ratio"] == round(86 / 45, 3)
    assert f"| {search_side.DISTINCT} | 45.0 | 90.0 |" in "\n".join(compare.markdown(result))


def test_ratio_rows_leave_a_ratio_out_when_a_side_has_no_number() -> None:
    result = _result()
    result["ingest"]["grpc"]["memories_per_second"] = 0.0
    result["mem0"]["search"][0]["p95_ms"] = None
    rows = compare.ratio_rows(result)
    assert _by(rows, "raw ingest memories/s", "grpc")["ratio"] is None
    assert _by(rows, "search p95, user", "grpc")["speedup"] is None


def test_the_table_shows_the_ratio_column_and_the_filter_mem0_cannot_express() -> None:
    result = _result()
    result["mem0"]["ratios"] = compare.ratio_rows(result)
    text = "\n".join(compare.markdown(result))
    assert "| workload | surface | memgrid | mem0 | memgrid / mem0 | memgrid faster by |" in text
    assert "| search p50, user | grpc | 20.0 ms | 40.0 ms | 0.50 | 2.00x |" in text
    assert "| raw ingest memories/s | rest | 15.0/s | 30.0/s | 0.50 | 0.50x |" in text
    assert "| user+date | not expressible: ValueError" in text
    assert "query embedding p50 18.0 ms + one dense" in text


def test_the_timed_ingest_takes_whole_chunks_from_the_start_and_the_load_the_rest() -> None:
    dataset = build_dataset(100, 10, seed=3)
    assert search_side.ingest_sample(100) == 20 and search_side.ingest_sample(100_000) == 1000
    timed, rest = search_side.split_chunks(dataset.chunks, 20)
    assert list(dataset.chunks) == timed + rest
    assert sum(len(c.texts) for c in timed) >= 20 > sum(len(c.texts) for c in timed[:-1])
    side = search_side.Mem0Side(None, "mem0_bench", 1, 10, 2, 4)
    spec = search_side.build_spec(dataset, search_cases(dataset, 3, seed=4), side)
    assert len(spec["ingest"]) == len(timed) and len(spec["load"]) == len(rest)
    assert spec["ingest"][0]["texts"] == list(dataset.chunks[0].texts)
    assert spec["cases"][0]["since"].endswith("+00:00") and len(spec["cases"]) == 3


def test_hits_outside_the_queried_user_or_topic_are_counted() -> None:
    cases = [{"user_id": "u1", "topic": "food"}, {"user_id": "u2", "topic": "work"}]
    measured = {
        "seconds": [0.01, 0.02],
        "wall_s": 0.03,
        "hit_users": [["u1", "u2"], ["u2"]],
        "hit_topics": [["food", "food"], ["food"]],
        "embed_seconds": [0.004, 0.005],
    }
    user = search_side._search_row("user", measured, cases)
    assert (user["foreign_hits"], user["off_filter_hits"], user["min_hits"], user["avg_hits"]) == (1, 0, 1, 1.5)
    assert user["beyond_embedding"]["count"] == 2 and user["beyond_embedding"]["max_ms"] == 15.0
    assert search_side._search_row("user+metadata", measured, cases)["off_filter_hits"] == 1
    unsupported = search_side._search_row("user+date", {"error": "ValueError: no"}, cases)
    assert unsupported == {"filter": "user+date", "unsupported": "ValueError: no"}


@pytest.mark.skipif(
    not (mem0_venv.VENV_DIR / ".installed").exists(),
    reason=".venv-mem0 not built (python -m bench.mem0_baseline.venv builds it; CI does not)",
)
@pytest.mark.timeout(120)
def test_the_runner_searches_and_adds_through_mem0_on_a_tiny_data_set() -> None:
    dataset = build_dataset(30, 5, seed=5)
    cases = search_cases(dataset, 5, seed=6)
    side = search_side.Mem0Side(None, "mem0_tiny", 1, 10, 2, 2)
    spec = search_side.build_spec(dataset, cases, side)
    process = search_side.Mem0Process(mem0_venv.python_path(), spec)
    try:
        ready = process.ready()
        search = {kind: [process.request(op="search", kind=kind, case=i) for i in range(len(cases))] for kind in KINDS}
        floor = [(process.request(op="embed", case=i), process.request(op="raw", case=i)) for i in range(len(cases))]
    finally:
        process.close()
    # Every hit belongs to the queried user, under both filters mem0 can express.
    for kind in ("user", "user+metadata"):
        assert any(answer["users"] for answer in search[kind]), kind
        for case, answer in zip(cases, search[kind], strict=True):
            assert set(answer["users"]) <= {case.user_id}, (kind, case, answer)
    for case, answer in zip(cases, search["user+metadata"], strict=True):
        assert set(answer["topics"]) <= {case.topic}
    # mem0's Milvus filter takes only plain values: no date range.
    assert all("must be str, int, float, or bool" in answer["error"] for answer in search["user+date"])
    assert all(raw["hits"] > 0 and 0 < embed["seconds"] < 60 for embed, raw in floor)
    # The query embedding inside each search call is timed, and is part of the call.
    assert all(0 < a["embed_seconds"] < a["seconds"] for kind in ("user", "user+metadata") for a in search[kind])
    samples = {
        kind: {"error": answers[0]["error"]}
        if "error" in answers[0]
        else {
            "seconds": [a["seconds"] for a in answers],
            "hit_users": [a["users"] for a in answers],
            "hit_topics": [a["topics"] for a in answers],
            "embed_seconds": [a["embed_seconds"] for a in answers],
        }
        for kind, answers in search.items()
    }
    summary = search_side.summarize_output(ready, spec, samples)
    assert summary["ingest"]["memories"] == sum(len(chunk["texts"]) for chunk in spec["ingest"]) >= 6
    assert summary["ingest"]["memories"] + summary["load"]["memories"] == 30 == summary["settings"]["rows_searched"]
    assert summary["settings"]["hybrid_bm25"] is True and summary["versions"]["mem0ai"] == "2.2.1"
    assert summary["ingest"]["call_latency"]["count"] == len(spec["ingest"])
    for row in summary["search"]:
        if "unsupported" in row:
            continue
        assert row["count"] == 5 and row["foreign_hits"] == row["off_filter_hits"] == 0
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] < 60_000 and math.isfinite(row["per_second"])
