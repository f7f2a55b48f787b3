"""The Mem0-compatible REST API end to end: real gateway, real services, real SQLite and Milvus Lite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Stack


def _user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def other_tenant(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=stack.rest_url, headers={"Authorization": f"Token {stack.key_b}"}, timeout=60
    ) as http:
        yield http


async def test_ping_names_the_keys_project(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/ping/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert (response.json()["org_id"], response.json()["project_id"]) == ("acme", "app1")


async def test_double_slash_and_missing_trailing_slash_are_tolerated(stack: Stack, client: httpx.AsyncClient) -> None:
    # The async SDK with a trailing-slash host sends `GET //v1/ping/`.
    assert (await client.get(f"{stack.rest_url}//v1/ping/")).json()["project_id"] == "app1"
    assert (await client.get("/v1/ping")).json()["project_id"] == "app1"


async def test_wrong_or_missing_key_is_401_with_detail(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.rest_url) as http:
        missing = await http.get("/v1/ping/")
        wrong = await http.get("/v1/ping/", headers={"Authorization": "Token nope"})
        bad_scheme = await http.get("/v1/ping/", headers={"Authorization": "Basic abc"})
    for response in (missing, wrong, bad_scheme):
        assert response.status_code == 401
        assert response.json()["detail"]


async def test_add_without_inference_stores_each_message(client: httpx.AsyncClient) -> None:
    user = _user()
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "I just moved to Lisbon.", "name": "sam"},
        {"role": "assistant", "content": "How exciting, welcome!"},
    ]
    response = await client.post(
        "/v3/memories/add/",
        json={"async_mode": False, "messages": messages, "user_id": user, "infer": False, "metadata": {"src": "t"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "SUCCEEDED" and body["event_id"]
    assert [r["memory"] for r in body["results"]] == ["I just moved to Lisbon.", "How exciting, welcome!"]
    assert body["results"][0]["actor_id"] == "sam" and body["results"][0]["role"] == "user"
    listed = (await client.post("/v3/memories/", json={"filters": {"user_id": user}})).json()
    assert listed["count"] == 2
    assert {m["memory"] for m in listed["results"]} == {"I just moved to Lisbon.", "How exciting, welcome!"}
    assert all(m["metadata"] == {"src": "t"} and m["user_id"] == user for m in listed["results"])


async def test_add_with_inference_keeps_facts_not_greetings_and_search_ranks_them(client: httpx.AsyncClient) -> None:
    user = "alex"
    await client.delete("/v1/memories/", params={"user_id": user})
    await client.post(
        "/v3/memories/add/",
        json={
            "async_mode": False,
            "messages": [{"role": "user", "content": "I love hiking in the Alps on weekends."}],
            "user_id": user,
        },
    )
    response = await client.post(
        "/v3/memories/add/",
        json={
            "async_mode": False,
            "messages": [{"role": "user", "content": "Hi, I'm Alex. I'm a vegetarian and I'm allergic to nuts."}],
            "user_id": user,
        },
    )
    assert response.status_code == 200, response.text
    stored = [r["memory"] for r in response.json()["results"]]
    assert any("vegetarian" in m.lower() for m in stored)
    assert any("allergic to nuts" in m.lower() for m in stored)
    assert not any(m.lower().startswith("hi") for m in stored)
    hits = (
        await client.post("/v3/memories/search/", json={"query": "what can alex eat?", "filters": {"user_id": user}})
    ).json()["results"]
    top_two = " ".join(hit["memory"].lower() for hit in hits[:2])
    assert "vegetarian" in top_two and "nuts" in top_two, hits
    assert all(0.0 <= hit["score"] <= 1.0 for hit in hits)
    assert hits == sorted(hits, key=lambda hit: hit["score"], reverse=True)


async def test_adding_the_same_fact_twice_stores_it_once(client: httpx.AsyncClient) -> None:
    user = _user()
    body = {"messages": "I'm allergic to shellfish.", "user_id": user, "async_mode": False}
    first = (await client.post("/v3/memories/add/", json=body)).json()
    second = (await client.post("/v3/memories/add/", json=body)).json()
    assert len(first["results"]) == 1 and second["results"] == []
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": user}})).json()["count"] == 1


async def test_search_paths_v1_v2_v3_and_their_shapes(client: httpx.AsyncClient) -> None:
    user = _user()
    await client.post(
        "/v1/memories/", json={"messages": "I play the cello in an orchestra.", "user_id": user, "infer": False}
    )
    v1 = (await client.post("/v1/memories/search/", json={"query": "music", "user_id": user})).json()
    v1_list = (
        await client.post("/v1/memories/search/", json={"query": "music", "user_id": user, "output_format": "v1.0"})
    ).json()
    v2 = (await client.post("/v2/memories/search/", json={"query": "music", "filters": {"user_id": user}})).json()
    v3 = (
        await client.post("/v3/memories/search/", json={"query": "music", "filters": {"user_id": user}, "top_k": 1})
    ).json()
    assert v1["results"][0]["memory"] == "I play the cello in an orchestra."
    assert isinstance(v1_list, list) and isinstance(v2, list) and v2[0]["id"] == v1["results"][0]["id"]
    assert len(v3["results"]) == 1
    rejected = await client.post("/v3/memories/search/", json={"query": "music", "user_id": user})
    assert rejected.status_code == 400 and "filters" in rejected.json()["detail"]


async def test_threshold_drops_weak_hits(client: httpx.AsyncClient) -> None:
    user = _user()
    await client.post("/v1/memories/", json={"messages": "My car is a red Toyota.", "user_id": user, "infer": False})
    strict = (
        await client.post(
            "/v3/memories/search/",
            json={"query": "quantum chromodynamics lecture", "filters": {"user_id": user}, "threshold": 0.9},
        )
    ).json()
    assert strict["results"] == []


async def test_get_all_pagination_on_every_path(client: httpx.AsyncClient) -> None:
    user = _user()
    texts = [f"Note number {i}" for i in range(5)]
    await client.post(
        "/v1/memories/",
        json={"messages": [{"role": "user", "content": t} for t in texts], "user_id": user, "infer": False},
    )
    page1 = (await client.post("/v3/memories/?page=1&page_size=2", json={"filters": {"user_id": user}})).json()
    page3 = (await client.post("/v3/memories/?page=3&page_size=2", json={"filters": {"user_id": user}})).json()
    assert page1["count"] == 5 and len(page1["results"]) == 2 and page1["next"] and page1["previous"] is None
    assert len(page3["results"]) == 1 and page3["next"] is None and page3["previous"]
    v1 = (await client.get("/v1/memories/", params={"user_id": user})).json()
    v2 = (await client.post("/v2/memories/", json={"filters": {"user_id": user}})).json()
    assert len(v1) == len(v2) == 5
    seen = {m["id"] for m in page1["results"]} | {m["id"] for m in page3["results"]}
    assert len(seen) == 3


async def test_get_update_history_delete(client: httpx.AsyncClient) -> None:
    user = _user()
    added = (
        await client.post("/v1/memories/", json={"messages": "I drive a blue bike.", "user_id": user, "infer": False})
    ).json()
    memory_id = added["results"][0]["id"]
    got = (await client.get(f"/v1/memories/{memory_id}/")).json()
    assert got["memory"] == "I drive a blue bike." and got["user_id"] == user
    updated = await client.put(
        f"/v1/memories/{memory_id}/",
        json={"text": "I ride a green bike.", "metadata": {"k": "v"}, "expiration_date": "2999-01-01"},
    )
    assert updated.status_code == 200 and updated.json()["memory"] == "I ride a green bike."
    assert updated.json()["expiration_date"] == "2999-01-01"
    cleared = (await client.put(f"/v1/memories/{memory_id}/", json={"expiration_date": None})).json()
    assert cleared["expiration_date"] is None and cleared["metadata"] == {"k": "v"}
    hits = (
        await client.post("/v3/memories/search/", json={"query": "green bicycle", "filters": {"user_id": user}})
    ).json()
    assert hits["results"][0]["memory"] == "I ride a green bike."
    history = (await client.get(f"/v1/memories/{memory_id}/history/")).json()
    assert [h["event"] for h in history[:2]] == ["ADD", "UPDATE"]
    assert history[1]["old_memory"] == "I drive a blue bike." and history[1]["new_memory"] == "I ride a green bike."
    deleted = await client.delete(f"/v1/memories/{memory_id}/")
    assert deleted.status_code == 200 and "deleted" in deleted.json()["message"].lower()
    assert (await client.get(f"/v1/memories/{memory_id}/")).status_code == 404
    assert (await client.get(f"/v1/memories/{memory_id}/history/")).json()[-1]["event"] == "DELETE"
    gone = (
        await client.post("/v3/memories/search/", json={"query": "green bicycle", "filters": {"user_id": user}})
    ).json()
    assert gone["results"] == []


async def test_delete_all_by_user_and_by_python_repr_filters(client: httpx.AsyncClient) -> None:
    alice, bob = _user(), _user()
    for user in (alice, bob):
        await client.post("/v1/memories/", json={"messages": "I collect stamps.", "user_id": user, "infer": False})
    assert (await client.delete("/v1/memories/", params={"user_id": alice})).status_code == 200
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": alice}})).json()["count"] == 0
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": bob}})).json()["count"] == 1
    response = await client.delete("/v1/memories/", params={"filters": str({"user_id": bob})})
    assert response.status_code == 200
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": bob}})).json()["count"] == 0
    unscoped = await client.delete("/v1/memories/")
    assert unscoped.status_code == 400


async def test_entities_listed_and_deleted(client: httpx.AsyncClient) -> None:
    user = _user()
    # With both ids, what the user says is the user's and what the assistant says is the agent's.
    messages = [{"role": "user", "content": "I speak Portuguese."}, {"role": "assistant", "content": "I teach it."}]
    await client.post(
        "/v1/memories/", json={"messages": messages, "user_id": user, "agent_id": "tutor", "infer": False}
    )
    entities = (await client.get("/v1/entities/")).json()
    mine = [e for e in entities["results"] if e["name"] == user]
    assert mine and mine[0]["type"] == "user" and mine[0]["total_memories"] == 1
    assert entities["total_users"] >= 1 and entities["total_agents"] >= 1
    assert (await client.delete(f"/v2/entities/user/{user}/")).status_code == 200
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": user}})).json()["count"] == 0


async def test_tenants_never_see_each_other(client: httpx.AsyncClient, other_tenant: httpx.AsyncClient) -> None:
    user = _user()
    added = (
        await client.post(
            "/v1/memories/", json={"messages": "My PIN hint is the cat.", "user_id": user, "infer": False}
        )
    ).json()
    memory_id = added["results"][0]["id"]
    assert (await other_tenant.get(f"/v1/memories/{memory_id}/")).status_code == 404
    assert (await other_tenant.get(f"/v1/memories/{memory_id}/history/")).status_code == 404
    assert (await other_tenant.put(f"/v1/memories/{memory_id}/", json={"text": "x"})).status_code == 404
    assert (await other_tenant.delete(f"/v1/memories/{memory_id}/")).status_code == 404
    search = (
        await other_tenant.post("/v3/memories/search/", json={"query": "PIN hint", "filters": {"user_id": user}})
    ).json()
    assert search["results"] == []
    assert (await other_tenant.post("/v3/memories/", json={"filters": {"user_id": user}})).json()["count"] == 0
    await other_tenant.delete("/v1/memories/", params={"user_id": user})
    assert (await client.get(f"/v1/memories/{memory_id}/")).status_code == 200


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/v3/memories/add/", b"{not json", "body"),
        ("/v3/memories/add/", {"user_id": "u"}, "messages"),
        ("/v3/memories/add/", {"messages": "I like tea."}, "user_id"),
        ("/v3/memories/add/", {"messages": [{"role": "wizard", "content": "x"}], "user_id": "u"}, "role"),
        (
            "/v3/memories/add/",
            {"messages": "I like tea.", "user_id": "u", "expiration_date": "soon"},
            "expiration_date",
        ),
        ("/v3/memories/search/", {"query": "tea", "filters": {"user_id": "u"}, "top_k": 0}, "top_k"),
        ("/v3/memories/search/", {"query": "tea", "filters": {"user_id": "u"}, "top_k": 5000}, "top_k"),
        ("/v3/memories/search/", {"query": "   ", "filters": {"user_id": "u"}}, "query"),
        ("/v3/memories/search/", {"query": "tea"}, "filters"),
        ("/v3/memories/search/", {"query": "tea", "filters": {"user_id": "u", "colour": "red"}}, "colour"),
        ("/v3/memories/search/", {"query": "tea", "filters": {"user_id": {"like": "u"}}}, "like"),
        ("/v3/memories/search/", {"query": "tea", "filters": {"AND": "user_id"}}, "AND"),
        ("/v3/memories/?page_size=0", {"filters": {"user_id": "u"}}, "page_size"),
    ],
)
async def test_bad_input_is_400_naming_the_field(
    client: httpx.AsyncClient, path: str, payload: object, field: str
) -> None:
    if isinstance(payload, bytes):
        response = await client.post(path, content=payload, headers={"Content-Type": "application/json"})
    else:
        response = await client.post(path, json=payload)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]


async def test_update_of_unknown_memory_is_404_and_empty_update_is_400(client: httpx.AsyncClient) -> None:
    assert (await client.put(f"/v1/memories/{uuid.uuid4()}/", json={"text": "x"})).status_code == 404
    user = _user()
    added = (
        await client.post("/v1/memories/", json={"messages": "I own a kayak.", "user_id": user, "infer": False})
    ).json()
    response = await client.put(f"/v1/memories/{added['results'][0]['id']}/", json={})
    assert response.status_code == 400


async def test_batch_update_and_delete(client: httpx.AsyncClient) -> None:
    user = _user()
    added = (
        await client.post(
            "/v1/memories/",
            json={
                "messages": [{"role": "user", "content": "Fact one"}, {"role": "user", "content": "Fact two"}],
                "user_id": user,
                "infer": False,
            },
        )
    ).json()
    ids = [r["id"] for r in added["results"]]
    updated = await client.put(
        "/v1/batch/",
        json={"memories": [{"memory_id": ids[0], "text": "Fact uno"}, {"memory_id": ids[1], "metadata": {"n": 2}}]},
    )
    assert updated.json()["message"] == "Successfully updated 2 memories"
    assert (await client.get(f"/v1/memories/{ids[0]}/")).json()["memory"] == "Fact uno"
    deleted = await client.request("DELETE", "/v1/batch/", json={"memories": [{"memory_id": i} for i in ids]})
    assert deleted.json()["message"] == "Successfully deleted 2 memories"
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": user}})).json()["count"] == 0


async def test_event_of_an_add_can_be_fetched(client: httpx.AsyncClient) -> None:
    added = (
        await client.post(
            "/v3/memories/add/", json={"async_mode": False, "messages": "I'm learning Rust.", "user_id": _user()}
        )
    ).json()
    event = (await client.get(f"/v1/event/{added['event_id']}/")).json()
    assert event["status"] == "SUCCEEDED"
    assert [r["id"] for r in event["results"]] == [r["id"] for r in added["results"]]


async def test_forgetting_all_food_preferences_deletes_every_one(client: httpx.AsyncClient) -> None:
    user = _user()
    foods = ["sushi", "pizza", "ramen", "tacos", "curry", "pasta", "dumplings", "falafel"]
    for food in foods:
        await client.post(
            "/v3/memories/add/", json={"async_mode": False, "messages": f"I love {food}.", "user_id": user}
        )
    await client.post(
        "/v3/memories/add/", json={"async_mode": False, "messages": "I work as a nurse.", "user_id": user}
    )
    assert (await client.post("/v3/memories/", json={"filters": {"user_id": user}})).json()["count"] == 9
    response = await client.post(
        "/v3/memories/add/",
        json={"async_mode": False, "messages": "Delete all of my food preferences.", "user_id": user},
    )
    deleted = [r for r in response.json()["results"] if r["event"] == "DELETE"]
    assert len(deleted) == len(foods), response.json()
    left = (await client.post("/v3/memories/", json={"filters": {"user_id": user}})).json()["results"]
    assert [m["memory"] for m in left] == ["Works as a nurse"]
