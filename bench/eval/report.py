"""Markdown of an evaluation run (the JSON stays the source of truth)."""

from __future__ import annotations

from typing import Any

from bench.eval.locomo import CATEGORY_NAMES
from bench.eval.metrics import KS


def markdown(report: dict[str, Any]) -> str:
    evidence = report["evidence"]
    lines = [
        f"# LOCOMO retrieval: {report['name']}",
        "",
        f"- Dataset: `{report['dataset']}` — conversations {', '.join(report['conversations'])};"
        f" {report['turns']} turns, {report['questions']} questions (categories 1-4).",
        f"- Evidence ids: {evidence['valid']} valid, {evidence['repaired']} repaired, {evidence['skipped']} skipped;"
        f" questions left out: {_counts(report['dropped_questions'])}.",
        f"- Server: {report['server']}; turns added with infer={str(report['infer']).lower()}"
        f" in {report['ingest_seconds']} s. Started {report['started_at']}.",
        "- any@k: at least one evidence turn in the top k; all@k: every evidence turn. Latency: one search over"
        " REST, client side, one at a time, the configurations taking turns per question.",
    ]
    if report.get("server_env"):
        env = ", ".join(f"`{key}={value}`" for key, value in sorted(report["server_env"].items()))
        lines.append(f"- Server environment: {env}")
    for key in ("notes",):
        if report.get(key):
            lines.append(f"- {report[key]}")
    lines += ["", "## Overall", "", _overall_table(report), "", "## any@10 by category", ""]
    lines += [_category_table(report, "any@10"), "", "## all@10 by category", "", _category_table(report, "all@10")]
    return "\n".join(lines) + "\n"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value} ({key})" for key, value in sorted(counts.items())) or "none"


def _overall_table(report: dict[str, Any]) -> str:
    metrics = [f"{kind}@{k}" for kind in ("any", "all") for k in KS]
    head = "| configuration | " + " | ".join(metrics) + " | p50 ms | p95 ms |"
    rows = [head, "|" + "---|" * (len(metrics) + 3)]
    for name, table in report["results"].items():
        overall = table["overall"]
        cells = [f"{overall[m]:.3f}" for m in metrics]
        latency = [f"{overall[key]:.1f}" if key in overall else "-" for key in ("p50_ms", "p95_ms")]
        rows.append(f"| {name} | " + " | ".join(cells + latency) + " |")
    return "\n".join(rows)


def _category_table(report: dict[str, Any], metric: str) -> str:
    first = next(iter(report["results"].values()))
    categories = [c for c in first if c != "overall"]
    names = [f"{CATEGORY_NAMES.get(int(c), c)} (n={first[c]['n']})" for c in categories]
    rows = ["| configuration | " + " | ".join([*names, "overall"]) + " |", "|" + "---|" * (len(names) + 2)]
    for name, table in report["results"].items():
        rows.append(f"| {name} | " + " | ".join(f"{table[c][metric]:.3f}" for c in [*categories, "overall"]) + " |")
    return "\n".join(rows)
