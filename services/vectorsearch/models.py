"""Domain types of the vectorsearch service (no protobuf)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from libs.domain import Scope
from libs.filters import FilterNode

# Column limits of the vector collection (Milvus VARCHAR lengths are in UTF-8 bytes).
ID_MAX_BYTES = 256
SCOPE_ID_MAX_BYTES = 512
CATEGORY_MAX_BYTES = 256
MAX_CATEGORIES = 256


@dataclass(frozen=True, slots=True)
class VectorRecord:
    """One memory to embed and store."""

    memory_id: str
    text: str
    scope: Scope
    created_at: datetime
    updated_at: datetime
    categories: list[str] = field(default_factory=list)


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
class VectorHit:
    memory_id: str
    score: float
