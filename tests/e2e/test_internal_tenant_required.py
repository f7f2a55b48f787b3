"""Defence in depth: every internal RPC that carries tenant data refuses a request without a tenant, in the
service itself (called directly, not through the gateway). RPCs are enumerated from the descriptors, so a new
RPC is covered the day it is added; one without a `tenant` field must be listed in TENANTLESS with a reason."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message_factory import GetMessageClass

from memgrid.common.v1 import common_pb2
from memgrid.extraction.v1 import extraction_service_pb2
from memgrid.metadata.v1 import metadata_service_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2
from tests.conftest import Stack

SERVICES: dict[str, ServiceDescriptor] = {
    "metadata": metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"],
    "vectorsearch": vectorsearch_service_pb2.DESCRIPTOR.services_by_name["VectorSearchService"],
    "extraction": extraction_service_pb2.DESCRIPTOR.services_by_name["ExtractionService"],
}
# Key administration: the key is the credential itself (AuthenticateApiKey) or an operator action across
# projects (`memgrid keys list|revoke`); none of them returns or changes memory data. The vector-sync outbox
# is the gateway's crash recovery across projects: its entries (and acknowledgements) carry each memory's
# own tenant, and only ids and versions travel, never memory data. The webhook dispatcher's claim and record
# work across projects too: each claimed delivery carries its own tenant (the gateway POSTs it to that
# project's webhook), and a record names a delivery by its id.
# own tenant, and only ids and versions travel, never memory data. Claiming jobs is the gateway workers' queue
# across projects: each job carries its own tenant, and finishing it (FinishJob) needs that tenant again.
TENANTLESS = {
    "MetadataService.ClaimJobs",
    "MetadataService.AuthenticateApiKey",
    "MetadataService.ListApiKeys",
    "MetadataService.RevokeApiKey",
    "MetadataService.ListPendingVectorSyncs",
    "MetadataService.AckVectorSyncs",
    "MetadataService.ClaimWebhookDeliveries",
    "MetadataService.RecordWebhookAttempts",
}
# Requests with a tenant that is not whole.
INCOMPLETE_TENANTS = [None, common_pb2.Tenant(org_id="acme"), common_pb2.Tenant(project_id="app1")]


def _methods() -> list[tuple[str, ServiceDescriptor, MethodDescriptor]]:
    return [(area, service, method) for area, service in SERVICES.items() for method in service.methods]


def _id(item: tuple[str, ServiceDescriptor, MethodDescriptor]) -> str:
    return f"{item[1].name}.{item[2].name}"


def test_every_tenantless_rpc_is_known() -> None:
    tenantless = {_id(item) for item in _methods() if "tenant" not in item[2].input_type.fields_by_name}
    assert tenantless == TENANTLESS


@pytest.fixture(scope="module")
async def channels(stack: Stack) -> AsyncIterator[dict[str, grpc.aio.Channel]]:
    targets = {
        "metadata": stack.metadata_target,
        "vectorsearch": stack.vectorsearch_target,
        "extraction": stack.extraction_target,
    }
    opened = {area: grpc.aio.insecure_channel(target) for area, target in targets.items()}
    yield opened
    for channel in opened.values():
        await channel.close()


TENANT_BEARING = [item for item in _methods() if _id(item) not in TENANTLESS]


@pytest.mark.parametrize("item", TENANT_BEARING, ids=[_id(item) for item in TENANT_BEARING])
async def test_rpc_without_a_tenant_is_refused(item, channels: dict[str, grpc.aio.Channel]) -> None:
    area, service, method = item
    request_type = GetMessageClass(method.input_type)
    response_type = GetMessageClass(method.output_type)
    invoke = channels[area].unary_unary(
        f"/{service.full_name}/{method.name}",
        request_serializer=request_type.SerializeToString,
        response_deserializer=response_type.FromString,
    )
    for tenant in INCOMPLETE_TENANTS:
        request = request_type() if tenant is None else request_type(tenant=tenant)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await invoke(request, timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
        assert "tenant" in caught.value.details()
