"""What callers ask the orchestrator for, already validated and free of wire details."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from libs import domain
from libs.filters import FilterNode

DEFAULT_TOP_K = 10
DEFAULT_PAGE_SIZE = 100
DEFAULT_THRESHOLD = 0.1
# Whether a search that does not say (`keyword_search` absent) is hybrid; chosen by measurement (README,
# "Retrieval quality").
DEFAULT_KEYWORD_SEARCH = True


@dataclass(slots=True)
class AddCommand:
    messages: list[domain.Message]
    scope: domain.Scope
    metadata: dict[str, Any] | None = None
    infer: bool = True
    immutable: bool = False
    expiration_date: date | None = None
    created_at: datetime | None = None
    custom_instructions: str = ""
    custom_categories: dict[str, str] = field(default_factory=dict)
    includes: str = ""
    excludes: str = ""
    # infer=false only: the stored memories' categories (e.g. restored by `memgrid import`).
    categories: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AddOutcome:
    event_id: str
    changes: list[domain.MemoryChange]


@dataclass(slots=True)
class SearchCommand:
    query: str
    filter: FilterNode | None
    top_k: int = DEFAULT_TOP_K
    threshold: float = DEFAULT_THRESHOLD
    categories: list[str] = field(default_factory=list)
    show_expired: bool = False
    # Hybrid search: full-text matches fused with the dense ones (gateway/ranking.py).
    keyword_search: bool = DEFAULT_KEYWORD_SEARCH
    # Rerank a wider candidate set before cutting to top_k (gateway/rerank.py).
    rerank: bool = False
    # "Today" for relative times in the query ("last week"); None: the server's date.
    reference_date: date | None = None
    # v3 and gRPC searches must name an entity; v1/v2 may search the whole project (the Mem0 guide does).
    require_entity: bool = True


@dataclass(slots=True)
class ListCommand:
    filter: FilterNode | None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    show_expired: bool = False


@dataclass(slots=True)
class MemoryPage:
    memories: list[domain.Memory]
    total_count: int
    page: int
    page_size: int


@dataclass(slots=True)
class EntitySummary:
    """One entity's share of the memories under a summary's filters: how many, and the newest few."""

    kind: domain.EntityType
    name: str
    memory_count: int
    recent: list[domain.Memory]


@dataclass(slots=True)
class ProjectStats:
    total_memories: int
    entities: dict[domain.EntityType, int]
    events_by_status: dict[domain.EventStatus, int]
