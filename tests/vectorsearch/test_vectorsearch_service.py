"""Component tests: the real server (start_service, port 0) with MiniLM and Milvus Lite in a tmp dir."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from libs.errors import AlreadyExists, InvalidArgument
from libs.filters import And, Condition, Not, Op, Or
from libs.filters.proto import filter_to_proto
from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as pb

from .support import RunningVectorSearch, item, new_tenant

FACTS = {
    "veg": "I am vegetarian and never eat meat",
    "climb": "I like rock climbing on weekends",
    "paris": "My sister lives in Paris",
    "python": "I write Python code at work",
}


KEYWORDS_FILTER = filter_to_proto(Condition("keywords", Op.EQ, "x"))
METADATA_FILTER = filter_to_proto(Condition("metadata.color", Op.EQ, "x"))


def uid(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:10]}"


def ids_of(hits: list[tuple[str, float]]) -> list[str]:
    return [memory_id for memory_id, _ in hits]


async def seed(server: RunningVectorSearch, tenant: common_pb2.Tenant, **scope: str) -> dict[str, str]:
    ids = {key: uid(key) for key in FACTS}
    count = await server.upsert(tenant, [item(ids[key], text, **scope) for key, text in FACTS.items()])
    assert count == len(FACTS)
    return ids


async def test_semantically_closest_text_ranks_first(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    ids = await seed(minilm_server, tenant, user_id="alex")
    food, sport, city = await minilm_server.search(
        tenant, "what food does she eat", "which sports does she do", "where does her sister live", top_k=4
    )
    assert ids_of(food)[0] == ids["veg"]
    assert ids_of(sport)[0] == ids["climb"]
    assert ids_of(city)[0] == ids["paris"]
    for hits in (food, sport, city):
        scores = [score for _, score in hits]
        assert len(hits) == 4
        assert all(0.0 <= score <= 1.0 for score in scores)
        assert scores == sorted(scores, reverse=True)
    assert food[0][1] > 0.25


async def test_identical_text_scores_one_and_upsert_replaces(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    memory_id = uid("m")
    await minilm_server.upsert(tenant, [item(memory_id, "I am vegetarian")])
    [[(hit_id, score)]] = await minilm_server.search(tenant, "I am vegetarian", top_k=5)
    assert hit_id == memory_id
    assert score == pytest.approx(1.0, abs=1e-4)
    # Upsert by id: the row is replaced, not duplicated.
    await minilm_server.upsert(tenant, [item(memory_id, "I like rock climbing")])
    [hits] = await minilm_server.search(tenant, "I like rock climbing", top_k=5)
    assert len(hits) == 1
    assert hits[0][0] == memory_id
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)


async def test_scope_filters(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    rows = {
        "u1": item(uid("u1"), "likes tea", user_id="alex"),
        "u1a": item(uid("u1a"), "likes coffee", user_id="alex", agent_id="helper", run_id="r1"),
        "u2": item(uid("u2"), "likes juice", user_id="bea", app_id="web"),
        "a": item(uid("a"), "likes water", agent_id="helper"),
    }
    await minilm_server.upsert(tenant, rows.values())
    want = {key: row.memory_id for key, row in rows.items()}

    async def found(node) -> set[str]:
        [hits] = await minilm_server.search(tenant, "drinks", top_k=50, filter=filter_to_proto(node))
        return set(ids_of(hits))

    assert await found(Condition("user_id", Op.EQ, "alex")) == {want["u1"], want["u1a"]}
    # "a" has no user_id: ne / nin only match memories that have one (the SQL side's rule too).
    assert await found(Condition("user_id", Op.NE, "alex")) == {want["u2"]}
    assert await found(Condition("user_id", Op.IN, ("bea", "zed"))) == {want["u2"]}
    assert await found(Condition("user_id", Op.NIN, ("alex",))) == {want["u2"]}
    assert await found(Not((Condition("user_id", Op.EQ, "alex"),))) == {want["u2"], want["a"]}
    assert await found(Condition("agent_id", Op.EXISTS)) == {want["u1a"], want["a"]}
    assert await found(Condition("app_id", Op.EQ, "web")) == {want["u2"]}
    assert await found(Condition("run_id", Op.EQ, "r1")) == {want["u1a"]}
    both = And((Condition("user_id", Op.EQ, "alex"), Condition("agent_id", Op.EQ, "helper")))
    assert await found(both) == {want["u1a"]}
    either = Or((Condition("user_id", Op.EQ, "bea"), Condition("run_id", Op.EQ, "r1")))
    assert await found(either) == {want["u2"], want["u1a"]}
    assert await found(Not((Condition("agent_id", Op.EXISTS),))) == {want["u1"], want["u2"]}


async def test_date_filters(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    jan, feb, mar = (datetime(2024, month, 1, 12, tzinfo=UTC) for month in (1, 2, 3))
    rows = {
        "jan": item(uid("jan"), "note one", created_at=jan, updated_at=mar),
        "feb": item(uid("feb"), "note two", created_at=feb, updated_at=feb),
        "mar": item(uid("mar"), "note three", created_at=mar, updated_at=mar),
    }
    await minilm_server.upsert(tenant, rows.values())
    want = {key: row.memory_id for key, row in rows.items()}

    async def found(node) -> set[str]:
        [hits] = await minilm_server.search(tenant, "note", top_k=10, filter=filter_to_proto(node))
        return set(ids_of(hits))

    assert await found(Condition("created_at", Op.GTE, feb)) == {want["feb"], want["mar"]}
    assert await found(Condition("created_at", Op.GT, feb)) == {want["mar"]}
    assert await found(Condition("created_at", Op.LT, feb)) == {want["jan"]}
    assert await found(Condition("created_at", Op.LTE, feb)) == {want["jan"], want["feb"]}
    assert await found(Condition("created_at", Op.EQ, feb)) == {want["feb"]}
    assert await found(Condition("created_at", Op.NE, feb)) == {want["jan"], want["mar"]}
    assert await found(Condition("updated_at", Op.EQ, mar)) == {want["jan"], want["mar"]}
    window = And((Condition("created_at", Op.GT, jan), Condition("created_at", Op.LT, mar)))
    assert await found(window) == {want["feb"]}


async def test_date_filter_through_proto_strings(minilm_server: RunningVectorSearch) -> None:
    """The gateway sends dates as strings in the proto filter (YYYY-MM-DD or ISO-8601)."""
    tenant = new_tenant()
    early = item(uid("e"), "note", created_at=datetime(2023, 6, 1, tzinfo=UTC))
    late = item(uid("l"), "note", created_at=datetime(2024, 6, 1, tzinfo=UTC))
    await minilm_server.upsert(tenant, [early, late])
    proto_filter = common_pb2.Filter(
        condition=common_pb2.FieldCondition(field="created_at", op=common_pb2.FILTER_OPERATOR_GTE)
    )
    proto_filter.condition.value.string_value = "2024-01-01"
    [hits] = await minilm_server.search(tenant, "note", filter=proto_filter)
    assert ids_of(hits) == [late.memory_id]


async def test_category_filters(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    rows = {
        "food": item(uid("f"), "eats pasta", categories=["food"]),
        "both": item(uid("b"), "eats in Rome", categories=["food", "travel"]),
        "none": item(uid("n"), "eats nothing"),
    }
    await minilm_server.upsert(tenant, rows.values())
    want = {key: row.memory_id for key, row in rows.items()}

    async def found(node) -> set[str]:
        [hits] = await minilm_server.search(tenant, "eats", top_k=10, filter=filter_to_proto(node))
        return set(ids_of(hits))

    assert await found(Condition("categories", Op.CONTAINS, "travel")) == {want["both"]}
    assert await found(Condition("categories", Op.EQ, "food")) == {want["food"], want["both"]}
    assert await found(Condition("categories", Op.IN, ("travel", "x"))) == {want["both"]}
    assert await found(Condition("categories", Op.NIN, ("travel",))) == {want["food"], want["none"]}
    assert await found(Condition("categories", Op.NE, "food")) == {want["none"]}
    assert await found(Condition("categories", Op.EXISTS)) == {want["food"], want["both"]}


async def test_candidate_restriction(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    ids = await seed(minilm_server, tenant, user_id="alex")
    [hits] = await minilm_server.search(
        tenant,
        "what food does she eat",
        candidate_ids=[ids["paris"], ids["python"]],
        restrict_to_candidates=True,
    )
    assert set(ids_of(hits)) == {ids["paris"], ids["python"]}
    # An empty restriction means no candidates at all.
    assert await minilm_server.search(tenant, "food", "sport", restrict_to_candidates=True) == [[], []]
    # Without the flag and without ids: no restriction.
    [unrestricted] = await minilm_server.search(tenant, "food")
    assert len(unrestricted) == len(FACTS)
    # memory_ids in the filter works the same way, ANDed with candidates.
    node = Condition("memory_ids", Op.IN, (ids["veg"], ids["paris"]))
    [hits] = await minilm_server.search(
        tenant,
        "food",
        filter=filter_to_proto(node),
        candidate_ids=[ids["paris"], ids["python"]],
        restrict_to_candidates=True,
    )
    assert ids_of(hits) == [ids["paris"]]


async def test_tenant_isolation(minilm_server: RunningVectorSearch) -> None:
    tenant_a, tenant_b = new_tenant(), new_tenant()
    same_org_other_project = common_pb2.Tenant(org_id=tenant_a.org_id, project_id="other")
    ids = await seed(minilm_server, tenant_a, user_id="alex")
    all_ids = list(ids.values())
    for other in (tenant_b, same_org_other_project):
        assert await minilm_server.search(other, "food", top_k=100) == [[]]
        node = Condition("user_id", Op.EQ, "alex")
        assert await minilm_server.search(other, "food", filter=filter_to_proto(node)) == [[]]
        restricted = await minilm_server.search(other, "food", candidate_ids=all_ids, restrict_to_candidates=True)
        assert restricted == [[]]
        # Deleting A's ids as another tenant deletes nothing.
        await minilm_server.delete(other, all_ids)
        # Upserting one of A's ids as another tenant is refused and leaves A's row alone.
        with pytest.raises(AlreadyExists):
            await minilm_server.upsert(other, [item(ids["veg"], "hijacked text", user_id="mallory")])
    [hits] = await minilm_server.search(tenant_a, "what food does she eat", top_k=100)
    assert set(ids_of(hits)) == set(all_ids)
    assert hits[0][0] == ids["veg"]


async def test_filter_values_cannot_inject(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    await seed(minilm_server, tenant, user_id="alex")
    for value in ['nobody" or user_id != "', "nobody' or user_id != '", 'x\\" or id != "', "a\nb"]:
        node = Condition("user_id", Op.EQ, value)
        assert await minilm_server.search(tenant, "food", filter=filter_to_proto(node)) == [[]]
    # A tenant id crafted to widen the tenant clause sees nothing either.
    evil = common_pb2.Tenant(org_id=f'{tenant.org_id}" or org_id != "', project_id="proj")
    assert await minilm_server.search(evil, "food") == [[]]


async def test_quotes_and_unicode_round_trip_in_stored_values(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    user = 'o\'brien "the\\great" ✓'
    memory_id = uid('id"with\\quotes')
    await minilm_server.upsert(tenant, [item(memory_id, "likes tea", user_id=user, categories=['c"1'])])
    node = And((Condition("user_id", Op.EQ, user), Condition("categories", Op.CONTAINS, 'c"1')))
    [hits] = await minilm_server.search(tenant, "tea", filter=filter_to_proto(node))
    assert ids_of(hits) == [memory_id]
    assert await minilm_server.delete(tenant, [memory_id]) == 1
    assert await minilm_server.search(tenant, "tea") == [[]]


async def test_delete(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    ids = await seed(minilm_server, tenant)
    assert await minilm_server.delete(tenant, [ids["veg"], ids["veg"], "never-existed"]) == 2
    [hits] = await minilm_server.search(tenant, "food", top_k=10)
    assert set(ids_of(hits)) == set(ids.values()) - {ids["veg"]}


async def test_top_k_limits_hits(minilm_server: RunningVectorSearch) -> None:
    tenant = new_tenant()
    await seed(minilm_server, tenant)
    [hits] = await minilm_server.search(tenant, "food", top_k=2)
    assert len(hits) == 2
    [hits] = await minilm_server.search(tenant, "food", top_k=1000)
    assert len(hits) == len(FACTS)


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"queries": ["q"], "top_k": 0}, "top_k"),
        ({"queries": ["q"], "top_k": 1001}, "top_k"),
        ({"queries": ["q"], "top_k": -1}, "top_k"),
        ({"queries": [], "top_k": 5}, "queries"),
        ({"queries": ["ok", "  "], "top_k": 5}, "queries"),
        (
            {"queries": ["q"], "top_k": 5, "filter": filter_to_proto(Condition("keywords", Op.EQ, "x"))},
            "filter",
        ),
        (
            {
                "queries": ["q"],
                "top_k": 5,
                "filter": filter_to_proto(Condition("metadata.color", Op.EQ, "x")),
            },
            "filter",
        ),
    ],
)
async def test_search_bad_input(minilm_server: RunningVectorSearch, request_fields: dict, field: str) -> None:
    request = pb.SearchVectorsRequest(tenant=new_tenant(), **request_fields)
    with pytest.raises(InvalidArgument) as raised:
        await call(minilm_server.stub.SearchVectors(request))
    assert raised.value.field == field
    assert field in raised.value.message


async def test_filter_error_names_the_field(minilm_server: RunningVectorSearch) -> None:
    request = pb.SearchVectorsRequest(
        tenant=new_tenant(),
        queries=["q"],
        top_k=5,
        filter=filter_to_proto(Condition("metadata.color", Op.EQ, "red")),
    )
    with pytest.raises(InvalidArgument, match=r"metadata\.color"):
        await call(minilm_server.stub.SearchVectors(request))


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([item("", "text")], "items[0].memory_id"),
        ([item("ok", "fine"), item("m2", "")], "items[1].text"),
        ([item("m3", "   ")], "items[0].text"),
        ([item("x" * 300, "text")], "items[0].memory_id"),
        ([item("m4", "text", categories=[""])], "items[0].categories"),
    ],
)
async def test_upsert_bad_input(minilm_server: RunningVectorSearch, items: list, field: str) -> None:
    request = pb.UpsertVectorsRequest(tenant=new_tenant(), items=items)
    with pytest.raises(InvalidArgument) as raised:
        await call(minilm_server.stub.UpsertVectors(request))
    assert raised.value.field == field
    assert field in raised.value.message


async def test_requests_without_tenant_are_rejected(minilm_server: RunningVectorSearch) -> None:
    stub = minilm_server.stub
    for pending in (
        stub.SearchVectors(pb.SearchVectorsRequest(queries=["q"], top_k=5)),
        stub.UpsertVectors(pb.UpsertVectorsRequest(items=[item("m", "t")])),
        stub.DeleteVectors(pb.DeleteVectorsRequest(memory_ids=["m"])),
        stub.SearchVectors(pb.SearchVectorsRequest(tenant=common_pb2.Tenant(org_id="o"), queries=["q"], top_k=5)),
    ):
        with pytest.raises(InvalidArgument) as raised:
            await call(pending)
        assert raised.value.field == "tenant"
