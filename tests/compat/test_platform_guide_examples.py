"""The examples of the Mem0 Platform guide (docs/platform/quickstart.mdx, "Guide"), over REST with httpx.

Each example is sent the way the guide's clients send it (v1 add/search/get_all for the classic client,
v2 filters, v3 for the current SDK) and checked against what the guide shows. Facts come from the offline
extractor (infer=true) where the guide relies on extraction and categories; `infer: false` where exact
texts are needed. Mem0's default category names are used (`food`, not the guide's old `food_preferences`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.compat.conftest import CompatTenant, TenantFactory

LONG_TERM = [
    {"role": "user", "content": "Hi, I'm Alex. I'm a vegetarian and I'm allergic to nuts."},
    {
        "role": "assistant",
        "content": "Hello Alex! I've noted that you're a vegetarian and have a nut allergy. I'll keep this in mind "
        "for any food-related recommendations or discussions.",
    },
]
SESSION = [
    {"role": "user", "content": "I'm planning a trip to Japan next month."},
    {
        "role": "assistant",
        "content": "That's exciting, Alex! A trip to Japan next month sounds wonderful. Would you like some "
        "recommendations for vegetarian-friendly restaurants in Japan?",
    },
    {"role": "user", "content": "Yes, please! Especially in Tokyo."},
    {
        "role": "assistant",
        "content": "Great! I'll remember that you're interested in vegetarian restaurants in Tokyo for your upcoming "
        "trip. I'll prepare a list for you in our next interaction.",
    },
]
AGENT = [
    {"role": "system", "content": "You are an AI tutor with a personality. Give yourself a name for the user."},
    {"role": "assistant", "content": "Understood. I'm an AI tutor with a personality. My name is Alice."},
]
JULY_15_2024 = 1721044800
JANUARY_15_2024 = 1705320000


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
async def guide_tenant(make_tenant: TenantFactory) -> CompatTenant:
    return await make_tenant("guide")


@pytest.fixture
async def http(guide_tenant: CompatTenant, http_for: Callable[[CompatTenant], httpx.AsyncClient]) -> AsyncIterator:
    async with http_for(guide_tenant) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (
        f"{response.request.method} {response.request.url} {response.request.content.decode()[:300]} "
        f"-> {response.status_code} {response.text[:500]}"
    )
    return response.json()


async def _add(http: httpx.AsyncClient, path: str = "/v3/memories/add/", **body: Any) -> Any:
    return _ok(await http.post(path, json={"async_mode": False, **body}))


async def _listed(http: httpx.AsyncClient, filters: dict[str, Any], **body: Any) -> list[dict[str, Any]]:
    return _ok(await http.post("/v3/memories/", json={"filters": filters, **body}))["results"]


def _texts(items: list[dict[str, Any]]) -> set[str]:
    return {m["memory"] for m in items}


# --- 4.1 create memories -------------------------------------------------------------------------


async def test_long_term_user_memory_output_formats(http: httpx.AsyncClient) -> None:
    expected = {"Name is Alex", "Is a vegetarian", "Is allergic to nuts"}
    v10 = await _add(http, "/v1/memories/", messages=LONG_TERM, user_id=_name("alex"), output_format="v1.0")
    assert isinstance(v10, list) and {r["data"]["memory"] for r in v10} == expected, v10
    assert all(r["id"] and r["event"] == "ADD" for r in v10)
    user = _name("alex")
    v11 = await _add(
        http, "/v1/memories/", messages=LONG_TERM, user_id=user, output_format="v1.1", metadata={"food": "vegan"}
    )
    assert {r["memory"] for r in v11["results"]} == expected and all(r["event"] == "ADD" for r in v11["results"])
    stored = await _listed(http, {"user_id": user})
    assert _texts(stored) == expected and all(m["metadata"] == {"food": "vegan"} for m in stored)


async def test_general_search_v1_output_formats_and_category_metadata_filters(http: httpx.AsyncClient) -> None:
    user = _name("alex")
    await _add(http, "/v1/memories/", messages=LONG_TERM, user_id=user, metadata={"food": "vegan"})
    query = "What should I cook for dinner today?"
    as_list = _ok(
        await http.post("/v1/memories/search/", json={"query": query, "user_id": user, "output_format": "v1.0"})
    )
    as_dict = _ok(
        await http.post("/v1/memories/search/", json={"query": query, "user_id": user, "output_format": "v1.1"})
    )
    assert isinstance(as_list, list) and isinstance(as_dict["results"], list)
    assert [r["id"] for r in as_list] == [r["id"] for r in as_dict["results"]] and as_list
    assert "vegetarian" in as_list[0]["memory"].lower() or "nuts" in as_list[0]["memory"].lower(), as_list
    assert {"id", "memory", "user_id", "hash", "metadata", "categories", "created_at", "updated_at"} <= set(as_list[0])
    # "Use category and metadata filters": categories=[...], metadata={...} at the top level.
    narrowed = _ok(
        await http.post(
            "/v1/memories/search/",
            json={
                "query": "What do you know about me?",
                "user_id": user,
                "categories": ["food"],
                "metadata": {"food": "vegan"},
            },
        )
    )
    narrowed = narrowed["results"] if isinstance(narrowed, dict) else narrowed
    assert _texts(narrowed) <= {"Is a vegetarian", "Is allergic to nuts"} and narrowed, narrowed


async def test_short_term_session_memory_with_run_id(http: httpx.AsyncClient) -> None:
    user, run = _name("alex123"), _name("trip-planning-2024")
    added = await _add(http, "/v1/memories/", messages=SESSION, user_id=user, run_id=run, output_format="v1.1")
    assert any("trip to japan next month" in r["memory"].lower() for r in added["results"]), added
    page = _ok(await http.get("/v1/memories/", params={"user_id": user, "run_id": run, "page": 1, "page_size": 50}))
    # The guide's get_all with page/page_size answers the paginated object.
    assert isinstance(page, dict) and {"count", "next", "previous", "results"} <= set(page), (
        f"GET /v1/memories/ with page/page_size must answer {{count, next, previous, results}}, got {type(page)}"
    )
    assert page["count"] >= 1 and page["next"] is None and page["previous"] is None
    assert all(m["run_id"] == run and m["user_id"] == user for m in page["results"])
    other_run = _ok(await http.get("/v1/memories/", params={"user_id": user, "run_id": _name("other")}))
    assert (other_run["results"] if isinstance(other_run, dict) else other_run) == []
    assert len(await _listed(http, {"AND": [{"user_id": user}, {"run_id": run}]})) == page["count"]


async def test_long_term_agent_memory(http: httpx.AsyncClient) -> None:
    agent = _name("ai-tutor")
    added = await _add(http, "/v1/memories/", messages=AGENT, agent_id=agent, output_format="v1.1")
    texts = {r["memory"] for r in added["results"]}
    assert "Name is Alice" in texts and not any("give yourself" in t.lower() for t in texts), texts
    page = _ok(await http.get("/v1/memories/", params={"agent_id": agent, "page": 1, "page_size": 50}))
    assert isinstance(page, dict), f"GET /v1/memories/ with page/page_size must be paginated, got {type(page)}"
    assert page["count"] == len(texts), page
    assert all(m["agent_id"] == agent and m["user_id"] is None for m in page["results"])


async def test_dual_user_and_agent_attribution(http: httpx.AsyncClient) -> None:
    """Both ids in one call: user messages are stored for the user, assistant messages for the agent."""
    user, agent = _name("user1"), _name("agent1")
    messages = [
        {"role": "user", "content": "I'm travelling to San Francisco"},
        {"role": "assistant", "content": "That's great! I'm going to Dubai next month."},
    ]
    added = await _add(http, "/v1/memories/", messages=messages, user_id=user, agent_id=agent, output_format="v1.1")
    assert {r["memory"] for r in added["results"]} == {"Is travelling to San Francisco", "Is going to Dubai next month"}
    users = await _listed(http, {"user_id": user})
    agents = await _listed(http, {"agent_id": agent})

    def scopes(items: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
        return [(m["memory"], m["user_id"], m["agent_id"]) for m in items]

    assert _texts(users) == {"Is travelling to San Francisco"}, scopes(users)
    assert _texts(agents) == {"Is going to Dubai next month"}, scopes(agents)
    assert users[0]["agent_id"] is None and agents[0]["user_id"] is None, (users[0], agents[0])


# --- 4.2 search with v2 filters, examples 1-4 ------------------------------------------------------


@pytest.fixture(scope="module")
async def people(guide_tenant: CompatTenant) -> dict[str, str]:
    """Three users; `a` has categorised facts (infer) with metadata, plus two dated memories."""
    names = {"a": _name("fa"), "b": _name("fb"), "c": _name("fc")}
    async with httpx.AsyncClient(base_url=guide_tenant.rest_url, headers=guide_tenant.headers, timeout=60) as http:
        await _add(
            http,
            messages=[{"role": "user", "content": "I'm a vegetarian. I love playing tennis."}],
            user_id=names["a"],
            metadata={"food": "vegan"},
        )
        await _add(
            http,
            messages=[{"role": "user", "content": "Visited Lisbon in July."}],
            user_id=names["a"],
            infer=False,
            timestamp=JULY_15_2024,
        )
        await _add(
            http,
            messages=[{"role": "user", "content": "Visited Oslo in January."}],
            user_id=names["a"],
            infer=False,
            timestamp=JANUARY_15_2024,
        )
        await _add(http, messages=[{"role": "user", "content": "I'm allergic to nuts."}], user_id=names["b"])
        await _add(http, messages=[{"role": "user", "content": "I work as a teacher."}], user_id=names["c"])
    return names


async def _search_everywhere(http: httpx.AsyncClient, query: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """The example through v2 search (bare list, what `version="v2"` called) and v3 search; same hits."""
    v2 = _ok(await http.post("/v2/memories/search/", json={"query": query, "filters": filters}))
    v3 = _ok(await http.post("/v3/memories/search/", json={"query": query, "filters": filters, "threshold": 0.0}))
    assert isinstance(v2, list) and isinstance(v3["results"], list)
    assert {r["id"] for r in v2} <= {r["id"] for r in v3["results"]}
    return v3["results"]


async def test_filter_example_1_or_of_user_ids(http: httpx.AsyncClient, people: dict[str, str]) -> None:
    filters = {"OR": [{"user_id": people["a"]}, {"user_id": people["b"]}]}
    found = await _search_everywhere(http, "What do you know about me?", filters)
    assert {r["user_id"] for r in found} == {people["a"], people["b"]}, found
    listed = _ok(await http.post("/v2/memories/", json={"filters": filters}))
    assert {m["user_id"] for m in listed} == {people["a"], people["b"]} and len(listed) == 5


async def test_filter_example_2_date_range_and(http: httpx.AsyncClient, people: dict[str, str]) -> None:
    filters = {"AND": [{"user_id": people["a"]}, {"created_at": {"gte": "2024-07-01", "lte": "2024-07-31"}}]}
    assert _texts(await _search_everywhere(http, "Where did I travel?", filters)) == {"Visited Lisbon in July."}
    assert _texts(await _listed(http, filters)) == {"Visited Lisbon in July."}
    iso = {
        "AND": [{"user_id": people["a"]}, {"created_at": {"gte": "2024-01-01T00:00:00Z", "lt": "2024-02-01T00:00:00Z"}}]
    }
    assert _texts(await _listed(http, iso)) == {"Visited Oslo in January."}


async def test_filter_example_3_metadata_and_categories(http: httpx.AsyncClient, people: dict[str, str]) -> None:
    filters = {"AND": [{"user_id": people["a"]}, {"metadata": {"food": "vegan"}}, {"categories": {"contains": "food"}}]}
    assert _texts(await _search_everywhere(http, "What do you know about me?", filters)) == {"Is a vegetarian"}
    assert _texts(await _listed(http, filters)) == {"Is a vegetarian"}
    # The guide's own example has no entity id (v2 search of the whole project).
    verbatim = {"AND": [{"metadata": {"food": "vegan"}}, {"categories": {"contains": "food"}}]}
    found = _ok(
        await http.post("/v2/memories/search/", json={"query": "What do you know about me?", "filters": verbatim})
    )
    assert found and all("food" in r["categories"] and r["metadata"] == {"food": "vegan"} for r in found), found


async def test_filter_example_4_not_categories(http: httpx.AsyncClient, people: dict[str, str]) -> None:
    filters = {"AND": [{"user_id": people["a"]}, {"NOT": [{"categories": {"contains": "food"}}]}]}
    expected = {"Loves playing tennis", "Visited Lisbon in July.", "Visited Oslo in January."}
    assert _texts(await _listed(http, filters)) == expected
    assert _texts(await _search_everywhere(http, "What do you know about me?", filters)) <= expected
    verbatim = {"NOT": [{"categories": {"contains": "food"}}]}
    found = _ok(
        await http.post("/v2/memories/search/", json={"query": "What do you know about me?", "filters": verbatim})
    )
    assert all("food" not in (r["categories"] or []) for r in found), found


# --- 4.4 get_all by categories and keywords ----------------------------------------------------------


@pytest.fixture(scope="module")
async def hobbyist(guide_tenant: CompatTenant) -> str:
    user = _name("alex123")
    text = "I love playing tennis. I like pizza and pasta. I like to play chess on weekends. I work as a teacher."
    async with httpx.AsyncClient(base_url=guide_tenant.rest_url, headers=guide_tenant.headers, timeout=60) as http:
        added = await _add(http, messages=[{"role": "user", "content": text}], user_id=user)
    assert {r["memory"] for r in added["results"]} == {
        "Loves playing tennis",
        "Likes pizza and pasta",
        "Likes to play chess on weekends",
        "Works as a teacher",
    }
    return user


def _results(body: Any) -> list[dict[str, Any]]:
    return body["results"] if isinstance(body, dict) else body


async def test_get_all_by_categories(http: httpx.AsyncClient, hobbyist: str) -> None:
    likes = {"Loves playing tennis", "Likes pizza and pasta", "Likes to play chess on weekends"}
    one = _ok(await http.get("/v1/memories/", params={"user_id": hobbyist, "categories": "user_preferences"}))
    assert _texts(_results(one)) == likes, f"GET /v1/memories/?categories= must filter, got {_texts(_results(one))}"
    # Several categories: any of them; the guide's curl joins them with commas, httpx/requests repeat the key.
    comma = _ok(await http.get("/v1/memories/", params={"user_id": hobbyist, "categories": "sports,food"}))
    repeated = _ok(
        await http.get(
            "/v1/memories/", params=[("user_id", hobbyist), ("categories", "sports"), ("categories", "food")]
        )
    )
    assert _texts(_results(comma)) == _texts(_results(repeated)) == {"Loves playing tennis", "Likes pizza and pasta"}
    paged = _ok(
        await http.get(
            "/v1/memories/", params={"user_id": hobbyist, "categories": "user_preferences", "page": 1, "page_size": 50}
        )
    )
    assert paged["count"] == 3 and _texts(paged["results"]) == likes
    v3 = await _listed(http, {"user_id": hobbyist}, categories=["sports", "food"])
    assert _texts(v3) == {"Loves playing tennis", "Likes pizza and pasta"}
    v2 = _ok(
        await http.post(
            "/v2/memories/",
            json={"filters": {"AND": [{"user_id": hobbyist}, {"categories": {"in": ["professional_details"]}}]}},
        )
    )
    assert _texts(v2) == {"Works as a teacher"}


async def test_get_all_by_keywords(http: httpx.AsyncClient, hobbyist: str) -> None:
    v1 = _ok(
        await http.get("/v1/memories/", params={"user_id": hobbyist, "keywords": "to play", "page": 1, "page_size": 50})
    )
    assert _texts(_results(v1)) == {"Likes to play chess on weekends"}, (
        f"GET /v1/memories/?keywords= must filter, got {_texts(_results(v1))}"
    )
    v2 = _ok(
        await http.post(
            "/v2/memories/", json={"filters": {"AND": [{"user_id": hobbyist}, {"keywords": {"contains": "to play"}}]}}
        )
    )
    assert _texts(v2) == {"Likes to play chess on weekends"}
    v3 = await _listed(http, {"AND": [{"user_id": hobbyist}, {"keywords": {"icontains": "PIZZA"}}]})
    assert _texts(v3) == {"Likes pizza and pasta"}
    v3_body = await _listed(http, {"user_id": hobbyist}, keywords="teacher")
    assert _texts(v3_body) == {"Works as a teacher"}


# --- 4.5 history, 4.6 update, 4.9/4.10 batch -----------------------------------------------------------


async def test_history_after_an_update(http: httpx.AsyncClient) -> None:
    user = _name("alex")
    added = await _add(http, messages=[{"role": "user", "content": "Likes cricket"}], user_id=user, infer=False)
    memory_id = added["results"][0]["id"]
    updated = _ok(await http.put(f"/v1/memories/{memory_id}/", json={"text": "Loves cricket and plays on weekends"}))
    assert updated["id"] == memory_id and updated["memory"] == "Loves cricket and plays on weekends"
    assert updated["updated_at"] >= updated["created_at"]
    rows = _ok(await http.get(f"/v1/memories/{memory_id}/history/"))
    assert [r["event"] for r in rows] == ["ADD", "UPDATE"]
    assert (rows[0]["old_memory"], rows[0]["new_memory"]) == (None, "Likes cricket")
    assert (rows[1]["old_memory"], rows[1]["new_memory"]) == ("Likes cricket", "Loves cricket and plays on weekends")
    assert rows[0]["input"] == [{"role": "user", "content": "Likes cricket"}]
    assert all(r["memory_id"] == memory_id and r["user_id"] == user for r in rows)


async def test_history_of_a_memory_added_from_a_conversation(http: httpx.AsyncClient) -> None:
    user = _name("alex")
    first = {
        "role": "user",
        "content": "I recently tried chicken and I loved it. I'm thinking of trying more non-vegetarian dishes..",
    }
    await _add(http, "/v1/memories/", messages=[first], user_id=user)
    second = {"role": "user", "content": "I turned vegetarian now."}
    added = await _add(http, "/v1/memories/", messages=[first, second], user_id=user, output_format="v1.1")
    turned = next(r for r in added["results"] if "vegetarian now" in r["memory"].lower())
    rows = _ok(await http.get(f"/v1/memories/{turned['id']}/history/"))
    assert rows[0]["event"] == "ADD" and rows[0]["new_memory"] == turned["memory"]
    assert second in rows[0]["input"], rows[0]["input"]


async def test_batch_update_and_batch_delete(http: httpx.AsyncClient) -> None:
    user = _name("alex")
    added = await _add(
        http,
        messages=[{"role": "user", "content": "Watches basketball"}, {"role": "user", "content": "Likes to travel"}],
        user_id=user,
        infer=False,
    )
    first, second = (r["id"] for r in added["results"])
    updates = [{"memory_id": first, "text": "Watches football"}, {"memory_id": second, "text": "Loves to travel"}]
    assert _ok(await http.put("/v1/batch/", json={"memories": updates})) == {
        "message": "Successfully updated 2 memories"
    }
    assert _ok(await http.get(f"/v1/memories/{first}/"))["memory"] == "Watches football"
    assert [r["event"] for r in _ok(await http.get(f"/v1/memories/{second}/history/"))] == ["ADD", "UPDATE"]
    deleted = await http.request(
        "DELETE", "/v1/batch/", json={"memories": [{"memory_id": first}, {"memory_id": second}]}
    )
    assert _ok(deleted) == {"message": "Successfully deleted 2 memories"}
    assert (await http.get(f"/v1/memories/{first}/")).status_code == 404
    assert [r["event"] for r in _ok(await http.get(f"/v1/memories/{first}/history/"))] == ["ADD", "UPDATE", "DELETE"]
    too_many = await http.put("/v1/batch/", json={"memories": [{"memory_id": first, "text": "x"}] * 1001})
    assert too_many.status_code == 400 and too_many.json()["detail"]


# --- 4.3 users, 4.7 delete users -------------------------------------------------------------------------


async def test_get_all_users(http: httpx.AsyncClient, people: dict[str, str]) -> None:
    body = _ok(await http.get("/v1/entities/"))
    entity = next(e for e in body["results"] if e["name"] == people["a"])
    assert entity["type"] == "user" and entity["total_memories"] == 4
    assert {"id", "name", "type", "total_memories", "owner", "metadata", "created_at", "updated_at"} <= set(entity)
    assert body["total_users"] >= 3 and body["count"] >= body["total_users"]


async def test_create_entities_explicitly(http: httpx.AsyncClient) -> None:
    names = {"user": _name("u"), "agent": _name("a"), "app": _name("p"), "run": _name("r")}
    for kind, name in names.items():
        response = await http.post(f"/v1/{kind}s/", json={f"{kind}_id": name, "metadata": {"tier": "gold"}})
        assert response.status_code in {200, 201}, f"POST /v1/{kind}s/ -> {response.status_code} {response.text}"
    listed = {
        (e["type"], e["name"]): e for e in _ok(await http.get("/v1/entities/", params={"page_size": 1000}))["results"]
    }
    for kind, name in names.items():
        assert listed[(kind, name)]["metadata"] == {"tier": "gold"} and listed[(kind, name)]["total_memories"] == 0


async def test_delete_one_user(http: httpx.AsyncClient) -> None:
    doomed, kept = _name("alex"), _name("sam")
    await _add(http, messages=[{"role": "user", "content": "Likes tea"}], user_id=doomed, infer=False)
    await _add(http, messages=[{"role": "user", "content": "Likes coffee"}], user_id=kept, infer=False)
    assert _ok(await http.delete(f"/v2/entities/user/{doomed}/"))["message"]
    names = {e["name"] for e in _ok(await http.get("/v1/entities/", params={"page_size": 1000}))["results"]}
    assert doomed not in names and kept in names
    assert await _listed(http, {"user_id": doomed}) == []
    assert _texts(await _listed(http, {"user_id": kept})) == {"Likes coffee"}
    missing = await http.delete(f"/v2/entities/user/{doomed}/")
    assert missing.status_code == 404 and missing.json()["detail"]


async def test_delete_all_users_agents_apps_runs(
    make_tenant: TenantFactory, http_for: Callable[[CompatTenant], httpx.AsyncClient]
) -> None:
    tenant = await make_tenant("guide-delete-all")  # empties the whole project
    async with http_for(tenant) as http:
        await _add(http, messages=[{"role": "user", "content": "Likes tea"}], user_id="alex", infer=False)
        await _add(
            http, messages=[{"role": "assistant", "content": "Books trips"}], agent_id="travel-assistant", infer=False
        )
        await _add(http, messages=[{"role": "user", "content": "Uses the iOS app"}], app_id="ios", infer=False)
        await _add(http, messages=[{"role": "user", "content": "Asked about refunds"}], run_id="ticket-9", infer=False)
        entities = _ok(await http.get("/v1/entities/"))
        assert {(e["type"], e["name"]) for e in entities["results"]} == {
            ("user", "alex"),
            ("agent", "travel-assistant"),
            ("app", "ios"),
            ("run", "ticket-9"),
        }
        assert (entities["total_users"], entities["total_agents"], entities["total_apps"], entities["total_runs"]) == (
            1,
            1,
            1,
            1,
        )
        for entity in entities["results"]:  # what delete_users() with no argument does
            assert _ok(await http.delete(f"/v2/entities/{entity['type']}/{entity['name']}/"))["message"]
        after = _ok(await http.get("/v1/entities/"))
        assert after["results"] == [] and after["count"] == 0
        for ids in ({"user_id": "alex"}, {"agent_id": "travel-assistant"}, {"app_id": "ios"}, {"run_id": "ticket-9"}):
            assert await _listed(http, ids) == []
