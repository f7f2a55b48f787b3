"""Entities: upserted with memories, listed with live counts and totals, deleted with their memories."""

from __future__ import annotations

import grpc

from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb

from .helpers import expect_error, new_memory


async def entity_counts(stub, tenant, kind=common_pb2.ENTITY_TYPE_UNSPECIFIED) -> tuple[dict, pb.ListEntitiesResponse]:
    response = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=tenant, type=kind)))
    return {(e.type, e.name): e.memory_count for e in response.entities}, response


async def test_entities_are_upserted_and_counted(stub, tenant):
    memories = [
        new_memory("a", user_id="alex", agent_id="bot"),
        new_memory("b", user_id="alex", run_id="r1"),
        new_memory("c", user_id="sam", app_id="web"),
    ]
    await call(stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=memories)))
    await call(stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("d", user_id="alex")])))
    counts, response = await entity_counts(stub, tenant)
    assert counts == {
        (common_pb2.ENTITY_TYPE_USER, "alex"): 3,
        (common_pb2.ENTITY_TYPE_USER, "sam"): 1,
        (common_pb2.ENTITY_TYPE_AGENT, "bot"): 1,
        (common_pb2.ENTITY_TYPE_RUN, "r1"): 1,
        (common_pb2.ENTITY_TYPE_APP, "web"): 1,
    }
    assert response.total_count == 5
    assert (response.total_users, response.total_agents, response.total_apps, response.total_runs) == (2, 1, 1, 1)
    alex = next(e for e in response.entities if e.name == "alex")
    assert alex.id and alex.updated_at.ToDatetime() >= alex.created_at.ToDatetime()

    users, only_users = await entity_counts(stub, tenant, common_pb2.ENTITY_TYPE_USER)
    assert set(users) == {(common_pb2.ENTITY_TYPE_USER, "alex"), (common_pb2.ENTITY_TYPE_USER, "sam")}
    assert only_users.total_count == 2 and only_users.total_agents == 1

    page = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=tenant, page=2, page_size=2)))
    assert len(page.entities) == 2 and page.total_count == 5

    # Counts follow deletions.
    alex_ids = await call(stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant)))
    await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=alex_ids.memory_ids[:1])))
    counts, _ = await entity_counts(stub, tenant)
    assert sum(counts.values()) == 6


async def test_delete_entity_removes_its_memories_and_row(stub, tenant):
    created = await call(
        stub.CreateMemories(
            pb.CreateMemoriesRequest(
                tenant=tenant,
                memories=[
                    new_memory("a", user_id="alex"),
                    new_memory("b", user_id="alex", agent_id="bot", immutable=True),
                    new_memory("c", agent_id="bot"),
                ],
            )
        )
    )
    a, b, c = created.memories
    response = await call(
        stub.DeleteEntity(pb.DeleteEntityRequest(tenant=tenant, type=common_pb2.ENTITY_TYPE_USER, name="alex"))
    )
    assert response.found
    assert {m.id for m in response.memories} == {a.id, b.id}
    left = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, show_expired=True)))
    assert [m.id for m in left.memories] == [c.id]
    counts, listing = await entity_counts(stub, tenant)
    assert counts == {(common_pb2.ENTITY_TYPE_AGENT, "bot"): 1}
    assert listing.total_users == 0
    history = await call(stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id=a.id)))
    assert history.entries[-1].event == common_pb2.MEMORY_EVENT_DELETE and history.entries[-1].is_deleted

    again = await call(
        stub.DeleteEntity(pb.DeleteEntityRequest(tenant=tenant, type=common_pb2.ENTITY_TYPE_USER, name="alex"))
    )
    assert not again.found and list(again.memories) == []


async def test_delete_entity_needs_type_and_name(stub, tenant):
    await expect_error(
        stub.DeleteEntity(pb.DeleteEntityRequest(tenant=tenant, name="alex")), grpc.StatusCode.INVALID_ARGUMENT, "type"
    )
    await expect_error(
        stub.DeleteEntity(pb.DeleteEntityRequest(tenant=tenant, type=common_pb2.ENTITY_TYPE_USER)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "name",
    )
