"""memgrid.vectorsearch.v1 messages ↔ the service's domain types."""

from __future__ import annotations

from datetime import UTC, datetime

from libs.domain import VectorHit, VectorRecord
from libs.filters.proto import filter_from_proto
from libs.mappers import scope_from_proto, timestamp_from_proto
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as pb
from services.vectorsearch.models import SearchQuery


def record_from_proto(item: pb.VectorItem) -> VectorRecord:
    """A missing created_at means now; a missing updated_at means created_at."""
    created_at = timestamp_from_proto(item.created_at, present=item.HasField("created_at"), field="created_at")
    created_at = created_at or datetime.now(UTC)
    updated_at = timestamp_from_proto(item.updated_at, present=item.HasField("updated_at"), field="updated_at")
    updated_at = updated_at or created_at
    return VectorRecord(
        memory_id=item.memory_id,
        text=item.text,
        scope=scope_from_proto(item.scope),
        created_at=created_at,
        updated_at=updated_at,
        categories=list(item.categories),
    )


def search_from_proto(request: pb.SearchVectorsRequest) -> SearchQuery:
    """candidate_ids restrict the search when restrict_to_candidates is set or any id is given."""
    restrict = request.restrict_to_candidates or len(request.candidate_ids) > 0
    return SearchQuery(
        queries=list(request.queries),
        filter=filter_from_proto(request.filter, has=request.HasField("filter")),
        top_k=request.top_k,
        candidate_ids=list(request.candidate_ids) if restrict else None,
    )


def hits_to_proto(results: list[list[VectorHit]]) -> pb.SearchVectorsResponse:
    return pb.SearchVectorsResponse(
        results=[
            pb.QueryHits(hits=[pb.VectorHit(memory_id=hit.memory_id, score=hit.score) for hit in hits])
            for hits in results
        ]
    )
