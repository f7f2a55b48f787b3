"""Every public gRPC RPC (memgrid.memory.v1.MemoryService), called by acme/app1 with the other tenants' ids,
names and filters. An RPC in the descriptor without an entry here fails `test_every_rpc_is_in_the_matrix`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2

from libs.filters import parse_filters
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb
from tests.e2e.isolation.world import SHARED_USER, World

Case = Callable[[World], Awaitable[str]]
Code = grpc.StatusCode
SERVICE = pb.DESCRIPTOR.services_by_name["MemoryService"]


async def expect(world: World, name: str, request: Any, code: Code = Code.OK) -> Any:
    response, got = await world.rpc(name, request)
    assert got == code, f"{name}: expected {code.name}, got {got.name}"
    return response


def or_filter(world: World) -> common_pb2.Filter:
    raw = {"OR": [{"user_id": SHARED_USER}, *({"user_id": v.project.private_user} for v in world.victims)]}
    return filter_to_proto(parse_filters(raw))


def user_filter(user: str) -> common_pb2.Filter:
    return filter_to_proto(parse_filters({"user_id": user}))


def foreign_ids(world: World) -> list[str]:
    return [victim.memory_ids[0] for victim in world.victims]


def message(text: str) -> common_pb2.Message:
    return common_pb2.Message(role=common_pb2.ROLE_USER, content=text)


# --- cases ------------------------------------------------------------------------------------------


async def ping(world: World) -> str:
    response = await expect(world, "Ping", pb.PingRequest())
    assert (response.org_id, response.project_id) == (world.attacker.org_id, world.attacker.project_id)
    return "own project only"


async def add(world: World) -> str:
    scope = common_pb2.Scope(user_id=SHARED_USER)
    await expect(
        world, "AddMemories", pb.AddMemoriesRequest(messages=[message("My name is Alice. I like pizza.")], scope=scope)
    )
    for victim in world.victims:
        request = pb.AddMemoriesRequest(
            messages=[message("alice loves pizza")],
            scope=common_pb2.Scope(user_id=victim.project.private_user),
            infer=False,
        )
        await expect(world, "AddMemories", request)
        request.async_mode = True
        queued = await expect(world, "AddMemories", request)
        assert queued.status == common_pb2.EVENT_STATUS_PENDING
        # WatchEvent ends when the queued add is final: its writes are then in the snapshot.
        watched = await expect(world, "WatchEvent", pb.WatchEventRequest(event_id=queued.event_id))
        assert watched[-1].event.status == common_pb2.EVENT_STATUS_SUCCEEDED
    return "writes own project only (sync and queued)"


async def search(world: World) -> str:
    own = await world.own_memories(1)
    request = pb.SearchMemoriesRequest(query="alice likes pizza", filter=or_filter(world), top_k=100, threshold=0)
    response = await expect(world, "SearchMemories", request)
    assert own[0] in {hit.memory.id for hit in response.results}
    return "OR on victims' users: own hits only"


async def list_memories(world: World) -> str:
    own = await world.own_memories(1)
    response = await expect(world, "ListMemories", pb.ListMemoriesRequest(filter=or_filter(world), page_size=100))
    assert own[0] in {memory.id for memory in response.memories}
    return "OR on victims' users: own memories only"


def by_foreign_id(name: str, build: Callable[[str], Any]) -> Case:
    async def case(world: World) -> str:
        for memory_id in foreign_ids(world):
            await expect(world, name, build(memory_id), Code.NOT_FOUND)
        return "foreign id: NOT_FOUND"

    return case


async def delete_all(world: World) -> str:
    await world.own_memories(1)
    response = await expect(world, "DeleteAllMemories", pb.DeleteAllMemoriesRequest(filter=or_filter(world)))
    assert response.deleted_count >= 1
    for victim in world.victims:
        request = pb.DeleteAllMemoriesRequest(filter=user_filter(victim.project.private_user))
        assert (await expect(world, "DeleteAllMemories", request)).deleted_count == 0
    return "OR / victims' users: own rows only"


async def batch_update(world: World) -> str:
    own = await world.own_memories(1)
    before = await world.own_texts(own)
    for foreign in foreign_ids(world):
        request = pb.BatchUpdateMemoriesRequest(
            updates=[pb.MemoryUpdate(memory_id=own[0], text="changed"), pb.MemoryUpdate(memory_id=foreign, text="x")]
        )
        await expect(world, "BatchUpdateMemories", request, Code.NOT_FOUND)
    assert await world.own_texts(own) == before
    return "mixed ids: NOT_FOUND, nothing written"


async def batch_delete(world: World) -> str:
    own = await world.own_memories(1)
    for foreign in foreign_ids(world):
        request = pb.BatchDeleteMemoriesRequest(memory_ids=[own[0], foreign])
        await expect(world, "BatchDeleteMemories", request, Code.NOT_FOUND)
    assert set(await world.own_texts(own)) == set(own)
    return "mixed ids: NOT_FOUND, nothing deleted"


async def list_entities(world: World) -> str:
    await world.own_memories(1)
    response = await expect(world, "ListEntities", pb.ListEntitiesRequest(page_size=100))
    assert SHARED_USER in {entity.name for entity in response.entities}
    return "own entities only"


async def create_entity(world: World) -> str:
    metadata = struct_pb2.Struct()
    metadata.update({"pwned": True})
    for name in [SHARED_USER, *(v.project.private_user for v in world.victims)]:
        request = pb.CreateEntityRequest(type=common_pb2.ENTITY_TYPE_USER, name=name, metadata=metadata)
        await expect(world, "CreateEntity", request)
    return "victims' entity names: own entities only"


async def delete_entity(world: World) -> str:
    for victim in world.victims:
        request = pb.DeleteEntityRequest(type=common_pb2.ENTITY_TYPE_USER, name=victim.project.hidden_user)
        await expect(world, "DeleteEntity", request, Code.NOT_FOUND)
    await world.own_memories(1)
    request = pb.DeleteEntityRequest(type=common_pb2.ENTITY_TYPE_USER, name=SHARED_USER)
    assert (await expect(world, "DeleteEntity", request)).deleted_count >= 1
    return "victims' user: NOT_FOUND; shared name: own memories only"


async def reset(world: World) -> str:
    await world.own_memories(2)
    assert (await expect(world, "ResetProject", pb.ResetProjectRequest())).deleted_count >= 2
    listed = await expect(world, "ListMemories", pb.ListMemoriesRequest(page_size=100))
    assert listed.total_count == 0
    return "own project emptied only"


async def get_project(world: World) -> str:
    response = await expect(world, "GetProject", pb.GetProjectRequest())
    assert (response.project.org_id, response.project.project_id) == (world.attacker.org_id, world.attacker.project_id)
    return "own project only"


async def update_project(world: World) -> str:
    await expect(world, "UpdateProject", pb.UpdateProjectRequest(custom_instructions="pwned"))
    return "own project only"


async def list_events(world: World) -> str:
    await world.own_memories(1)
    assert (await expect(world, "ListEvents", pb.ListEventsRequest(page_size=100))).total_count >= 1
    return "own events only"


def by_foreign_event(name: str, build: Callable[[str], Any]) -> Case:
    async def case(world: World) -> str:
        for victim in world.victims:
            await expect(world, name, build(victim.event_ids[0]), Code.NOT_FOUND)
        return "foreign id: NOT_FOUND"

    return case


async def create_export(world: World) -> str:
    own = await world.own_memories(1)
    request = pb.CreateExportRequest(schema='{"properties": {"memory": {}}}', filter=or_filter(world))
    created = await expect(world, "CreateExport", request)
    got = await expect(world, "GetExport", pb.GetExportRequest(export_id=created.id))
    assert own[0] in {item["id"] for item in got.data["memories"]}
    return "OR on victims' users: own memories only"


async def get_export(world: World) -> str:
    for victim in world.victims:
        # The victim's own export (exports are not part of its snapshot).
        request = pb.CreateExportRequest(filter=user_filter(victim.project.private_user))
        theirs, code = await world.rpc("CreateExport", request, key=victim.project.key)
        assert code == Code.OK
        await expect(world, "GetExport", pb.GetExportRequest(export_id=theirs.id), Code.NOT_FOUND)
    return "victims' export ids: NOT_FOUND"


async def list_members(world: World) -> str:
    await expect(world, "ListMembers", pb.ListMembersRequest())
    return "own members only"


async def add_member(world: World) -> str:
    email = f"attacker-{uuid.uuid4().hex[:8]}@example.com"
    await expect(world, "AddMember", pb.AddMemberRequest(email=email, role=common_pb2.MEMBER_ROLE_OWNER))
    return "own project only"


def victims_member(name: str, build: Callable[[str], Any]) -> Case:
    async def case(world: World) -> str:
        for victim in world.victims:
            await expect(world, name, build(victim.project.member_email), Code.NOT_FOUND)
        return "victims' member: NOT_FOUND"

    return case


async def list_webhooks(world: World) -> str:
    response = await expect(world, "ListWebhooks", pb.ListWebhooksRequest())
    assert not {hook.webhook_id for hook in response.webhooks} & {v.webhook_ids[0] for v in world.victims}
    return "own webhooks only"


async def create_webhook(world: World) -> str:
    request = pb.CreateWebhookRequest(
        name="pwned", url="http://127.0.0.1:9/pwned", event_types=[common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD]
    )
    response = await expect(world, "CreateWebhook", request)
    assert response.webhook.project_id == world.attacker.project_id
    return "own project only"


def foreign_webhook(name: str, build: Callable[[str], Any]) -> Case:
    async def case(world: World) -> str:
        for victim in world.victims:
            await expect(world, name, build(victim.webhook_ids[0]), Code.NOT_FOUND)
        return "foreign webhook id: NOT_FOUND"

    return case


GRPC_MATRIX: dict[str, Case] = {
    "Ping": ping,
    "AddMemories": add,
    "SearchMemories": search,
    "ListMemories": list_memories,
    "GetMemory": by_foreign_id("GetMemory", lambda i: pb.GetMemoryRequest(memory_id=i)),
    "UpdateMemory": by_foreign_id("UpdateMemory", lambda i: pb.UpdateMemoryRequest(memory_id=i, text="pwned")),
    "DeleteMemory": by_foreign_id("DeleteMemory", lambda i: pb.DeleteMemoryRequest(memory_id=i)),
    "DeleteAllMemories": delete_all,
    "GetMemoryHistory": by_foreign_id("GetMemoryHistory", lambda i: pb.GetMemoryHistoryRequest(memory_id=i)),
    "BatchUpdateMemories": batch_update,
    "BatchDeleteMemories": batch_delete,
    "ListEntities": list_entities,
    "CreateEntity": create_entity,
    "DeleteEntity": delete_entity,
    "ResetProject": reset,
    "GetProject": get_project,
    "UpdateProject": update_project,
    "GetEvent": by_foreign_event("GetEvent", lambda i: pb.GetEventRequest(event_id=i)),
    "ListEvents": list_events,
    "WatchEvent": by_foreign_event("WatchEvent", lambda i: pb.WatchEventRequest(event_id=i)),
    "SubmitFeedback": by_foreign_id(
        "SubmitFeedback", lambda i: pb.SubmitFeedbackRequest(memory_id=i, feedback=pb.FEEDBACK_NEGATIVE)
    ),
    "CreateExport": create_export,
    "GetExport": get_export,
    "ListMembers": list_members,
    "AddMember": add_member,
    "UpdateMember": victims_member(
        "UpdateMember", lambda e: pb.UpdateMemberRequest(email=e, role=common_pb2.MEMBER_ROLE_OWNER)
    ),
    "RemoveMember": victims_member("RemoveMember", lambda e: pb.RemoveMemberRequest(email=e)),
    "ListWebhooks": list_webhooks,
    "CreateWebhook": create_webhook,
    "UpdateWebhook": foreign_webhook(
        "UpdateWebhook", lambda i: pb.UpdateWebhookRequest(webhook_id=i, url="http://127.0.0.1:9/pwned")
    ),
    "DeleteWebhook": foreign_webhook("DeleteWebhook", lambda i: pb.DeleteWebhookRequest(webhook_id=i)),
    "ListWebhookDeliveries": foreign_webhook(
        "ListWebhookDeliveries", lambda i: pb.ListWebhookDeliveriesRequest(webhook_id=i)
    ),
}


def test_every_rpc_is_in_the_matrix() -> None:
    assert set(SERVICE.methods_by_name) == set(GRPC_MATRIX)


@pytest.mark.parametrize("name", sorted(GRPC_MATRIX))
async def test_grpc_rpc(name: str, run_case) -> None:
    await run_case("gRPC", f"{SERVICE.name}.{name}", GRPC_MATRIX[name])
