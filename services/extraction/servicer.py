"""The gRPC edge of the extraction service: validate → map → extractor / reconciler → map back."""

from __future__ import annotations

from collections import Counter

import grpc
import structlog

from libs.errors import InvalidArgument
from libs.mappers import message_from_proto, scope_from_proto, tenant_from_proto
from memgrid.extraction.v1 import extraction_service_pb2 as pb
from memgrid.extraction.v1 import extraction_service_pb2_grpc as pb_grpc
from services.extraction import mappers
from services.extraction.ports import FactExtractor, MemoryReconciler

log = structlog.get_logger()


class ExtractionServicer(pb_grpc.ExtractionServiceServicer):
    def __init__(self, extractor: FactExtractor, reconciler: MemoryReconciler) -> None:
        self._extractor = extractor
        self._reconciler = reconciler

    async def ExtractFacts(
        self, request: pb.ExtractFactsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExtractFactsResponse:
        tenant = tenant_from_proto(request.tenant)
        if not request.messages:
            raise InvalidArgument("messages: at least one message is required", field="messages")
        messages = [message_from_proto(message) for message in request.messages]
        facts = await self._extractor.extract(
            messages, scope_from_proto(request.scope), mappers.options_from_request(request)
        )
        log.info(
            "facts.extracted",
            org_id=tenant.org_id,
            project_id=tenant.project_id,
            messages=len(messages),
            facts=len(facts),
        )
        return pb.ExtractFactsResponse(facts=[mappers.fact_to_proto(fact) for fact in facts])

    async def ReconcileMemories(
        self, request: pb.ReconcileMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReconcileMemoriesResponse:
        tenant = tenant_from_proto(request.tenant)
        facts = [mappers.fact_from_proto(fact, index) for index, fact in enumerate(request.facts)]
        candidates = [
            mappers.candidate_from_proto(candidate, index, len(facts))
            for index, candidate in enumerate(request.candidates)
        ]
        actions = await self._reconciler.reconcile(facts, candidates)
        counts = Counter(action.event.value for action in actions)
        log.info(
            "memories.reconciled",
            org_id=tenant.org_id,
            project_id=tenant.project_id,
            facts=len(facts),
            candidates=len(candidates),
            **{event.lower(): count for event, count in sorted(counts.items())},
        )
        return pb.ReconcileMemoriesResponse(actions=[mappers.action_to_proto(action) for action in actions])
