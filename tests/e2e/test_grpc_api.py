"""The public gRPC MemoryService through the generated stubs, plus health and reflection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.conftest import Stack


@pytest.fixture
async def channel(stack: Stack) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(stack.grpc_target) as opened:
        yield opened


def _auth(key: str) -> list[tuple[str, str]]:
    return [("authorization", f"Token {key}")]


def _user_filter(user: str) -> common_pb2.Filter:
    return common_pb2.Filter(
        condition=common_pb2.FieldCondition(
            field="user_id", op=common_pb2.FILTER_OPERATOR_EQ, value=struct_pb2.Value(string_value=user)
        )
    )


async def test_every_service_reports_serving(stack: Stack) -> None:
    for target in (stack.grpc_target, stack.metadata_target, stack.vectorsearch_target, stack.extraction_target):
        async with grpc.aio.insecure_channel(target) as opened:
            response = await health_pb2_grpc.HealthStub(opened).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_memory_service(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def requests() -> AsyncIterator[reflection_pb2.ServerReflectionRequest]:
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names = []
    async for response in stub.ServerReflectionInfo(requests()):
        names = [service.name for service in response.list_services_response.service]
    assert "memgrid.memory.v1.MemoryService" in names


async def test_core_flow_over_grpc(stack: Stack, channel: grpc.aio.Channel) -> None:
    stub = pb2_grpc.MemoryServiceStub(channel)
    user = f"grpc-{uuid.uuid4().hex[:8]}"
    auth = _auth(stack.key_a)
    ping = await stub.Ping(pb2.PingRequest(), metadata=auth)
    assert (ping.status, ping.org_id, ping.project_id) == ("ok", "acme", "app1")
    added = await stub.AddMemories(
        pb2.AddMemoriesRequest(
            messages=[
                common_pb2.Message(role=common_pb2.ROLE_USER, content="I'm a vegetarian and I'm allergic to nuts.")
            ],
            scope=common_pb2.Scope(user_id=user),
        ),
        metadata=auth,
    )
    assert added.status == common_pb2.EVENT_STATUS_SUCCEEDED
    assert {r.event for r in added.results} == {common_pb2.MEMORY_EVENT_ADD} and len(added.results) == 2
    found = await stub.SearchMemories(
        pb2.SearchMemoriesRequest(query="food restrictions", filter=_user_filter(user), top_k=5), metadata=auth
    )
    assert {hit.memory.id for hit in found.results} == {r.id for r in added.results}
    listed = await stub.ListMemories(pb2.ListMemoriesRequest(filter=_user_filter(user), page_size=1), metadata=auth)
    assert listed.total_count == 2 and len(listed.memories) == 1
    memory_id = added.results[0].id
    updated = await stub.UpdateMemory(pb2.UpdateMemoryRequest(memory_id=memory_id, text="Is a vegan"), metadata=auth)
    assert updated.memory.memory == "Is a vegan"
    history = await stub.GetMemoryHistory(pb2.GetMemoryHistoryRequest(memory_id=memory_id), metadata=auth)
    assert [e.event for e in history.entries] == [common_pb2.MEMORY_EVENT_ADD, common_pb2.MEMORY_EVENT_UPDATE]
    await stub.DeleteMemory(pb2.DeleteMemoryRequest(memory_id=memory_id), metadata=auth)
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetMemory(pb2.GetMemoryRequest(memory_id=memory_id), metadata=auth)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    event = await stub.GetEvent(pb2.GetEventRequest(event_id=added.event_id), metadata=auth)
    assert event.event.status == common_pb2.EVENT_STATUS_SUCCEEDED
    deleted = await stub.DeleteAllMemories(pb2.DeleteAllMemoriesRequest(filter=_user_filter(user)), metadata=auth)
    assert deleted.deleted_count == 1


async def test_grpc_errors_carry_codes(stack: Stack, channel: grpc.aio.Channel) -> None:
    stub = pb2_grpc.MemoryServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as unauthenticated:
        await stub.Ping(pb2.PingRequest(), metadata=_auth("wrong"))
    assert unauthenticated.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as no_key:
        await stub.Ping(pb2.PingRequest())
    assert no_key.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as bad_top_k:
        await stub.SearchMemories(
            pb2.SearchMemoriesRequest(query="x", filter=_user_filter("u"), top_k=5000), metadata=_auth(stack.key_a)
        )
    assert bad_top_k.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "top_k" in bad_top_k.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as no_messages:
        await stub.AddMemories(pb2.AddMemoriesRequest(scope=common_pb2.Scope(user_id="u")), metadata=_auth(stack.key_a))
    assert no_messages.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "messages" in no_messages.value.details()


async def test_search_is_hybrid_unless_keyword_search_is_false(stack: Stack, channel: grpc.aio.Channel) -> None:
    stub = pb2_grpc.MemoryServiceStub(channel)
    user, auth = f"grpc-hybrid-{uuid.uuid4().hex[:8]}", _auth(stack.key_a)
    texts = [
        "Loves tangerines and oranges, eats citrus every morning",
        "The wifi password at the cabin is tangerine42",
        "Grows lemons and limes in the garden",
        "Drinks fresh orange juice with breakfast",
        "Went to a citrus festival in Valencia",
    ]
    for text in texts:
        await stub.AddMemories(
            pb2.AddMemoriesRequest(
                messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content=text)],
                scope=common_pb2.Scope(user_id=user),
                infer=False,
            ),
            metadata=auth,
        )

    async def top(**options: bool) -> str:
        request = pb2.SearchMemoriesRequest(query="tangerine42", filter=_user_filter(user), top_k=1, **options)
        response = await stub.SearchMemories(request, metadata=auth)
        assert all(0.0 <= hit.score <= 1.0 for hit in response.results)
        return response.results[0].memory.memory

    assert await top() == texts[1]
    assert await top(keyword_search=True) == texts[1]
    assert await top(keyword_search=False) != texts[1]  # dense only: the embedding lands on the fruit
