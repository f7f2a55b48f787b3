"""Project settings, entities, feedback, immutability and all-or-nothing batches over REST and gRPC."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.conftest import Stack

PROJECT_B = "/api/v1/orgs/organizations/acme/projects/app2/"


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def client_b(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """Project B's key: these tests change project settings, so they keep them away from project A."""
    async with httpx.AsyncClient(
        base_url=stack.rest_url, headers={"Authorization": f"Token {stack.key_b}"}, timeout=60
    ) as http:
        yield http


async def _add(http: httpx.AsyncClient, text: str, user: str, **extra: object) -> str:
    response = await http.post("/v1/memories/", json={"messages": text, "user_id": user, "infer": False, **extra})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["id"]


async def test_project_settings_round_trip_and_drive_categories(client_b: httpx.AsyncClient) -> None:
    before = await client_b.get(PROJECT_B, params=[("fields", "custom_instructions"), ("fields", "custom_categories")])
    assert before.status_code == 200 and set(before.json()) == {"custom_instructions", "custom_categories"}
    patched = await client_b.patch(
        PROJECT_B,
        json={
            "custom_categories": [{"pets": "cats, dogs and other animals"}],
            "custom_instructions": "Remember pets.",
            "multilingual": True,
            "org_id": "acme",
            "project_id": "app2",
        },
    )
    assert patched.status_code == 200, patched.text
    project = (await client_b.get(PROJECT_B)).json()
    assert project["custom_categories"] == [{"pets": "cats, dogs and other animals"}]
    assert project["custom_instructions"] == "Remember pets." and project["multilingual"] is True
    user = _user()
    added = (
        await client_b.post(
            "/v3/memories/add/", json={"async_mode": False, "messages": "I have two cats.", "user_id": user}
        )
    ).json()
    memory = (await client_b.get(f"/v1/memories/{added['results'][0]['id']}/")).json()
    assert memory["categories"] == ["pets"]
    by_category = (
        await client_b.post("/v3/memories/", json={"filters": {"user_id": user}, "categories": ["pets"]})
    ).json()
    assert by_category["count"] == 1
    reset = await client_b.patch(PROJECT_B, json={"custom_categories": [], "custom_instructions": ""})
    assert reset.status_code == 200
    assert (await client_b.get(PROJECT_B)).json()["custom_categories"] == []


async def test_other_projects_settings_are_404(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.rest_url, headers={"Authorization": f"Token {stack.key_a}"}) as http:
        assert (await http.get(PROJECT_B)).status_code == 404
        assert (await http.patch(PROJECT_B, json={"custom_instructions": "x"})).status_code == 404


async def test_create_entities_and_list_them(client_b: httpx.AsyncClient) -> None:
    name = _user()
    created = await client_b.post("/v1/users/", json={"user_id": name, "metadata": {"plan": "pro"}})
    assert created.status_code == 200 and created.json()["type"] == "user"
    assert created.json()["metadata"] == {"plan": "pro"} and created.json()["total_memories"] == 0
    agent = await client_b.post("/v1/agents/", json={"name": f"agent-{name}"})
    assert agent.json()["type"] == "agent"
    missing = await client_b.post("/v1/runs/", json={})
    assert missing.status_code == 400 and "run_id" in missing.json()["detail"]
    names = {e["name"] for e in (await client_b.get("/v1/entities/", params={"page_size": 1000})).json()["results"]}
    assert {name, f"agent-{name}"} <= names


async def test_feedback_is_stored_and_validated(client_b: httpx.AsyncClient) -> None:
    memory_id = await _add(client_b, "I cycle to work.", _user())
    stored = await client_b.post(
        "/v1/feedback/", json={"memory_id": memory_id, "feedback": "positive", "feedback_reason": "accurate"}
    )
    assert stored.status_code == 200
    assert stored.json()["feedback"] == "POSITIVE" and stored.json()["feedback_reason"] == "accurate"
    cleared = await client_b.post("/v1/feedback/", json={"memory_id": memory_id, "feedback": None})
    assert cleared.status_code == 200 and cleared.json()["feedback"] is None
    bad = await client_b.post("/v1/feedback/", json={"memory_id": memory_id, "feedback": "MEH"})
    assert bad.status_code == 400 and "feedback" in bad.json()["detail"]
    unknown = await client_b.post("/v1/feedback/", json={"memory_id": str(uuid.uuid4()), "feedback": "NEGATIVE"})
    assert unknown.status_code == 404


async def test_immutable_memories_refuse_updates(client_b: httpx.AsyncClient) -> None:
    memory_id = await _add(client_b, "My blood type is O negative.", _user(), immutable=True)
    refused = await client_b.put(f"/v1/memories/{memory_id}/", json={"text": "My blood type is A."})
    assert refused.status_code == 400 and "immutable" in refused.json()["detail"]
    batch = await client_b.put("/v1/batch/", json={"memories": [{"memory_id": memory_id, "text": "x"}]})
    assert batch.status_code == 400
    assert (await client_b.get(f"/v1/memories/{memory_id}/")).json()["memory"] == "My blood type is O negative."


async def test_batches_are_all_or_nothing(client_b: httpx.AsyncClient) -> None:
    user = _user()
    kept = await _add(client_b, "I water the plants on Sundays.", user)
    ghost = str(uuid.uuid4())
    update = await client_b.put(
        "/v1/batch/", json={"memories": [{"memory_id": kept, "text": "changed"}, {"memory_id": ghost, "text": "x"}]}
    )
    assert update.status_code == 404 and ghost in update.json()["detail"]
    delete = await client_b.request(
        "DELETE", "/v1/batch/", json={"memories": [{"memory_id": kept}, {"memory_id": ghost}]}
    )
    assert delete.status_code == 404
    assert (await client_b.get(f"/v1/memories/{kept}/")).json()["memory"] == "I water the plants on Sundays."
    too_many = await client_b.request("DELETE", "/v1/batch/", json={"memories": [{"memory_id": kept}] * 1001})
    assert too_many.status_code == 400 and "1000" in too_many.json()["detail"]


async def test_get_all_by_keywords(client_b: httpx.AsyncClient) -> None:
    user = _user()
    await _add(client_b, "I play Chess on Tuesdays.", user)
    await _add(client_b, "I bake bread.", user)
    found = (await client_b.post("/v3/memories/", json={"filters": {"user_id": user}, "keywords": "chess"})).json()
    assert [m["memory"] for m in found["results"]] == ["I play Chess on Tuesdays."]


async def test_project_entity_and_feedback_over_grpc(stack: Stack) -> None:
    auth = [("authorization", f"Token {stack.key_b}")]
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        updated = await stub.UpdateProject(
            pb2.UpdateProjectRequest(name="Project B", description="second project"), metadata=auth
        )
        assert updated.project.name == "Project B" and updated.project.project_id == "app2"
        got = await stub.GetProject(pb2.GetProjectRequest(), metadata=auth)
        assert got.project.description == "second project"
        name = _user()
        entity = await stub.CreateEntity(
            pb2.CreateEntityRequest(type=common_pb2.ENTITY_TYPE_APP, name=name), metadata=auth
        )
        assert entity.entity.name == name and entity.entity.type == common_pb2.ENTITY_TYPE_APP
        added = await stub.AddMemories(
            pb2.AddMemoriesRequest(
                messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I knit scarves.")],
                scope=common_pb2.Scope(user_id=name),
                infer=False,
            ),
            metadata=auth,
        )
        feedback = await stub.SubmitFeedback(
            pb2.SubmitFeedbackRequest(memory_id=added.results[0].id, feedback=pb2.FEEDBACK_VERY_NEGATIVE),
            metadata=auth,
        )
        assert feedback.feedback == pb2.FEEDBACK_VERY_NEGATIVE and feedback.id
