"""Restarting the whole stack loses nothing: memories (get_all), search and history read back the same after
every service stops and starts again on the same data — with the metadata on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import API_KEYS, KEY_A, KEY_B
from tests.support.stack import InProcessStack, start_stack

USERS = ("restart-alex", "restart-sam")
FACTS = {
    "restart-alex": ["I live in Lisbon.", "I am allergic to peanuts.", "I play the cello.", "My dog is called Rex."],
    "restart-sam": ["I work as a nurse.", "I drink green tea every morning.", "I collect vinyl records."],
}
QUERIES = ["where does alex live?", "what music instrument?", "what does sam drink?", "pets"]


def _client(stack: InProcessStack, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.rest_url, headers={"Authorization": f"Token {key}"}, timeout=60)


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def _write(stack: InProcessStack) -> list[str]:
    """Verbatim adds, a few updates and deletes; returns every memory id written (deleted ones too)."""
    ids: list[str] = []
    async with _client(stack, KEY_A) as client:
        for user, facts in FACTS.items():
            for index, fact in enumerate(facts):
                body = {"messages": fact, "user_id": user, "infer": False, "metadata": {"n": index}}
                added = await _ok(await client.post("/v1/memories/", json=body))
                ids.extend(result["id"] for result in added["results"])
        await _ok(await client.put(f"/v1/memories/{ids[0]}/", json={"text": "I live in Porto now."}))
        await _ok(await client.put(f"/v1/memories/{ids[4]}/", json={"metadata": {"n": 40, "shift": "night"}}))
        await _ok(await client.put(f"/v1/memories/{ids[0]}/", json={"text": "I live in Porto, by the river."}))
        await _ok(await client.delete(f"/v1/memories/{ids[2]}/"))
        await _ok(await client.delete(f"/v1/memories/{ids[6]}/"))
    async with _client(stack, KEY_B) as other:
        added = await _ok(await other.post("/v1/memories/", json={"messages": "I am another tenant.", "user_id": "x"}))
        ids.extend(result["id"] for result in added["results"])
    return ids


async def _snapshot(stack: InProcessStack, ids: list[str]) -> dict[str, Any]:
    """Everything a client can read back: get_all per user, search hits, every history, the other tenant."""
    snapshot: dict[str, Any] = {}
    async with _client(stack, KEY_A) as client:
        for user in USERS:
            listed = await _ok(await client.post("/v3/memories/", json={"filters": {"user_id": user}}))
            snapshot[f"get_all:{user}"] = listed["results"]
            for query in QUERIES:
                body = {"query": query, "filters": {"user_id": user}, "top_k": 3}
                hits = await _ok(await client.post("/v3/memories/search/", json=body))
                snapshot[f"search:{user}:{query}"] = [(hit["id"], hit["memory"]) for hit in hits["results"]]
        for memory_id in ids[:-1]:
            snapshot[f"history:{memory_id}"] = await _ok(await client.get(f"/v1/memories/{memory_id}/history/"))
    async with _client(stack, KEY_B) as other:
        listed = await _ok(await other.post("/v3/memories/", json={"filters": {"user_id": "x"}}))
        snapshot["other_tenant"] = listed["results"]
    return snapshot


async def test_whole_stack_restart_loses_nothing(backend: str, database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stack = await start_stack(data_dir, API_KEYS, database_url=database_url)
    try:
        ids = await _write(stack)
        before = await _snapshot(stack, ids)
    finally:
        await stack.stop()

    # What was written is what the snapshot shows (so the comparison below compares something real).
    assert len(before["get_all:restart-alex"]) == 3 and len(before["get_all:restart-sam"]) == 2
    texts = {memory["memory"] for memory in before["get_all:restart-alex"]}
    assert texts == {"I live in Porto, by the river.", "I am allergic to peanuts.", "My dog is called Rex."}
    assert [entry["event"] for entry in before[f"history:{ids[0]}"]] == ["ADD", "UPDATE", "UPDATE"]
    assert [entry["event"] for entry in before[f"history:{ids[2]}"]] == ["ADD", "DELETE"]
    assert before["search:restart-alex:where does alex live?"][0] == (ids[0], "I live in Porto, by the river.")
    assert all(
        hit[0] not in (ids[2], ids[6]) for key, hits in before.items() if key.startswith("search") for hit in hits
    )

    stack = await start_stack(data_dir, API_KEYS, database_url=database_url)
    try:
        after = await _snapshot(stack, ids)
        assert after == before
        # And the restarted stack keeps working.
        async with _client(stack, KEY_A) as client:
            body = {"messages": "I started learning Greek.", "user_id": USERS[1], "infer": False}
            await _ok(await client.post("/v1/memories/", json=body))
            listed = await _ok(await client.post("/v3/memories/", json={"filters": {"user_id": USERS[1]}}))
            assert listed["count"] == 3
    finally:
        await stack.stop()
    memories = sum(len(value) for key, value in after.items() if key.startswith("get_all"))
    history = sum(len(value) for key, value in after.items() if key.startswith("history"))
    print(f"\n[{backend}] after restart: {memories} memories, {history} history rows, all as before")
