"""The evaluation's only way into memgrid: its public REST API (the calls a Mem0 client makes)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from bench.eval.locomo import Turn


class MemgridRest:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def add_turn(self, turn: Turn, *, user_id: str, run_id: str, infer: bool) -> list[str]:
        """Store one turn (`infer=false`: verbatim) dated by its session; returns the new memory ids."""
        response = await self._client.post(
            "/v3/memories/add/",
            json={
                "async_mode": False,
                "messages": [{"role": "user", "content": turn.content, "name": turn.speaker}],
                "user_id": user_id,
                "run_id": run_id,
                "infer": infer,
                "metadata": {"dia_id": turn.dia_id},
                "timestamp": turn.session_date.isoformat(),
            },
        )
        _check(response)
        return [change["id"] for change in response.json()["results"]]

    async def search(
        self, query: str, *, run_id: str, top_k: int, options: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], float]:
        """The hits of a search scoped to one conversation, and its wall time in ms (threshold 0: the eval
        measures ranking, not the default cut-off)."""
        body = {"query": query, "filters": {"run_id": run_id}, "top_k": top_k, "threshold": 0.0, **options}
        started = time.perf_counter()
        response = await self._client.post("/v3/memories/search/", json=body)
        elapsed_ms = (time.perf_counter() - started) * 1000
        _check(response)
        return response.json()["results"], elapsed_ms


def dia_ids(hits: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """The dialogue turns behind the ranked hits, in order, each once (with infer=true several memories may
    come from one turn)."""
    ranked: list[str] = []
    for hit in hits:
        for dia_id in _sources(hit):
            if dia_id not in ranked:
                ranked.append(dia_id)
    return tuple(ranked)


def _sources(hit: dict[str, Any]) -> list[str]:
    metadata = hit.get("metadata") or {}
    value = metadata.get("dia_id")
    return [value] if isinstance(value, str) else list(value or [])


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        request = response.request
        raise RuntimeError(f"{request.method} {request.url.path}: {response.status_code} {response.text}")
