"""Helpers for a real Milvus server (tests and benchmarks of the server path)."""

from __future__ import annotations

import time

from pymilvus import MilvusClient
from pymilvus.client.types import SegmentState

# Milvus builds no index for a sealed segment below this many rows (dataCoord.minSegmentNumRowsToEnableIndex)
# and searches it by brute force.
MIN_INDEXED_SEGMENT_ROWS = 1024


def seal_and_index(client: MilvusClient, collection: str, rows: int, timeout_s: float = 1800) -> None:
    """Flush, then wait until the server serves at least `rows` rows from sealed segments, each big one through
    its index (the steady state a server reaches by itself once segments seal)."""
    client.flush(collection)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        index = client.describe_index(collection, "vector")
        segments = client.list_loaded_segments(collection)
        sealed = [segment for segment in segments if segment.state == SegmentState.Sealed]
        if (
            index.get("pending_index_rows", 0) == 0
            and sum(segment.num_rows for segment in sealed) >= rows
            and all(segment.index_id for segment in sealed if segment.num_rows >= MIN_INDEXED_SEGMENT_ROWS)
        ):
            return
        time.sleep(1)
    raise TimeoutError(f"milvus: {collection} not served from indexed sealed segments after {timeout_s:.0f} s")
