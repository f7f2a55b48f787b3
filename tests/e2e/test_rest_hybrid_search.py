"""Hybrid search over REST: full-text matches fused with dense ones, scores in [0, 1], scope and tenant kept."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Stack

MEMORIES = [
    "Loves tangerines and oranges, eats citrus every morning",
    "The wifi password at the cabin is tangerine42",
    "Grows lemons and limes in the garden",
    "Drinks fresh orange juice with breakfast",
    "Went to a citrus festival in Valencia",
]


@pytest.fixture
async def other_tenant(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Token {stack.key_b}"}
    async with httpx.AsyncClient(base_url=stack.rest_url, headers=headers, timeout=60) as http:
        yield http


async def _add(client: httpx.AsyncClient, user: str, texts: list[str]) -> None:
    for text in texts:
        response = await client.post(
            "/v3/memories/add/",
            json={
                "async_mode": False,
                "messages": [{"role": "user", "content": text}],
                "user_id": user,
                "infer": False,
            },
        )
        assert response.status_code == 200, response.text


async def _search(client: httpx.AsyncClient, query: str, filters: dict[str, Any], **options: Any) -> list[dict]:
    body = {"query": query, "filters": filters, "threshold": 0.0, **options}
    response = await client.post("/v3/memories/search/", json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def test_keyword_only_match_found_by_hybrid_missed_by_dense(client: httpx.AsyncClient) -> None:
    user = f"hybrid-{uuid.uuid4().hex[:8]}"
    await _add(client, user, MEMORIES)
    query = "tangerine42"
    dense = await _search(client, query, {"user_id": user}, keyword_search=False, top_k=1)
    hybrid = await _search(client, query, {"user_id": user}, keyword_search=True, top_k=1)
    default = await _search(client, query, {"user_id": user}, top_k=1)
    assert dense[0]["memory"] != MEMORIES[1]  # the embedding lands on the fruit
    assert hybrid[0]["memory"] == MEMORIES[1]  # the exact word decides
    assert default[0]["memory"] == MEMORIES[1]  # hybrid is the default


async def test_hybrid_scores_are_in_unit_interval_and_sorted(client: httpx.AsyncClient) -> None:
    user = f"hybrid-{uuid.uuid4().hex[:8]}"
    await _add(client, user, MEMORIES)
    results = await _search(client, "citrus fruit in the morning", {"user_id": user}, keyword_search=True, top_k=10)
    scores = [r["score"] for r in results]
    assert len(results) == len(MEMORIES)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    # The threshold applies to the fused score.
    cut = await _search(client, "citrus", {"user_id": user}, keyword_search=True, threshold=0.99)
    assert all(r["score"] >= 0.99 for r in cut)
    assert len(cut) < len(MEMORIES)


async def test_lexical_side_keeps_scope_and_tenant(client: httpx.AsyncClient, other_tenant: httpx.AsyncClient) -> None:
    mine, neighbour = f"hybrid-{uuid.uuid4().hex[:8]}", f"hybrid-{uuid.uuid4().hex[:8]}"
    await _add(client, mine, ["Plays the cello on Sundays"])
    await _add(client, neighbour, ["Secret word is zanzibarquux"])
    await _add(other_tenant, mine, ["Other tenant also says zanzibarquux"])
    for options in ({"keyword_search": True}, {}):
        results = await _search(client, "zanzibarquux", {"user_id": mine}, **options)
        assert [r["memory"] for r in results] == ["Plays the cello on Sundays"]
        assert all(r["user_id"] == mine for r in results)
    results = await _search(client, "zanzibarquux", {"user_id": neighbour}, keyword_search=True)
    assert [r["memory"] for r in results] == ["Secret word is zanzibarquux"]
    theirs = await _search(other_tenant, "zanzibarquux", {"user_id": mine}, keyword_search=True)
    assert [r["memory"] for r in theirs] == ["Other tenant also says zanzibarquux"]


async def test_hybrid_returns_as_many_as_dense_beyond_the_candidate_pool(client: httpx.AsyncClient) -> None:
    user = f"hybrid-{uuid.uuid4().hex[:8]}"
    messages = [{"role": "user", "content": f"Note number {n} about the garden"} for n in range(130)]
    response = await client.post(
        "/v3/memories/add/", json={"async_mode": False, "messages": messages, "user_id": user, "infer": False}
    )
    assert response.status_code == 200, response.text
    for keyword_search in (False, True):
        results = await _search(client, "garden", {"user_id": user}, keyword_search=keyword_search, top_k=130)
        assert len(results) == 130
