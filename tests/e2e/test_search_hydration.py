"""Search hydrates only the records it needs: results equal those of hydrating every hit and filtering after.

The gateway fetches the records of the best hits a batch at a time until top_k memories are found; expired
memories (and ids without a record) among the best hits must not shorten or reorder the answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

TEXTS = [f"I went hiking on mountain trail number {n} with my dog" for n in range(12)] + [
    "My sister collects vintage stamps",
    "The quarterly budget review is on Friday",
]
QUERY = "hiking on a mountain trail with my dog"


# Milvus may return a row's score a float32 ulp apart from one search to the next (Milvus Lite's scores move by
# ~6e-8 as flushes regroup rows into segments), which the API's 6 decimals show now and then: scores compare to this.
SCORE_TOLERANCE = 1e-5


def _same(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """The same memories in the same order, every field equal, scores within SCORE_TOLERANCE."""

    def without_score(result: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in result.items() if key != "score"}

    return [without_score(r) for r in found] == [without_score(r) for r in expected] and all(
        f["score"] == pytest.approx(e["score"], abs=SCORE_TOLERANCE) for f, e in zip(found, expected, strict=True)
    )


async def _search(client: httpx.AsyncClient, user: str, **options: Any) -> list[dict[str, Any]]:
    body = {"query": QUERY, "filters": {"user_id": user}, **options}
    response = await client.post("/v3/memories/search/", json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def _user_with_memories(client: httpx.AsyncClient) -> str:
    user = f"hydrate-{uuid.uuid4().hex[:8]}"
    for text in TEXTS:
        response = await client.post(
            "/v1/memories/", json={"messages": [{"role": "user", "content": text}], "user_id": user, "infer": False}
        )
        assert response.status_code == 200, response.text
    return user


async def _expire(client: httpx.AsyncClient, memory_ids: list[str]) -> None:
    for memory_id in memory_ids:
        response = await client.put(f"/v1/memories/{memory_id}/", json={"expiration_date": "2001-01-01"})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("keyword_search", [True, False])
async def test_expired_best_hits_do_not_shorten_or_reorder_results(
    client: httpx.AsyncClient, keyword_search: bool
) -> None:
    user = await _user_with_memories(client)
    before = await _search(client, user, top_k=50, threshold=0.0, keyword_search=keyword_search)
    assert len(before) == len(TEXTS)
    # The three best hits and two further down expire: top_k=4 must reach past the first batch of records.
    expired = {before[i]["id"] for i in (0, 1, 2, 5, 6)}
    await _expire(client, sorted(expired))

    # top_k=50 hydrates every hit at once (there are fewer memories than that): the reference answer.
    alive = await _search(client, user, top_k=50, threshold=0.0, keyword_search=keyword_search)
    assert len(alive) == len(TEXTS) - len(expired) and not expired & {r["id"] for r in alive}
    if not keyword_search:
        # Dense scores do not depend on the other candidates: the same memories, scores and order as before.
        assert _same(alive, [r for r in before if r["id"] not in expired])
    for top_k in (1, 4, 7, len(TEXTS)):
        found = await _search(client, user, top_k=top_k, threshold=0.0, keyword_search=keyword_search)
        assert _same(found, alive[:top_k])


async def test_threshold_cuts_the_best_first_list_the_same_way(client: httpx.AsyncClient) -> None:
    user = await _user_with_memories(client)
    before = await _search(client, user, top_k=50, threshold=0.0)
    await _expire(client, [before[0]["id"]])
    alive = await _search(client, user, top_k=50, threshold=0.0)
    # A threshold between two scores further down: everything above it, nothing below, however large top_k.
    # Fused (hybrid) scores can tie (two memories with swapped dense and full-text ranks): cut between the
    # first two distinct ones from the sixth on.
    last = next(i for i in range(5, len(alive) - 1) if alive[i]["score"] - alive[i + 1]["score"] > 2 * SCORE_TOLERANCE)
    cut = (alive[last]["score"] + alive[last + 1]["score"]) / 2
    found = await _search(client, user, top_k=20, threshold=cut)
    assert _same(found, alive[: last + 1])
