"""Every write is an event: updates and deletes appear in `GET /v1/events/` (the dashboard's activity feed)
next to adds, each with the memories it changed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


async def _events_for(client: httpx.AsyncClient, memory_ids: set[str]) -> list[dict[str, Any]]:
    response = await client.get("/v1/events/", params={"page_size": 100})
    assert response.status_code == 200, response.text
    return [event for event in response.json()["results"] if {change["id"] for change in event["results"]} & memory_ids]


async def _add(client: httpx.AsyncClient, user: str, texts: list[str]) -> list[str]:
    body = {
        "messages": [{"role": "user", "content": text} for text in texts],
        "user_id": user,
        "infer": False,
        "async_mode": False,
    }
    response = await client.post("/v3/memories/add/", json=body)
    assert response.status_code == 200, response.text
    return [change["id"] for change in response.json()["results"]]


async def test_update_and_delete_are_recorded_as_events(client: httpx.AsyncClient) -> None:
    user = f"feed-{uuid.uuid4().hex[:8]}"
    first, second, third = await _add(client, user, ["Likes tea", "Lives in Oslo", "Plays chess"])

    assert (await client.put(f"/v1/memories/{first}/", json={"text": "Loves green tea"})).status_code == 200
    batch = {"memories": [{"memory_id": second, "text": "Lives in Bergen"}]}
    assert (await client.put("/v1/batch/", json=batch)).status_code == 200
    assert (await client.delete(f"/v1/memories/{third}/")).status_code == 200

    events = await _events_for(client, {first, second, third})
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["event_type"], []).append(event)
    assert sorted(by_type) == ["ADD", "DELETE", "UPDATE"]
    assert all(event["status"] == "SUCCEEDED" and event["latency"] >= 0 for event in events)

    updates = sorted(
        (change["id"], change["memory"], change["previous_memory"])
        for e in by_type["UPDATE"]
        for change in e["results"]
    )
    assert updates == sorted([(first, "Loves green tea", "Likes tea"), (second, "Lives in Bergen", "Lives in Oslo")])
    [delete] = by_type["DELETE"]
    assert [(c["id"], c["event"], c["memory"]) for c in delete["results"]] == [(third, "DELETE", "Plays chess")]
    # Newest first: the delete came last.
    assert events[0]["event_type"] == "DELETE"


async def test_delete_all_of_a_user_is_one_event_naming_every_memory(client: httpx.AsyncClient) -> None:
    user = f"feed-{uuid.uuid4().hex[:8]}"
    ids = await _add(client, user, ["Has a cat", "Has a dog"])
    assert (await client.delete("/v1/memories/", params={"user_id": user})).status_code == 200

    deletes = [event for event in await _events_for(client, set(ids)) if event["event_type"] == "DELETE"]
    assert len(deletes) == 1
    assert sorted(change["id"] for change in deletes[0]["results"]) == sorted(ids)


async def test_a_refused_update_records_nothing(client: httpx.AsyncClient) -> None:
    user = f"feed-{uuid.uuid4().hex[:8]}"
    [memory_id] = await _add(client, user, ["Drinks coffee"])
    missing = {"memories": [{"memory_id": memory_id, "text": "x"}, {"memory_id": "no-such-memory", "text": "y"}]}
    assert (await client.put("/v1/batch/", json=missing)).status_code == 404

    assert [event["event_type"] for event in await _events_for(client, {memory_id})] == ["ADD"]
