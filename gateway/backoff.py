"""Exponential backoff of the gateway's retried background work (queued adds, webhook deliveries)."""

from __future__ import annotations


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Wait after failed attempt number `attempt` (1-based): base, doubled per further attempt, at most cap."""
    return min(base * 2 ** (max(attempt, 1) - 1), cap)
