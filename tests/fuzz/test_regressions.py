"""One test per server error the fuzzers found (each was a 500 / INTERNAL before its fix)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from libs.rpc.status import from_rpc_error
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from memgrid.metadata.v1 import metadata_service_pb2 as md_pb2
from memgrid.metadata.v1 import metadata_service_pb2_grpc as md_grpc
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as vs_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2_grpc as vs_grpc
from tests.fuzz.conftest import FUZZ_KEY
from tests.support.stack import InProcessStack

AUTH = [("authorization", f"Token {FUZZ_KEY}")]
TENANT = common_pb2.Tenant(org_id="fuzz-org", project_id="fuzzed")


@pytest.fixture(scope="module")
async def rest(fuzz_stack: InProcessStack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Token {FUZZ_KEY}"}
    async with httpx.AsyncClient(base_url=fuzz_stack.rest_url, headers=headers, timeout=60) as client:
        yield client


async def _rpc_error(call: object, request: object, metadata: list | None = None) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(request, metadata=metadata or [], timeout=30)  # type: ignore[operator]
    return raised.value


def _assert_invalid(error: grpc.aio.AioRpcError, field: str) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert from_rpc_error(error).field == field, error.details()


# --- REST ------------------------------------------------------------------------------------


async def test_page_number_beyond_int32(rest: httpx.AsyncClient) -> None:
    """GET /v1/events/?page=403670458470944538624 overflowed the int32 of the internal request."""
    response = await rest.get("/v1/events/", params={"page": "403670458470944538624"})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "page"


@pytest.mark.parametrize("value", [1e20, -1e20, {"gt": 1e20}])
async def test_date_filter_with_unix_time_out_of_range(rest: httpx.AsyncClient, value: object) -> None:
    """`created_at` given as unix seconds beyond year 9999 raised OverflowError."""
    response = await rest.post(
        "/v2/memories/search/", json={"query": "tea", "filters": {"user_id": "alice", "created_at": value}}
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"].startswith("filters.created_at")


@pytest.mark.parametrize("value", [10**30, 1e308, -(2**64)])
async def test_metadata_filter_number_beyond_int64(rest: httpx.AsyncClient, value: float) -> None:
    """Whole numbers beyond int64 reached SQLite (OverflowError); 1e308 became such an int on the way."""
    response = await rest.post("/v2/memories/", json={"filters": {"user_id": "alice", "metadata": {"k": value}}})
    if isinstance(value, int):
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "filters.metadata.k"
    else:
        # A large float is a fine number to compare with: no match, no error.
        assert response.status_code == 200, response.text
        assert response.json() == []


async def test_every_400_names_a_field(rest: httpx.AsyncClient) -> None:
    """Pydantic's and FastAPI's own 400s had a `detail` but no `field`."""
    not_json = await rest.post("/v1/memories/search/", content=b"{nope", headers={"content-type": "application/json"})
    wrong_type = await rest.post("/v1/users/", json={"name": 5})
    for response, field in ((not_json, "body"), (wrong_type, "name")):
        assert response.status_code == 400, response.text
        assert response.json()["field"] == field
        assert response.json()["detail"].startswith(f"{field}:")


async def test_unfinished_endpoints_answer_501_but_are_not_in_the_document(rest: httpx.AsyncClient) -> None:
    """The 501 stubs were in /openapi.json, so the document promised operations that always fail."""
    document = (await rest.get("/openapi.json")).json()
    assert "/v2/profiles/jobs/" not in document["paths"]
    assert document["components"]["securitySchemes"]["Token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <API key>` (Mem0's scheme; `Bearer <API key>` works too)",
    }
    response = await rest.post("/v2/profiles/jobs/", json={})
    assert response.status_code == 501
    assert response.json()["detail"]


# --- gRPC ------------------------------------------------------------------------------------


def _nested_filter_bytes(levels: int) -> bytes:
    """ListMemoriesRequest bytes whose filter nests `levels` all-groups (2 messages a level), built by hand: past
    protobuf's decoder depth limit, where no message object can be built."""

    def field_1(payload: bytes) -> bytes:
        length, size = bytearray(), len(payload)
        while True:
            byte, size = size & 0x7F, size >> 7
            length.append(byte | 0x80 if size else byte)
            if not size:
                return b"\x0a" + bytes(length) + payload

    node = common_pb2.Filter(
        condition=common_pb2.FieldCondition(
            field="user_id", op=common_pb2.FILTER_OPERATOR_EQ, value=struct_pb2.Value(string_value="alice")
        )
    ).SerializeToString()
    for _ in range(levels):
        node = field_1(field_1(node))  # Filter.all (1) → FilterGroup.filters (1)
    return field_1(node)  # ListMemoriesRequest.filter (1)


@pytest.mark.parametrize("payload", [_nested_filter_bytes(60), b"\xff\xff\xff"], ids=["too-deep", "garbage"])
@pytest.mark.parametrize("service", ["public", "metadata"])
async def test_request_bytes_that_do_not_parse(fuzz_stack: InProcessStack, payload: bytes, service: str) -> None:
    """grpc answered UNKNOWN ("Unexpected DecodeError ...") when a request's bytes did not parse."""
    target, method, metadata = {
        "public": (fuzz_stack.grpc_target, "/memgrid.memory.v1.MemoryService/ListMemories", AUTH),
        "metadata": (fuzz_stack.metadata_target, "/memgrid.metadata.v1.MetadataService/ListMemories", []),
    }[service]
    async with grpc.aio.insecure_channel(target) as channel:
        call = channel.unary_unary(method, request_serializer=bytes, response_deserializer=bytes)
        error = await _rpc_error(call, payload, metadata)
    _assert_invalid(error, "request")
    assert "not a valid message" in (error.details() or "")


async def test_feedback_with_unknown_enum_value(fuzz_stack: InProcessStack) -> None:
    """Feedback.Name(42) raised ValueError."""
    async with grpc.aio.insecure_channel(fuzz_stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        error = await _rpc_error(stub.SubmitFeedback, pb2.SubmitFeedbackRequest(memory_id="m", feedback=42), AUTH)
    _assert_invalid(error, "feedback")


async def test_add_with_unix_time_out_of_range(fuzz_stack: InProcessStack) -> None:
    """datetime.fromtimestamp(2**62) raised OverflowError (found while fixing the Timestamp case)."""
    request = pb2.AddMemoriesRequest(
        messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I like tea")],
        scope=common_pb2.Scope(user_id="alice"),
        infer=False,
        timestamp=2**62,
    )
    async with grpc.aio.insecure_channel(fuzz_stack.grpc_target) as channel:
        error = await _rpc_error(pb2_grpc.MemoryServiceStub(channel).AddMemories, request, AUTH)
    _assert_invalid(error, "timestamp")


async def test_filter_group_with_an_empty_member(fuzz_stack: InProcessStack) -> None:
    """An empty Filter inside all/any/none became a None child of the AST."""
    empty_member = common_pb2.Filter(all=common_pb2.FilterGroup(filters=[common_pb2.Filter()]))
    async with grpc.aio.insecure_channel(fuzz_stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        error = await _rpc_error(stub.ListMemories, pb2.ListMemoriesRequest(filter=empty_member), AUTH)
    _assert_invalid(error, "filter")


async def test_filter_value_not_finite(fuzz_stack: InProcessStack) -> None:
    condition = common_pb2.FieldCondition(
        field="metadata.k", op=common_pb2.FILTER_OPERATOR_GT, value=struct_pb2.Value(number_value=math.nan)
    )
    async with grpc.aio.insecure_channel(fuzz_stack.grpc_target) as channel:
        stub = pb2_grpc.MemoryServiceStub(channel)
        request = pb2.ListMemoriesRequest(filter=common_pb2.Filter(condition=condition))
        error = await _rpc_error(stub.ListMemories, request, AUTH)
    _assert_invalid(error, "filter")


@pytest.mark.parametrize(
    "stamp",
    [timestamp_pb2.Timestamp(seconds=1, nanos=-30708), timestamp_pb2.Timestamp(seconds=2**40)],
    ids=["negative-nanos", "beyond-year-9999"],
)
async def test_internal_writes_with_invalid_timestamp(fuzz_stack: InProcessStack, stamp: object) -> None:
    """Timestamp.ToDatetime raised ValueError in MetadataService.CreateMemories and
    VectorSearchService.UpsertVectors."""
    memory = md_pb2.NewMemory(
        id="ts-regression", text="a fact", scope=common_pb2.Scope(user_id="alice"), created_at=stamp
    )
    vector = vs_pb2.VectorItem(
        memory_id="ts-regression", text="a fact", scope=common_pb2.Scope(user_id="alice"), created_at=stamp
    )
    async with grpc.aio.insecure_channel(fuzz_stack.metadata_target) as channel:
        error = await _rpc_error(
            md_grpc.MetadataServiceStub(channel).CreateMemories,
            md_pb2.CreateMemoriesRequest(tenant=TENANT, memories=[memory]),
        )
    _assert_invalid(error, "memories[0].created_at")
    async with grpc.aio.insecure_channel(fuzz_stack.vectorsearch_target) as channel:
        error = await _rpc_error(
            vs_grpc.VectorSearchServiceStub(channel).UpsertVectors,
            vs_pb2.UpsertVectorsRequest(tenant=TENANT, items=[vector]),
        )
    _assert_invalid(error, "created_at")


@pytest.mark.parametrize("age", [7e206, math.inf, math.nan, -1.0])
async def test_pending_vector_syncs_with_an_age_out_of_range(fuzz_stack: InProcessStack, age: float) -> None:
    """ListPendingVectorSyncs(min_age_seconds=7e206) overflowed timedelta (INTERNAL)."""
    async with grpc.aio.insecure_channel(fuzz_stack.metadata_target) as channel:
        error = await _rpc_error(
            md_grpc.MetadataServiceStub(channel).ListPendingVectorSyncs,
            md_pb2.ListPendingVectorSyncsRequest(min_age_seconds=age, limit=10),
        )
    _assert_invalid(error, "min_age_seconds")


@pytest.mark.parametrize(
    "version",
    [timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp(seconds=2**40)],
    ids=["the-epoch", "beyond-year-9999"],
)
async def test_vector_sync_acknowledgement_with_a_version_out_of_range(
    fuzz_stack: InProcessStack, version: object
) -> None:
    """AckVectorSyncs with a version set to the epoch itself (seconds 0, nanos 0) failed an assertion (INTERNAL)."""
    sync = md_pb2.VectorSync(tenant=TENANT, memory_id="\x80ack-regression", version=version)
    async with grpc.aio.insecure_channel(fuzz_stack.metadata_target) as channel:
        error = await _rpc_error(
            md_grpc.MetadataServiceStub(channel).AckVectorSyncs, md_pb2.AckVectorSyncsRequest(syncs=[sync])
        )
    _assert_invalid(error, "syncs[0].version")


@pytest.mark.parametrize("lease", [1e300, math.inf, math.nan, 0.0])
async def test_webhook_claim_with_a_lease_out_of_range(fuzz_stack: InProcessStack, lease: float) -> None:
    """ClaimWebhookDeliveries checked only `lease_seconds > 0`: a huge lease would overflow `now + lease`."""
    async with grpc.aio.insecure_channel(fuzz_stack.metadata_target) as channel:
        error = await _rpc_error(
            md_grpc.MetadataServiceStub(channel).ClaimWebhookDeliveries,
            md_pb2.ClaimWebhookDeliveriesRequest(limit=10, lease_seconds=lease),
        )
    _assert_invalid(error, "lease_seconds")
