"""Filters through ListMemories / FindMemoryIds: every operator family, nesting, dates and errors."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb

from .helpers import expect_error, filter_of, new_memory

DAY = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
async def corpus(stub, tenant) -> dict[str, str]:
    """Five memories with distinct scope, categories, metadata and dates; returns name → id."""
    memories = {
        "pizza": new_memory(
            "I like Pizza",
            user_id="alex",
            agent_id="chef",
            categories=["food", "Hobby"],
            metadata={
                "kind": "food",
                "score": 5,
                "flag": True,
                "profile": {"city": "Paris", "age": 31},
                "tags": ["red", "Hot"],
            },
            created_at=DAY.replace(day=1),
            expiration_date="2030-01-01",
        ),
        "tea": new_memory(
            "drinks green tea",
            user_id="alex",
            categories=["drink"],
            metadata={"kind": "drink", "score": 2.5, "flag": False, "profile": {"city": "Berlin", "age": 40}},
            created_at=DAY.replace(day=2),
        ),
        "run": new_memory(
            "goes running",
            user_id="bob",
            run_id="r1",
            categories=["sport"],
            metadata={"score": "5", "profile": {"city": "paris"}},
            created_at=DAY.replace(day=3),
            expiration_date="2030-06-01",
        ),
        "bare": new_memory("no metadata at all", agent_id="chef", created_at=DAY.replace(day=4)),
        "nulls": new_memory(
            "has a null", app_id="web", metadata={"kind": None, "score": 0}, created_at=DAY.replace(day=5)
        ),
    }
    response = await call(
        stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=list(memories.values())))
    )
    return {name: memory.id for name, memory in zip(memories, response.memories, strict=True)}


async def names(stub, tenant, corpus, raw) -> set[str]:
    response = await call(
        stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, filter=filter_of(raw), show_expired=True))
    )
    ids = await call(
        stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant, filter=filter_of(raw), show_expired=True))
    )
    by_id = {memory_id: name for name, memory_id in corpus.items()}
    listed = {by_id[m.id] for m in response.memories}
    assert listed == {by_id[i] for i in ids.memory_ids}
    assert response.total_count == len(listed)
    return listed


CASES = [
    # scope ids
    ({"user_id": "alex"}, {"pizza", "tea"}),
    ({"user_id": {"ne": "alex"}}, {"run"}),  # memories without a user_id never match ne
    ({"user_id": {"in": ["bob", "zed"]}}, {"run"}),
    ({"user_id": {"nin": ["bob"]}}, {"pizza", "tea"}),
    ({"agent_id": "*"}, {"pizza", "bare"}),
    ({"user_id": {"icontains": "AL"}}, {"pizza", "tea"}),
    ({"user_id": {"contains": "AL"}}, set()),
    ({"run_id": "r1", "app_id": {"ne": "x"}}, set()),
    ({"app_id": "web"}, {"nulls"}),
    # dates
    ({"created_at": {"gte": "2024-05-03"}}, {"run", "bare", "nulls"}),
    ({"created_at": {"lt": "2024-05-02T12:00:00Z"}}, {"pizza"}),
    ({"created_at": {"gt": "2024-05-01T12:00:00Z", "lte": "2024-05-02T12:00:00+00:00"}}, {"tea"}),
    ({"expiration_date": {"gt": "2030-03-01"}}, {"run"}),
    ({"expiration_date": "*"}, {"pizza", "run"}),
    ({"updated_at": {"gte": "2024-05-05"}}, {"nulls"}),
    # categories
    ({"categories": {"contains": "food"}}, {"pizza"}),
    ({"categories": ["drink", "sport"]}, {"tea", "run"}),
    ({"categories": {"in": ["sport"]}}, {"run"}),
    ({"categories": {"nin": ["food", "drink"]}}, {"run", "bare", "nulls"}),
    ({"categories": {"icontains": "hobby"}}, {"pizza"}),
    ({"categories": "*"}, {"pizza", "tea", "run"}),
    # keywords
    ({"keywords": {"contains": "Pizza"}}, {"pizza"}),
    ({"keywords": {"contains": "pizza"}}, set()),
    ({"keywords": {"icontains": "PIZZA"}}, {"pizza"}),
    # metadata: equality follows the operand's type
    ({"metadata": {"kind": "food"}}, {"pizza"}),
    ({"metadata": {"score": 5}}, {"pizza"}),
    ({"metadata": {"score": "5"}}, {"run"}),
    ({"metadata": {"flag": True}}, {"pizza"}),
    ({"metadata": {"flag": False}}, {"tea"}),
    ({"metadata": {"kind": {"ne": "food"}}}, {"tea"}),  # absent or null never matches ne
    ({"metadata": {"kind": {"in": ["food", "drink"]}}}, {"pizza", "tea"}),
    ({"metadata": {"kind": {"nin": ["food"]}}}, {"tea"}),
    ({"metadata": {"score": {"gt": 2}}}, {"pizza", "tea"}),
    ({"metadata": {"score": {"gte": 2.5, "lt": 5}}}, {"tea"}),
    ({"metadata": {"score": {"lte": 0}}}, {"nulls"}),
    ({"metadata": {"kind": {"gt": "e"}}}, {"pizza"}),
    ({"metadata": {"kind": "*"}}, {"pizza", "tea"}),
    ({"metadata": {"kind": {"contains": "oo"}}}, {"pizza"}),
    ({"metadata": {"tags": {"contains": "red"}}}, {"pizza"}),
    ({"metadata": {"tags": {"contains": "hot"}}}, set()),
    ({"metadata": {"tags": {"icontains": "hot"}}}, {"pizza"}),
    # nested metadata
    ({"metadata": {"profile": {"city": "Paris"}}}, {"pizza"}),
    ({"metadata": {"profile": {"city": {"icontains": "PAR"}}}}, {"pizza", "run"}),
    ({"metadata": {"profile": {"age": {"gte": 35}}}}, {"tea"}),
    ({"metadata": {"profile": {"age": "*"}}}, {"pizza", "tea"}),
    ({"metadata": {"profile": "*"}}, {"pizza", "tea", "run"}),
    # logic
    ({"AND": [{"user_id": "alex"}, {"metadata": {"score": {"gt": 3}}}]}, {"pizza"}),
    ({"OR": [{"user_id": "bob"}, {"app_id": "web"}]}, {"run", "nulls"}),
    ({"NOT": [{"user_id": "alex"}]}, {"run", "bare", "nulls"}),
    ({"NOT": [{"user_id": {"ne": "alex"}}]}, {"pizza", "tea", "bare", "nulls"}),
    ({"NOT": [{"user_id": "alex"}, {"agent_id": "chef"}]}, {"run", "nulls"}),
    ({"OR": [{"AND": [{"user_id": "alex"}, {"NOT": [{"categories": "food"}]}]}, {"run_id": "r1"}]}, {"tea", "run"}),
]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[str(raw) for raw, _ in CASES])
async def test_filter_selects(stub, tenant, corpus, raw, expected):
    assert await names(stub, tenant, corpus, raw) == expected


async def test_memory_ids_filter(stub, tenant, corpus):
    wanted = [corpus["tea"], corpus["bare"], "not-a-memory"]
    assert await names(stub, tenant, corpus, {"memory_ids": wanted}) == {"tea", "bare"}
    assert await names(stub, tenant, corpus, {"AND": [{"memory_ids": wanted}, {"agent_id": "chef"}]}) == {"bare"}


def raw_condition(field: str, op: int, value: object = None) -> common_pb2.Filter:
    message = common_pb2.Filter()
    message.condition.field = field
    message.condition.op = op
    if isinstance(value, str):
        message.condition.value.string_value = value
    elif isinstance(value, bool):
        message.condition.value.bool_value = value
    elif value is not None:
        message.condition.value.number_value = value
    return message


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        (raw_condition("favourite_colour", common_pb2.FILTER_OPERATOR_EQ, "red"), "favourite_colour"),
        (raw_condition("categories", common_pb2.FILTER_OPERATOR_GT, "a"), "filter.categories"),
        (raw_condition("metadata.score", common_pb2.FILTER_OPERATOR_GT, True), "filter.metadata.score"),
        (raw_condition("metadata.", common_pb2.FILTER_OPERATOR_EQ, "x"), "filter.metadata."),
        (raw_condition("created_at", common_pb2.FILTER_OPERATOR_CONTAINS, "2024-01-01"), "filter.created_at"),
        (raw_condition("created_at", common_pb2.FILTER_OPERATOR_GT, "yesterday"), "filter"),
        (raw_condition("user_id", common_pb2.FILTER_OPERATOR_UNSPECIFIED, "x"), "user_id"),
    ],
)
async def test_bad_filters_are_invalid_argument_naming_the_field(stub, tenant, condition, fragment):
    await expect_error(
        stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, filter=condition)),
        grpc.StatusCode.INVALID_ARGUMENT,
        fragment,
    )
    await expect_error(
        stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant, filter=condition)),
        grpc.StatusCode.INVALID_ARGUMENT,
        fragment,
    )
