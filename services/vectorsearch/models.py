"""Domain types of the vectorsearch service (no protobuf)."""

from __future__ import annotations

from dataclasses import dataclass

from libs.domain import VectorRecord
from libs.filters import FilterNode

# Column limits of the vector collection (Milvus VARCHAR lengths are in UTF-8 bytes).
ID_MAX_BYTES = 256
SCOPE_ID_MAX_BYTES = 512
CATEGORY_MAX_BYTES = 256
MAX_CATEGORIES = 256


@dataclass(frozen=True, slots=True)
class StoredVector:
    """A record with its embedding, as the store writes it."""

    record: VectorRecord
    vector: list[float]


@dataclass(frozen=True, slots=True)
class SearchQuery:
    queries: list[str]
    filter: FilterNode | None
    top_k: int
    # None: no restriction; a list (possibly empty): only these ids are candidates.
    candidate_ids: list[str] | None


@dataclass(frozen=True, slots=True)
class CompiledSearch:
    """A search's Milvus expression (tenant AND filter AND candidate ids) and the consistency it reads with."""

    expr: str
    consistency_level: str
