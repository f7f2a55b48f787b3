"""Latency samples and their summary (percentiles in milliseconds)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile of already sorted values (fraction in [0, 1])."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return sorted_values[low]
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarize(seconds: Sequence[float], *, wall_seconds: float | None = None) -> dict[str, Any]:
    """p50/p95/p99/mean/max in ms (None without samples), the sample count and, given the wall time, the rate
    per second."""
    values = sorted(value * 1000 for value in seconds)
    if not values:
        empty: dict[str, Any] = {"count": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None}
        empty.update(mean_ms=None, max_ms=None)
        if wall_seconds is not None:
            empty.update(wall_s=round(wall_seconds, 3), per_second=0.0)
        return empty
    summary: dict[str, Any] = {
        "count": len(values),
        "p50_ms": _round(percentile(values, 0.50)),
        "p95_ms": _round(percentile(values, 0.95)),
        "p99_ms": _round(percentile(values, 0.99)),
        "mean_ms": _round(sum(values) / len(values)),
        "max_ms": _round(values[-1]),
    }
    if wall_seconds is not None:
        summary["wall_s"] = round(wall_seconds, 3)
        summary["per_second"] = round(len(values) / wall_seconds, 2) if wall_seconds > 0 else math.nan
    return summary


def _round(value: float) -> float:
    return round(value, 3)
