"""The gRPC edge of vectorsearch: proto → domain, call the core, domain → proto."""

from __future__ import annotations

import grpc

from libs.mappers import tenant_from_proto
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as pb
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2_grpc as pb_grpc
from services.vectorsearch import mappers
from services.vectorsearch.core import VectorSearch


class VectorSearchServicer(pb_grpc.VectorSearchServiceServicer):
    def __init__(self, core: VectorSearch) -> None:
        self._core = core

    async def UpsertVectors(
        self, request: pb.UpsertVectorsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertVectorsResponse:
        tenant = tenant_from_proto(request.tenant)
        records = [mappers.record_from_proto(item) for item in request.items]
        count = await self._core.upsert(tenant, records)
        return pb.UpsertVectorsResponse(upserted_count=count)

    async def DeleteVectors(
        self, request: pb.DeleteVectorsRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteVectorsResponse:
        tenant = tenant_from_proto(request.tenant)
        count = await self._core.delete(tenant, list(request.memory_ids))
        return pb.DeleteVectorsResponse(deleted_count=count)

    async def SearchVectors(
        self, request: pb.SearchVectorsRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchVectorsResponse:
        tenant = tenant_from_proto(request.tenant)
        results = await self._core.search(tenant, mappers.search_from_proto(request))
        return mappers.hits_to_proto(results)
