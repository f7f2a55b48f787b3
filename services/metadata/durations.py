"""Durations callers pass in seconds (leases, backoffs, ages): bounded, so `now ± seconds` never leaves
datetime's range (a huge or non-finite value was an INTERNAL error; now it is INVALID_ARGUMENT)."""

from __future__ import annotations

from libs.errors import InvalidArgument

# Longest lease, backoff or age a caller may ask for (a year).
MAX_SECONDS = 365 * 24 * 3600.0


def checked_seconds(value: float, field: str, *, positive: bool) -> float:
    """`value` if it lies in (0, MAX_SECONDS] (`positive`) or [0, MAX_SECONDS]; NaN fails both comparisons."""
    low_ok = value > 0 if positive else value >= 0
    if not (low_ok and value <= MAX_SECONDS):
        lower = "positive" if positive else "at least 0"
        raise InvalidArgument(f"{field}: must be {lower} and at most {MAX_SECONDS:.0f}", field=field)
    return value
