"""Idempotency keys and duplicate-free concurrent adds, end to end over REST and gRPC on the real stack."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import httpx
import pytest

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.conftest import Stack


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def _memories(client: httpx.AsyncClient, user: str) -> list[dict]:
    response = await client.post("/v2/memories/", json={"filters": {"user_id": user}})
    assert response.status_code == 200, response.text
    return response.json()["results"] if isinstance(response.json(), dict) else response.json()


async def test_a_repeated_add_with_the_same_key_replays_and_writes_nothing(client: httpx.AsyncClient) -> None:
    user, key = _user(), uuid.uuid4().hex
    body = {"messages": [{"role": "user", "content": "I keep bees"}], "user_id": user, "infer": False}
    first = await client.post("/v1/memories/", json=body, headers={"Idempotency-Key": key})
    second = await client.post("/v1/memories/", json=body, headers={"Idempotency-Key": key})
    # The body field works the same way as the header.
    third = await client.post("/v1/memories/", json={**body, "request_id": key})
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.json() == second.json() == third.json()
    assert [m["memory"] for m in await _memories(client, user)] == ["I keep bees"]

    # Without a key the same add is a new request.
    assert (await client.post("/v1/memories/", json=body)).status_code == 200
    assert len(await _memories(client, user)) == 2


async def test_the_same_key_with_other_parameters_is_refused(client: httpx.AsyncClient) -> None:
    user, key = _user(), uuid.uuid4().hex
    body = {"messages": [{"role": "user", "content": "I keep bees"}], "user_id": user, "infer": False}
    assert (await client.post("/v1/memories/", json=body, headers={"Idempotency-Key": key})).status_code == 200
    other = await client.post(
        "/v1/memories/", json={**body, "messages": "I keep wasps"}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 400
    assert "request_id" in other.json()["detail"]
    conflicting = await client.post("/v1/memories/", json={**body, "request_id": "a"}, headers={"Idempotency-Key": "b"})
    assert conflicting.status_code == 400 and "request_id" in conflicting.json()["detail"]
    too_long = await client.post("/v1/memories/", json=body, headers={"Idempotency-Key": "k" * 256})
    assert too_long.status_code == 400 and "request_id" in too_long.json()["detail"]
    assert [m["memory"] for m in await _memories(client, user)] == ["I keep bees"]


async def test_keys_belong_to_one_project(stack: Stack, client: httpx.AsyncClient) -> None:
    user, key = _user(), uuid.uuid4().hex
    body = {"messages": "I keep bees", "user_id": user, "infer": False}
    mine = await client.post("/v1/memories/", json=body, headers={"Idempotency-Key": key})
    async with httpx.AsyncClient(
        base_url=stack.rest_url, headers={"Authorization": f"Token {stack.key_b}"}, timeout=60
    ) as other:
        theirs = await other.post("/v1/memories/", json=body, headers={"Idempotency-Key": key})
        assert len(await _memories(other, user)) == 1
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["results"][0]["id"] != theirs.json()["results"][0]["id"]


async def test_concurrent_requests_with_one_key_run_once(client: httpx.AsyncClient) -> None:
    user, key = _user(), uuid.uuid4().hex
    body = {"messages": "My sister is called Ana", "user_id": user, "infer": False, "async_mode": False}
    responses = await asyncio.gather(
        *(client.post("/v3/memories/add/", json=body, headers={"Idempotency-Key": key}) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["event_id"] for r in responses}) == 1
    assert len(await _memories(client, user)) == 1


async def test_a_failed_request_can_be_retried_with_its_key(client: httpx.AsyncClient) -> None:
    user, key = _user(), uuid.uuid4().hex
    missing = str(uuid.uuid4())
    failed = await client.request(
        "DELETE", "/v1/batch/", json={"memories": [{"memory_id": missing}]}, headers={"Idempotency-Key": key}
    )
    assert failed.status_code == 404
    added = await client.post("/v1/memories/", json={"messages": "hello there", "user_id": user, "infer": False})
    memory_id = added.json()["results"][0]["id"]
    # Same key, other parameters: the failed request released the key, so this one runs.
    retried = await client.request(
        "DELETE", "/v1/batch/", json={"memories": [{"memory_id": memory_id}]}, headers={"Idempotency-Key": key}
    )
    assert retried.status_code == 200, retried.text
    again = await client.request(
        "DELETE", "/v1/batch/", json={"memories": [{"memory_id": memory_id}]}, headers={"Idempotency-Key": key}
    )
    # Replayed: the memory is gone, yet the repeat answers as the first did instead of 404.
    assert again.status_code == 200 and again.json() == retried.json()


async def test_batch_update_with_a_key_applies_once(client: httpx.AsyncClient) -> None:
    user, key = _user(), uuid.uuid4().hex
    added = await client.post("/v1/memories/", json={"messages": "Likes jazz", "user_id": user, "infer": False})
    memory_id = added.json()["results"][0]["id"]
    body = {"memories": [{"memory_id": memory_id, "text": "Likes blues"}], "request_id": key}
    assert (await client.put("/v1/batch/", json=body)).status_code == 200
    await client.put(f"/v1/memories/{memory_id}/", json={"text": "Likes soul"})
    assert (await client.put("/v1/batch/", json=body)).status_code == 200
    history = (await client.get(f"/v1/memories/{memory_id}/history/")).json()
    assert [entry["new_memory"] for entry in history] == ["Likes jazz", "Likes blues", "Likes soul"]


async def test_concurrent_identical_inferred_adds_store_each_fact_once(client: httpx.AsyncClient) -> None:
    user = _user()
    body = {"messages": [{"role": "user", "content": "I am allergic to peanuts."}], "user_id": user}
    responses = await asyncio.gather(*(client.post("/v1/memories/", json=body) for _ in range(6)))
    assert {r.status_code for r in responses} == {200}
    memories = [m["memory"] for m in await _memories(client, user)]
    assert memories and len(memories) == len(set(memories)), memories
    assert sum(len(r.json()["results"]) for r in responses) == len(memories)


async def test_grpc_request_id_is_an_idempotency_key(stack: Stack) -> None:
    user, key = _user(), uuid.uuid4().hex
    auth = [("authorization", f"Token {stack.key_a}")]
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        request = pb2.AddMemoriesRequest(
            messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I sail on weekends")],
            scope=common_pb2.Scope(user_id=user),
            infer=False,
            request_id=key,
        )
        first = await stub.AddMemories(request, metadata=auth)
        second = await stub.AddMemories(request, metadata=auth)
        assert first == second and len(first.results) == 1
        ids = [first.results[0].id]
        deleted = [
            await stub.BatchDeleteMemories(
                pb2.BatchDeleteMemoriesRequest(memory_ids=ids, request_id=key + "d"), metadata=auth
            )
            for _ in range(2)
        ]
        assert deleted[0] == deleted[1] and deleted[0].deleted_count == 1
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.AddMemories(
                pb2.AddMemoriesRequest(**{**_fields(request), "request_id": "x" * 256}), metadata=auth
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "request_id" in (caught.value.details() or "")


def _fields(request: pb2.AddMemoriesRequest) -> dict:
    return {
        "messages": list(request.messages),
        "scope": request.scope,
        "infer": request.infer,
    }
