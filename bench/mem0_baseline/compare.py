"""memgrid beside the mem0 OSS library in one `bench run` result: the ratio rows and their markdown section.

Search and floor numbers on both sides come from the interleaved pass (bench/mem0_baseline/search_side.py:
per query memgrid, then mem0, rotating), not from the run's own search table; ingest is the run's own ingest
(the same add calls) beside mem0's timed `Memory.add` sample. A ratio is memgrid / mem0: for latencies below 1
means memgrid is faster, for memories/s and queries/s above 1 does. `speedup` says it one way for both: how
many times faster memgrid is (mem0 / memgrid for a latency).
"""

from __future__ import annotations

from typing import Any

from bench.mem0_baseline.search_side import DISTINCT

LATENCY, RATE = "ms", "/s"


def _row(workload: str, surface: str, unit: str, memgrid: float | None, mem0: float | None) -> dict[str, Any]:
    ratio = speedup = None
    if memgrid is not None and mem0 is not None and memgrid > 0 and mem0 > 0:
        ratio = round(memgrid / mem0, 3)
        speedup = round(1 / ratio if unit == LATENCY else ratio, 2)
    return {
        "workload": workload,
        "surface": surface,
        "unit": unit,
        "memgrid": memgrid,
        "mem0": mem0,
        "ratio": ratio,
        "speedup": speedup,
    }


def ratio_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per surface: search p50/p95/QPS per filter kind mem0 can express, search p50 beyond each side's own query
    embedding, and raw ingest memories/s; then the two parts of the floor (embedding, raw vector search)."""
    mem0 = result["mem0"]
    interleaved = mem0["memgrid_interleaved"]
    theirs = {row["filter"]: row for row in mem0["search"] if "unsupported" not in row}
    mem0_embed = mem0["floor"]["embed"]["p50_ms"]
    memgrid_embed = interleaved["floor"]["embed"]["p50_ms"]
    rows = []
    for surface, ingest in result["ingest"].items():
        ours = {row["filter"]: row for row in interleaved["search"] if row["surface"] == surface}
        for kind, row in theirs.items():
            if kind not in ours:
                continue
            mine = ours[kind]
            rows.append(_row(f"search p50, {kind}", surface, LATENCY, mine["p50_ms"], row["p50_ms"]))
            rows.append(_row(f"search p95, {kind}", surface, LATENCY, mine["p95_ms"], row["p95_ms"]))
            rows.append(_row(f"search QPS (sequential), {kind}", surface, RATE, mine["per_second"], row["per_second"]))
        # Beyond the embedding, on the distinct query texts where both sides embed every query (memgrid's cached
        # searches embed nothing). memgrid embeds inside its vectorsearch service, out of the client's sight: its
        # p50 minus the p50 of its embedder alone. mem0's embedding is timed inside each search call.
        plain = next((kind for kind in (DISTINCT, "user") if kind in theirs and kind in ours), None)
        if plain is not None:
            rows.append(
                _row(
                    f"search p50 beyond the query embedding, {plain}",
                    surface,
                    LATENCY,
                    round(ours[plain]["p50_ms"] - memgrid_embed, 3),
                    theirs[plain].get("beyond_embedding", {}).get("p50_ms"),
                )
            )
        rows.append(
            _row(
                "raw ingest memories/s",
                surface,
                RATE,
                ingest["memories_per_second"],
                mem0["ingest"]["memories_per_second"],
            )
        )
    rows.append(_row("query embedding p50 (alone)", "-", LATENCY, memgrid_embed, mem0_embed))
    rows.append(
        _row(
            "raw vector search p50 (alone), user",
            "-",
            LATENCY,
            interleaved["floor"]["raw_search"]["p50_ms"],
            mem0["floor"]["raw_search"]["p50_ms"],
        )
    )
    return rows


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if unit == LATENCY else f"{value:,.1f}{unit}"


def markdown(result: dict[str, Any]) -> list[str]:
    """The "Beside the mem0 OSS library" section of a run's table."""
    mem0 = result["mem0"]
    settings = mem0["settings"]
    versions = mem0["versions"]
    hybrid = "dense + BM25 (its hybrid search)" if settings["hybrid_bm25"] else "dense only (no BM25 on this store)"
    lines = [
        "",
        f"## Beside the mem0 OSS library ({mem0['system']}, same data and queries)",
        "",
        f"mem0ai {versions.get('mem0ai')} in .venv-mem0 (pymilvus {versions.get('pymilvus')}), "
        f"{settings['vector_backend']}, index {settings['vector_index']}, {hybrid}; "
        f"embedder {settings['embedder']} (memgrid: {result['settings'].get('embedder')}, "
        f"{result['settings'].get('embed_threads')} thread(s)). Search: `{settings['search_call']}`, "
        f"{settings['queries']} queries over {settings['rows_searched']:,} rows, each sent to memgrid's surfaces and "
        "to mem0 in turn (rotating order; memgrid timed as a client on loopback, mem0 around its in-process call), "
        "so the memgrid numbers below are from that pass, not the search table above. Raw ingest: "
        f"`{settings['ingest_call']}` on the first {mem0['ingest']['memories']:,} memories "
        f"({mem0['ingest']['calls']} calls, {mem0['ingest']['concurrency']} in flight); the other "
        f"{settings['loaded_memories']:,} were loaded through {settings['loaded_via']}.",
        "",
        "| mem0 search filter | p50 ms | p95 ms | p99 ms | QPS (1 / mean) | p50 beyond its query embedding ms | "
        "avg hits | hits outside the filter |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in mem0["search"]:
        if "unsupported" in row:
            lines.append(f"| {row['filter']} | not expressible: {row['unsupported']} | | | | | | |")
            continue
        beyond = _number(row.get("beyond_embedding", {}).get("p50_ms"))
        lines.append(
            f"| {row['filter']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['per_second']:.1f} | {beyond} | {row['avg_hits']:.1f} | "
            f"{row['foreign_hits'] + row['off_filter_hits']} |"
        )
    floor = mem0["floor"]
    lines += [
        "",
        f"mem0's floor (user filter): query embedding p50 {floor['embed']['p50_ms']:.1f} ms + one dense "
        f"`vector_store.search` (limit {floor['raw_limit']}) p50 {floor['raw_search']['p50_ms']:.1f} ms = "
        f"{floor['floor_p50_ms']:.1f} ms.",
        "",
        "| workload | surface | memgrid | mem0 | memgrid / mem0 | memgrid faster by |",
        "|---|---|---|---|---|---|",
    ]
    for row in mem0.get("ratios") or ratio_rows(result):
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        speedup = "-" if row["speedup"] is None else f"{row['speedup']:.2f}x"
        lines.append(
            f"| {row['workload']} | {row['surface']} | {_value(row['memgrid'], row['unit'])} | "
            f"{_value(row['mem0'], row['unit'])} | {ratio} | {speedup} |"
        )
    return lines
