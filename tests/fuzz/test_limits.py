"""Every input limit at its boundary, over REST and gRPC: the limit is accepted, one more is rejected with
HTTP 400 / INVALID_ARGUMENT naming the field. The values come from the default InputLimits."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2

from gateway.limits import InputLimits
from libs.rpc.status import from_rpc_error
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.fuzz.conftest import FUZZ_KEY
from tests.support.stack import InProcessStack

LIMITS = InputLimits()
AUTH = [("authorization", f"Token {FUZZ_KEY}")]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one surface answered: an HTTP-like status, and the field a 400 named."""

    status: int
    field: str | None
    detail: str


@pytest.fixture(scope="module")
async def rest(fuzz_stack: InProcessStack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Token {FUZZ_KEY}"}
    async with httpx.AsyncClient(base_url=fuzz_stack.rest_url, headers=headers, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
async def stub(fuzz_stack: InProcessStack) -> AsyncIterator[pb2_grpc.MemoryServiceStub]:
    async with grpc.aio.insecure_channel(fuzz_stack.grpc_target) as channel:
        yield pb2_grpc.MemoryServiceStub(channel)


async def _rest(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Outcome:
    response = await client.request(method, path, **kwargs)
    body = response.json()
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    return Outcome(response.status_code, body.get("field") if isinstance(body, dict) else None, detail)


async def _grpc(call: Callable[..., Any], request: Any) -> Outcome:
    try:
        await call(request, metadata=AUTH, timeout=120)
    except grpc.aio.AioRpcError as error:
        typed = from_rpc_error(error)
        status = {grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.NOT_FOUND: 404}.get(error.code(), 500)
        return Outcome(status, typed.field, typed.message)
    return Outcome(200, None, "")


def _user() -> str:
    return f"limits-{uuid.uuid4().hex[:8]}"


def _nested_metadata(levels: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(levels):
        value = {"k": value}
    return value


def _nested_filter(levels: int, user: str) -> dict[str, Any]:
    clause: dict[str, Any] = {"user_id": user}
    for _ in range(levels):
        clause = {"AND": [clause]}
    return clause


def _nested_proto_filter(levels: int, user: str) -> common_pb2.Filter:
    node = common_pb2.Filter(
        condition=common_pb2.FieldCondition(
            field="user_id", op=common_pb2.FILTER_OPERATOR_EQ, value=struct_pb2.Value(string_value=user)
        )
    )
    for _ in range(levels):
        node = common_pb2.Filter(all=common_pb2.FilterGroup(filters=[node]))
    return node


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message


def _metadata_of_bytes(size: int) -> dict[str, str]:
    """A metadata object whose compact UTF-8 JSON is exactly `size` bytes."""
    data = {"k": "x" * (size - len('{"k":""}'))}
    assert len(json.dumps(data, separators=(",", ":")).encode()) == size
    return data


# Each case: (name, the field a rejection names, a builder of a REST call and of a gRPC call for `n`).
async def _add_rest(client: httpx.AsyncClient, messages: list[str], metadata: dict | None = None) -> Outcome:
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": text} for text in messages],
        "user_id": _user(),
        "infer": False,
    }
    if metadata is not None:
        body["metadata"] = metadata
    return await _rest(client, "POST", "/v1/memories/", json=body)


async def _add_grpc(stub: pb2_grpc.MemoryServiceStub, messages: list[str], metadata: dict | None = None) -> Outcome:
    request = pb2.AddMemoriesRequest(
        messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content=text) for text in messages],
        scope=common_pb2.Scope(user_id=_user()),
        infer=False,
    )
    if metadata is not None:
        request.metadata.CopyFrom(_struct(metadata))
    return await _grpc(stub.AddMemories, request)


CASES: dict[str, tuple[int, str, Callable[..., Any], Callable[..., Any]]] = {
    "message size": (
        LIMITS.max_text_chars,
        "messages[0].content",
        lambda c, n: _add_rest(c, ["x" * n]),
        lambda s, n: _add_grpc(s, ["x" * n]),
    ),
    "messages per add": (
        LIMITS.max_messages_per_add,
        "messages",
        lambda c, n: _add_rest(c, [f"fact {i}" for i in range(n)]),
        lambda s, n: _add_grpc(s, [f"fact {i}" for i in range(n)]),
    ),
    "metadata depth": (
        LIMITS.max_metadata_depth,
        "metadata",
        lambda c, n: _add_rest(c, ["a fact"], _nested_metadata(n)),
        lambda s, n: _add_grpc(s, ["a fact"], _nested_metadata(n)),
    ),
    "metadata size": (
        LIMITS.max_metadata_bytes,
        "metadata",
        lambda c, n: _add_rest(c, ["a fact"], _metadata_of_bytes(n)),
        lambda s, n: _add_grpc(s, ["a fact"], _metadata_of_bytes(n)),
    ),
    "search query size": (
        LIMITS.max_text_chars,
        "query",
        lambda c, n: _rest(c, "POST", "/v3/memories/search/", json={"query": "x" * n, "filters": {"user_id": "u"}}),
        lambda s, n: _grpc(
            s.SearchMemories, pb2.SearchMemoriesRequest(query="x" * n, filter=_nested_proto_filter(0, "u"))
        ),
    ),
    "top_k": (
        LIMITS.max_top_k,
        "top_k",
        lambda c, n: _rest(
            c, "POST", "/v3/memories/search/", json={"query": "tea", "top_k": n, "filters": {"user_id": "u"}}
        ),
        lambda s, n: _grpc(
            s.SearchMemories, pb2.SearchMemoriesRequest(query="tea", top_k=n, filter=_nested_proto_filter(0, "u"))
        ),
    ),
    "page_size": (
        LIMITS.max_page_size,
        "page_size",
        lambda c, n: _rest(c, "POST", f"/v3/memories/?page_size={n}", json={"filters": {"user_id": "u"}}),
        lambda s, n: _grpc(s.ListMemories, pb2.ListMemoriesRequest(page_size=n, filter=_nested_proto_filter(0, "u"))),
    ),
    "page": (
        LIMITS.max_page,
        "page",
        lambda c, n: _rest(c, "GET", f"/v1/events/?page={n}"),
        lambda s, n: _grpc(s.ListEvents, pb2.ListEventsRequest(page=n)),
    ),
    "batch size": (
        LIMITS.max_batch_items,
        "memories",
        lambda c, n: _rest(c, "DELETE", "/v1/batch/", json={"memories": [str(uuid.uuid4()) for _ in range(n)]}),
        lambda s, n: _grpc(
            s.BatchDeleteMemories, pb2.BatchDeleteMemoriesRequest(memory_ids=[str(uuid.uuid4()) for _ in range(n)])
        ),
    ),
    "filter depth": (
        LIMITS.max_filter_depth,
        "filter",
        lambda c, n: _rest(c, "POST", "/v3/memories/", json={"filters": _nested_filter(n, "u")}),
        lambda s, n: _grpc(s.ListMemories, pb2.ListMemoriesRequest(filter=_nested_proto_filter(n, "u"))),
    ),
}


def _accepted(outcome: Outcome) -> bool:
    """Past the limit: a success, or (batch of unknown ids) the not-found that comes after the check."""
    return outcome.status in (200, 404)


@pytest.mark.parametrize("surface", ["rest", "grpc"])
@pytest.mark.parametrize("name", list(CASES))
async def test_limit_boundary(
    name: str, surface: str, rest: httpx.AsyncClient, stub: pb2_grpc.MemoryServiceStub
) -> None:
    limit, field, via_rest, via_grpc = CASES[name]
    send = (lambda n: via_rest(rest, n)) if surface == "rest" else (lambda n: via_grpc(stub, n))

    at_limit = await send(limit)
    assert _accepted(at_limit), f"{name} = {limit} was refused: {at_limit}"

    over = await send(limit + 1)
    assert over.status == 400, over
    assert over.field is not None and over.field.startswith(field if surface == "grpc" else field.split(".")[0]), over
    assert str(limit) in over.detail, over


def test_limits_are_configured_by_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.settings import GatewaySettings

    monkeypatch.setenv("MEMGRID_LIMITS__MAX_TOP_K", "50")
    monkeypatch.setenv("MEMGRID_LIMITS__MAX_FILTER_DEPTH", "4")
    limits = GatewaySettings().limits
    assert (limits.max_top_k, limits.max_filter_depth) == (50, 4)
    assert limits.max_page_size == InputLimits().max_page_size
