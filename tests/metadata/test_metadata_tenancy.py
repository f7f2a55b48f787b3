"""A memory, its history, entities and events of tenant A are invisible to tenant B in every RPC."""

from __future__ import annotations

import grpc

from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb

from .helpers import expect_error, filter_of, new_memory


async def test_other_tenant_sees_nothing(stub, tenant, other_tenant):
    created = await call(
        stub.CreateMemories(
            pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("secret", user_id="alex", categories=["x"])])
        )
    )
    (memory,) = created.memories
    # Same org, other project is another tenant too.
    sibling = common_pb2.Tenant(org_id=tenant.org_id, project_id="sibling")
    for intruder in (other_tenant, sibling):
        got = await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=intruder, memory_ids=[memory.id])))
        assert list(got.memories) == []
        listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=intruder, show_expired=True)))
        assert listed.total_count == 0
        by_filter = await call(
            stub.ListMemories(
                pb.ListMemoriesRequest(
                    tenant=intruder, filter=filter_of({"memory_ids": [memory.id]}), show_expired=True
                )
            )
        )
        assert list(by_filter.memories) == []
        ids = await call(
            stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=intruder, filter=filter_of({"user_id": "alex"})))
        )
        assert list(ids.memory_ids) == []
        await expect_error(
            stub.ListHistory(pb.ListHistoryRequest(tenant=intruder, memory_id=memory.id)), grpc.StatusCode.NOT_FOUND
        )
        updated = await call(
            stub.UpdateMemories(
                pb.UpdateMemoriesRequest(tenant=intruder, patches=[pb.MemoryPatch(memory_id=memory.id, text="pwned")])
            )
        )
        assert list(updated.memories) == []
        deleted = await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=intruder, memory_ids=[memory.id])))
        assert list(deleted.memories) == []
        wiped = await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=intruder, all=True)))
        assert list(wiped.memories) == []
        entities = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=intruder)))
        assert entities.total_count == 0 and entities.total_users == 0
        gone = await call(
            stub.DeleteEntity(pb.DeleteEntityRequest(tenant=intruder, type=common_pb2.ENTITY_TYPE_USER, name="alex"))
        )
        assert not gone.found

    # The owner still has everything, unchanged.
    got = await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=[memory.id])))
    assert got.memories[0].memory == "secret"
    history = await call(stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id=memory.id)))
    assert len(history.entries) == 1
    entities = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=tenant)))
    assert entities.entities[0].memory_count == 1


async def test_requests_without_a_tenant_are_refused(stub):
    for pending in (
        stub.GetMemories(pb.GetMemoriesRequest(memory_ids=["x"])),
        stub.ListMemories(pb.ListMemoriesRequest()),
        stub.FindMemoryIds(pb.FindMemoryIdsRequest()),
        stub.SearchText(pb.SearchTextRequest(query="x", limit=5)),
        stub.UpdateMemories(pb.UpdateMemoriesRequest()),
        stub.DeleteMemories(pb.DeleteMemoriesRequest(all=True)),
        stub.ListHistory(pb.ListHistoryRequest(memory_id="x")),
        stub.ListEntities(pb.ListEntitiesRequest()),
        stub.DeleteEntity(pb.DeleteEntityRequest(type=common_pb2.ENTITY_TYPE_USER, name="a")),
        stub.RecordEvent(pb.RecordEventRequest(event=common_pb2.Event(id="e"))),
        stub.GetEvent(pb.GetEventRequest(event_id="e")),
        stub.ListEvents(pb.ListEventsRequest()),
        stub.CreateApiKey(pb.CreateApiKeyRequest()),
        stub.ListMemories(pb.ListMemoriesRequest(tenant=common_pb2.Tenant(org_id="only-org"))),
    ):
        await expect_error(pending, grpc.StatusCode.INVALID_ARGUMENT, "tenant")
