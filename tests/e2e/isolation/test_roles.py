"""Project members and roles: a READER key reads everything of its project and changes nothing (403 with a
detail on REST, PERMISSION_DENIED on gRPC); a key created for a member follows the member's current role.

The read/write split is written down here independently of the app, for every route and RPC the isolation
matrix knows, so a new route or RPC must be classified before the suite passes."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from libs.filters import parse_filters
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb
from tests.e2e.isolation.test_grpc_matrix import GRPC_MATRIX
from tests.e2e.isolation.test_rest_matrix import MEMBERS, REST_MATRIX
from tests.e2e.isolation.world import Victim, World, changed_parts

READ_ROUTES = {
    ("GET", "/v1/ping/"),
    ("POST", "/v1/memories/search/"),
    ("POST", "/v2/memories/search/"),
    ("POST", "/v3/memories/search/"),
    ("GET", "/v1/memories/"),
    ("POST", "/v2/memories/"),
    ("POST", "/v3/memories/"),
    ("GET", "/v1/memories/{memory_id}/"),
    ("GET", "/v1/memories/{memory_id}/history/"),
    ("GET", "/v1/entities/"),
    ("GET", "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/"),
    ("GET", MEMBERS),
    ("GET", "/v1/event/{event_id}/"),
    ("GET", "/v1/events/"),
    ("GET", "/api/v1/webhooks/projects/{project_id}/"),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries/"),
    ("POST", "/v1/exports/get/"),
    ("POST", "/v1/summary/"),
    ("GET", "/v1/stats/"),
}
# Routes memgrid does not serve yet (501 for every key): neither reads nor writes today.
NOT_SERVED = {
    ("GET", "/v2/entities/{entity_type}/{entity_id}/profile/"),
    ("POST", "/v2/profiles/jobs/"),
    ("GET", "/v2/profiles/jobs/{job_id}/"),
    ("GET", "/v2/profiles/settings/"),
    ("POST", "/v2/profiles/settings/"),
    ("POST", "/api/v1/orgs/organizations/{org_id}/projects/"),
    ("DELETE", "/api/v1/orgs/organizations/{org_id}/projects/{project_id}/"),
}
WRITE_ROUTES = set(REST_MATRIX) - READ_ROUTES - NOT_SERVED
READ_RPCS = {
    "Ping",
    "SearchMemories",
    "ListMemories",
    "GetMemory",
    "GetMemoryHistory",
    "ListEntities",
    "GetProject",
    "GetEvent",
    "ListEvents",
    "WatchEvent",
    "ListMembers",
    "ListWebhooks",
    "ListWebhookDeliveries",
    "GetExport",
}
WRITE_RPCS = set(GRPC_MATRIX) - READ_RPCS


@pytest.fixture(scope="module")
async def reader(world: World) -> str:
    return await world.create_key(world.attacker, role=common_pb2.MEMBER_ROLE_READER)


@pytest.fixture(scope="module")
async def seeded(world: World) -> dict[str, str]:
    """Path values that exist in the attacker's own project, so a READER's refusal is about the role."""
    memory_id = (await world.own_memories(1))[0]
    events = (await world.rest("GET", "/v1/events/")).json()["results"]
    body = {"name": "own", "url": "http://127.0.0.1:9/own", "event_types": ["memory_add"]}
    hook = (await world.rest("POST", f"/api/v1/webhooks/projects/{world.attacker.project_id}/", json_body=body)).json()
    export = (
        await world.rest("POST", "/v1/exports/", json_body={"schema": "", "filters": {"user_id": "alice"}})
    ).json()
    return {
        "export_id": export["id"],
        "org_id": world.attacker.org_id,
        "project_id": world.attacker.project_id,
        "memory_id": memory_id,
        "event_id": events[0]["id"],
        "entity_type": "user",
        "entity_id": "alice",
        "job_id": "job",
        "webhook_id": hook["webhook_id"],
    }


def test_every_route_and_rpc_is_classified() -> None:
    assert READ_ROUTES | NOT_SERVED <= set(REST_MATRIX)
    assert READ_RPCS <= set(GRPC_MATRIX)
    assert WRITE_ROUTES and WRITE_RPCS


@pytest.mark.parametrize(("method", "path"), sorted(WRITE_ROUTES), ids=[f"{m} {p}" for m, p in sorted(WRITE_ROUTES)])
async def test_reader_key_cannot_write_over_rest(
    method: str, path: str, world: World, reader: str, seeded: dict[str, str]
) -> None:
    own = Victim(world.attacker)
    before = await world.settled_snapshot(own)
    # A body an OWNER key could send (the role is checked before the body).
    body: dict[str, Any] = {
        "memories": [{"memory_id": seeded["memory_id"], "text": "x"}],
        "text": "x",
        "email": "a@b.co",
    }
    response = await world.rest(
        method, path.format(**seeded), json_body=body, params={"email": "a@b.co", "user_id": "alice"}, key=reader
    )
    assert response.status_code == 403, response.text
    assert "READER" in response.json()["detail"]
    assert changed_parts(before, await world.snapshot(own)) == []


@pytest.mark.parametrize(("method", "path"), sorted(READ_ROUTES), ids=[f"{m} {p}" for m, p in sorted(READ_ROUTES)])
async def test_reader_key_can_read_over_rest(
    method: str, path: str, world: World, reader: str, seeded: dict[str, str]
) -> None:
    body = {"query": "alice likes pizza", "filters": {"user_id": "alice"}} if method == "POST" else None
    params = {"user_id": "alice"} if path == "/v1/memories/" else None
    response = await world.rest(method, path.format(**seeded), json_body=body, params=params, key=reader)
    assert response.status_code == 200, response.text


def _write_request(name: str, memory_id: str, webhook_id: str) -> Any:
    """A request to each writing RPC that an OWNER key could make."""
    user = common_pb2.Scope(user_id="alice")
    user_message = common_pb2.Message(role=common_pb2.ROLE_USER, content="I like tea")
    requests = {
        "AddMemories": pb.AddMemoriesRequest(messages=[user_message], scope=user, infer=False),
        "UpdateMemory": pb.UpdateMemoryRequest(memory_id=memory_id, text="x"),
        "DeleteMemory": pb.DeleteMemoryRequest(memory_id=memory_id),
        "DeleteAllMemories": pb.DeleteAllMemoriesRequest(),
        "BatchUpdateMemories": pb.BatchUpdateMemoriesRequest(updates=[pb.MemoryUpdate(memory_id=memory_id, text="x")]),
        "BatchDeleteMemories": pb.BatchDeleteMemoriesRequest(memory_ids=[memory_id]),
        "CreateEntity": pb.CreateEntityRequest(type=common_pb2.ENTITY_TYPE_USER, name="alice"),
        "DeleteEntity": pb.DeleteEntityRequest(type=common_pb2.ENTITY_TYPE_USER, name="alice"),
        "ResetProject": pb.ResetProjectRequest(),
        "UpdateProject": pb.UpdateProjectRequest(custom_instructions="x"),
        "SubmitFeedback": pb.SubmitFeedbackRequest(memory_id=memory_id, feedback=pb.FEEDBACK_POSITIVE),
        "AddMember": pb.AddMemberRequest(email="a@b.co"),
        "UpdateMember": pb.UpdateMemberRequest(email="a@b.co", role=common_pb2.MEMBER_ROLE_OWNER),
        "RemoveMember": pb.RemoveMemberRequest(email="a@b.co"),
        "CreateWebhook": pb.CreateWebhookRequest(
            name="x", url="http://127.0.0.1:9/x", event_types=[common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD]
        ),
        "UpdateWebhook": pb.UpdateWebhookRequest(webhook_id=webhook_id, is_active=False),
        "DeleteWebhook": pb.DeleteWebhookRequest(webhook_id=webhook_id),
        "CreateExport": pb.CreateExportRequest(schema=""),
    }
    return requests[name]


@pytest.mark.parametrize("name", sorted(WRITE_RPCS))
async def test_reader_key_cannot_write_over_grpc(name: str, world: World, reader: str, seeded: dict[str, str]) -> None:
    own = Victim(world.attacker)
    before = await world.settled_snapshot(own)
    _, code = await world.rpc(name, _write_request(name, seeded["memory_id"], seeded["webhook_id"]), key=reader)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert changed_parts(before, await world.snapshot(own)) == []


@pytest.mark.parametrize("name", sorted(READ_RPCS))
async def test_reader_key_can_read_over_grpc(name: str, world: World, reader: str, seeded: dict[str, str]) -> None:
    memory_id, event_id = seeded["memory_id"], seeded["event_id"]
    requests = {
        "Ping": pb.PingRequest(),
        "SearchMemories": pb.SearchMemoriesRequest(
            query="alice likes pizza", filter=filter_to_proto(parse_filters({"user_id": "alice"}))
        ),
        "ListMemories": pb.ListMemoriesRequest(),
        "GetMemory": pb.GetMemoryRequest(memory_id=memory_id),
        "GetMemoryHistory": pb.GetMemoryHistoryRequest(memory_id=memory_id),
        "ListEntities": pb.ListEntitiesRequest(),
        "GetProject": pb.GetProjectRequest(),
        "GetEvent": pb.GetEventRequest(event_id=event_id),
        "ListEvents": pb.ListEventsRequest(),
        "WatchEvent": pb.WatchEventRequest(event_id=event_id),
        "ListMembers": pb.ListMembersRequest(),
        "ListWebhooks": pb.ListWebhooksRequest(),
        "ListWebhookDeliveries": pb.ListWebhookDeliveriesRequest(webhook_id=seeded["webhook_id"]),
        "GetExport": pb.GetExportRequest(export_id=seeded["export_id"]),
    }
    response, code = await world.rpc(name, requests[name], key=reader)
    assert code == grpc.StatusCode.OK
    if name == "Ping":
        assert response.role == common_pb2.MEMBER_ROLE_READER


async def test_owner_manages_members_over_rest(world: World) -> None:
    path = MEMBERS.format(org_id=world.attacker.org_id, project_id=world.attacker.project_id)
    email = f"Dana-{uuid.uuid4().hex[:6]}@Example.com"
    added = await world.rest("POST", path, json_body={"email": email})
    assert added.status_code == 200, added.text
    assert added.json()["member"]["role"] == "READER"  # Mem0's default role
    listed = (await world.rest("GET", path)).json()["members"]
    assert {"email": email.lower(), "username": email.lower(), "role": "READER"}.items() <= next(
        m for m in listed if m["email"] == email.lower()
    ).items()
    again = await world.rest("POST", path, json_body={"email": email, "role": "reader"})
    assert again.status_code == 409 and "already a member" in again.json()["detail"]
    promoted = await world.rest("PUT", path, json_body={"email": email, "role": "owner"})
    assert promoted.status_code == 200 and promoted.json()["member"]["role"] == "OWNER"
    removed = await world.rest("DELETE", path, params={"email": email})
    assert removed.status_code == 200 and removed.json()["message"]
    assert email.lower() not in {m["email"] for m in (await world.rest("GET", path)).json()["members"]}
    assert (await world.rest("DELETE", path, params={"email": email})).status_code == 404


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("POST", {"email": "not-an-address", "role": "READER"}, "email"),
        ("POST", {"email": "x@example.com", "role": "ADMIN"}, "role"),
        ("PUT", {"email": "x@example.com"}, "role"),
        ("POST", {"role": "READER"}, "email"),
    ],
)
async def test_bad_member_requests_are_400_naming_the_field(method: str, body: dict, field: str, world: World) -> None:
    path = MEMBERS.format(org_id=world.attacker.org_id, project_id=world.attacker.project_id)
    response = await world.rest(method, path, json_body=body)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(field)


async def test_member_key_follows_the_members_role(world: World) -> None:
    """A key created for a member has the member's current role, and dies with the membership."""
    path = MEMBERS.format(org_id=world.attacker.org_id, project_id=world.attacker.project_id)
    email = f"erin-{uuid.uuid4().hex[:6]}@example.com"
    assert (await world.rest("POST", path, json_body={"email": email, "role": "READER"})).status_code == 200
    key = await world.create_key(world.attacker, member_email=email)

    ping = (await world.rest("GET", "/v1/ping/", key=key)).json()
    assert (ping["role"], ping["user_email"]) == ("READER", email)
    refused = await world.rest("POST", "/v1/users/", json_body={"user_id": "alice"}, key=key)
    assert refused.status_code == 403

    # The gateway caches a verified key for a few seconds; the metadata service answers at once.
    assert (await world.rest("PUT", path, json_body={"email": email, "role": "OWNER"})).status_code == 200
    assert (await world.authenticate(key)).role == common_pb2.MEMBER_ROLE_OWNER
    assert (await world.rest("DELETE", path, params={"email": email})).status_code == 200
    with pytest.raises(Exception, match="invalid API key"):
        await world.authenticate(key)


async def test_key_for_an_unknown_member_is_refused(world: World) -> None:
    with pytest.raises(Exception, match="member_email"):
        await world.create_key(world.attacker, member_email="nobody@example.com")
    with pytest.raises(Exception, match="role"):
        await world.create_key(world.attacker, member_email="nobody@example.com", role=common_pb2.MEMBER_ROLE_OWNER)
