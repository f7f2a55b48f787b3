"""add(infer=false) with `categories` (a memgrid extension, what `memgrid import` restores an export with), over
REST and gRPC: stored as given, refused with infer=true or when malformed."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.conftest import Stack


async def test_rest_add_verbatim_keeps_the_given_categories(client: httpx.AsyncClient) -> None:
    user = f"cat-{uuid.uuid4().hex[:8]}"
    body = {
        "messages": "Mira plays the oud",
        "user_id": user,
        "infer": False,
        "categories": ["music", "hobbies"],
        "async_mode": False,
    }
    added = await client.post("/v3/memories/add/", json=body)
    assert added.status_code == 200, added.text
    memory = (await client.get(f"/v1/memories/{added.json()['results'][0]['id']}/")).json()
    assert memory["categories"] == ["music", "hobbies"]
    listed = await client.post(
        "/v3/memories/", json={"filters": {"AND": [{"user_id": user}, {"categories": {"in": ["music"]}}]}}
    )
    assert [m["memory"] for m in listed.json()["results"]] == ["Mira plays the oud"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"infer": True, "categories": ["music"]}, "only with infer=false"),
        ({"infer": False, "categories": [" "]}, "categories[0]"),
        ({"infer": False, "categories": ["x" * 201]}, "categories[0]"),
        ({"infer": False, "categories": [str(n) for n in range(101)]}, "at most 100"),
    ],
)
async def test_rest_add_refuses_categories_it_cannot_keep(client: httpx.AsyncClient, extra: dict, message: str) -> None:
    response = await client.post("/v3/memories/add/", json={"messages": "Mira sings", "user_id": "cat-bad", **extra})
    assert response.status_code == 400
    assert message in response.json()["detail"]


async def test_grpc_add_verbatim_keeps_the_given_categories(stack: Stack) -> None:
    auth = [("authorization", f"Token {stack.key_a}")]
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        request = pb2.AddMemoriesRequest(
            messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="Mira bakes sourdough")],
            scope=common_pb2.Scope(user_id=f"cat-{uuid.uuid4().hex[:8]}"),
            infer=False,
            categories=["food"],
        )
        added = await stub.AddMemories(request, metadata=auth)
        got = await stub.GetMemory(pb2.GetMemoryRequest(memory_id=added.results[0].id), metadata=auth)
        assert list(got.memory.categories) == ["food"]
        request.infer = True
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.AddMemories(request, metadata=auth)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "categories" in (refused.value.details() or "")
