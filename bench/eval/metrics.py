"""Retrieval metrics: any@k (at least one evidence turn in the top k), all@k (every one), latency percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

KS = (5, 10, 20)


def any_at(ranked: Sequence[str], evidence: Sequence[str], k: int) -> bool:
    top = set(ranked[:k])
    return any(e in top for e in evidence)


def all_at(ranked: Sequence[str], evidence: Sequence[str], k: int) -> bool:
    top = set(ranked[:k])
    return all(e in top for e in evidence)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question answered by one configuration: the dia_ids it ranked, and how long the search took."""

    category: int
    evidence: tuple[str, ...]
    ranked: tuple[str, ...]
    latency_ms: float | None


def summarize(outcomes: Sequence[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    row: dict[str, float] = {"n": n}
    for k in KS:
        row[f"any@{k}"] = sum(any_at(o.ranked, o.evidence, k) for o in outcomes) / n if n else 0.0
        row[f"all@{k}"] = sum(all_at(o.ranked, o.evidence, k) for o in outcomes) / n if n else 0.0
    latencies = [o.latency_ms for o in outcomes if o.latency_ms is not None]
    if latencies:
        row["p50_ms"] = percentile(latencies, 50)
        row["p95_ms"] = percentile(latencies, 95)
    return row


def by_category(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    """Per category ("1".."4") and "overall"."""
    categories = sorted({o.category for o in outcomes})
    table = {str(c): summarize([o for o in outcomes if o.category == c]) for c in categories}
    table["overall"] = summarize(outcomes)
    return table
