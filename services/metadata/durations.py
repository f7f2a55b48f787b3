"""Durations callers pass in seconds (leases, backoffs, ages): bounded, so `now ± seconds` never leaves
datetime's range (a huge or non-finite value was an INTERNAL error; now it is INVALID_ARGUMENT); and the
claims of the polled queues (jobs, webhook deliveries), which lease rows for such a duration."""

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


def check_claim(limit: int, lease_seconds: float, *, max_claim: int) -> None:
    """A claim of 1 to `max_claim` rows, each leased for a bounded positive duration."""
    if not 1 <= limit <= max_claim:
        raise InvalidArgument(f"limit: must be between 1 and {max_claim}", field="limit")
    checked_seconds(lease_seconds, "lease_seconds", positive=True)
