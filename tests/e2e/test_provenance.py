"""Provenance: every memory keeps the ids of the messages it came from (REST and gRPC, infer=false and
infer=true), a manual update keeps them, and history keeps the ids of the messages of each change."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.conftest import Stack


def _user() -> str:
    return f"prov-{uuid.uuid4().hex[:8]}"


async def _add(client: httpx.AsyncClient, user: str, messages: list[dict[str, Any]], infer: bool) -> dict[str, Any]:
    response = await client.post(
        "/v3/memories/add/", json={"messages": messages, "user_id": user, "infer": infer, "async_mode": False}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _get(client: httpx.AsyncClient, memory_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/memories/{memory_id}/")
    assert response.status_code == 200, response.text
    return response.json()


async def test_verbatim_memories_name_their_own_message(client: httpx.AsyncClient) -> None:
    user = _user()
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "I keep bees on the roof"},
        {"role": "assistant", "content": "Bees are great", "id": "msg-from-client"},
    ]
    added = await _add(client, user, messages, infer=False)
    event_id = added["event_id"]
    sources = {
        change["memory"]: (await _get(client, change["id"]))["source_message_ids"] for change in added["results"]
    }
    # Derived ids are "<event_id>:<index in the add's messages>" (the system message counts, stores nothing).
    assert sources == {"I keep bees on the roof": [f"{event_id}:1"], "Bees are great": ["msg-from-client"]}
    listed = await client.post("/v3/memories/", json={"filters": {"user_id": user}})
    assert sorted(tuple(m["source_message_ids"]) for m in listed.json()["results"]) == sorted(
        tuple(s) for s in sources.values()
    )
    found = await client.post("/v3/memories/search/", json={"query": "bees", "filters": {"user_id": user}})
    assert all(hit["source_message_ids"] for hit in found.json()["results"])


async def test_a_verbatim_memorys_history_holds_its_own_message_only(client: httpx.AsyncClient) -> None:
    """History `input` is the messages a memory came from: one per memory of a verbatim add (it used to copy the
    whole add into every row: 100 messages x 100 rows for an add of 100)."""
    user = _user()
    texts = ["Grows tomatoes", "Rides a tandem", "Collects stamps"]
    added = await _add(client, user, [{"role": "user", "content": text} for text in texts], infer=False)
    for change in added["results"]:
        history = (await client.get(f"/v1/memories/{change['id']}/history/")).json()
        assert [entry["event"] for entry in history] == ["ADD"]
        assert [item["content"] for item in history[0]["input"]] == [change["memory"]]


async def test_inferred_memories_name_the_messages_of_their_add(client: httpx.AsyncClient) -> None:
    user = _user()
    messages = [
        {"role": "user", "content": "Hi there!"},
        {"role": "user", "content": "I am allergic to peanuts.", "id": "m-allergy"},
    ]
    added = await _add(client, user, messages, infer=True)
    assert added["results"], added
    for change in added["results"]:
        memory = await _get(client, change["id"])
        assert memory["source_message_ids"] == [f"{added['event_id']}:0", "m-allergy"]


async def test_manual_update_keeps_provenance_and_history_keeps_message_ids(client: httpx.AsyncClient) -> None:
    user = _user()
    added = await _add(client, user, [{"role": "user", "content": "Owns a blue bike", "id": "m-bike"}], infer=False)
    memory_id = added["results"][0]["id"]
    response = await client.put(f"/v1/memories/{memory_id}/", json={"text": "Owns a red bike"})
    assert response.status_code == 200, response.text
    memory = await _get(client, memory_id)
    assert memory["memory"] == "Owns a red bike"
    assert memory["source_message_ids"] == ["m-bike"]
    history = (await client.get(f"/v1/memories/{memory_id}/history/")).json()
    assert history[0]["event"] == "ADD"
    assert history[0]["input"] == [{"role": "user", "content": "Owns a blue bike"}]
    assert history[0]["source_message_ids"] == ["m-bike"]
    assert history[1]["event"] == "UPDATE" and history[1]["source_message_ids"] == []  # a manual update


async def test_too_long_message_id_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v3/memories/add/",
        json={"messages": [{"role": "user", "content": "x", "id": "i" * 256}], "user_id": _user(), "infer": False},
    )
    assert response.status_code == 400
    assert "messages[0].id" in response.text


@pytest.fixture
async def stub(stack: Stack) -> AsyncIterator[pb2_grpc.MemoryServiceStub]:
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        yield pb2_grpc.MemoryServiceStub(channel)


@pytest.mark.parametrize("infer", [False, True])
async def test_grpc_memories_carry_source_message_ids(
    stack: Stack, stub: pb2_grpc.MemoryServiceStub, infer: bool
) -> None:
    auth = [("authorization", f"Token {stack.key_a}")]
    user = _user()
    added = await stub.AddMemories(
        pb2.AddMemoriesRequest(
            messages=[
                common_pb2.Message(role=common_pb2.ROLE_USER, content="I am allergic to shellfish."),
                common_pb2.Message(role=common_pb2.ROLE_USER, content="I live in Lisbon.", id="g-1"),
            ],
            scope=common_pb2.Scope(user_id=user),
            infer=infer,
        ),
        metadata=auth,
    )
    assert added.results
    for change in added.results:
        memory = (await stub.GetMemory(pb2.GetMemoryRequest(memory_id=change.id), metadata=auth)).memory
        if infer:
            assert list(memory.source_message_ids) == [f"{added.event_id}:0", "g-1"]
        else:
            expected = f"{added.event_id}:0" if "shellfish" in memory.memory else "g-1"
            assert list(memory.source_message_ids) == [expected]
