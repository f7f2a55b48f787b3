"""Fault tests through the gateway's REST API: an LLM that is down, slower than the deadline, or talking
garbage gives the caller a clear error (503 / 504 / 502 with a detail), stores nothing, and leaves the
memories and history that were there untouched."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.extraction.settings import LLMSettings
from tests.conftest import Stack
from tests.scenarios.conftest import LLMGateway, rest_client, start_llm_gateway
from tests.support.scripted_llm import ScriptedLLM, Stall, garbage, json_reply, server_error

LLM_TIMEOUT_SECONDS = 0.4
GATEWAY_DEADLINE_SECONDS = 1.0


def _llm(base_url: str, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "base_url": base_url,
        "api_key": "sk-faults",
        "model": "scripted-model",
        "timeout_seconds": LLM_TIMEOUT_SECONDS,
        "max_retries": 1,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.1,
    }
    values.update(overrides)
    return LLMSettings.model_validate(values)


@pytest.fixture(scope="module")
async def faulty(
    stack: Stack, scenario_llm: ScriptedLLM, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LLMGateway]:
    """Extraction with a 0.4 s LLM timeout and one retry, behind a gateway with the default deadline."""
    running = await start_llm_gateway(stack, tmp_path_factory.mktemp("faulty"), _llm(scenario_llm.base_url))
    yield running
    await running.stop()


@pytest.fixture
async def http(faulty: LLMGateway, stack: Stack, scenario_llm: ScriptedLLM) -> AsyncIterator[httpx.AsyncClient]:
    scenario_llm.reset()
    async with await rest_client(faulty.rest_url, stack.key_a) as client:
        yield client
    scenario_llm.reset()


def _user() -> str:
    return f"fault-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _add(http: httpx.AsyncClient, user: str, text: str) -> httpx.Response:
    return await http.post(
        "/v3/memories/add/",
        json={"async_mode": False, "messages": [{"role": "user", "content": text}], "user_id": user},
    )


async def _memories(http: httpx.AsyncClient, user: str) -> list[dict[str, Any]]:
    response = await http.post("/v3/memories/", json={"filters": {"user_id": user}})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _assert_error(response: httpx.Response, status: int, reason: str, detail: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == reason
    assert detail in body["detail"]


FACT = {"facts": [{"text": "Loves chicken", "attributed_to": "user", "categories": ["food"]}]}
CONTRADICTION = {"facts": [{"text": "Is a vegetarian", "attributed_to": "user", "categories": ["food"]}]}


async def _seed_chicken(http: httpx.AsyncClient, llm: ScriptedLLM, user: str) -> dict[str, Any]:
    """One stored memory with one history row, through the LLM path."""
    llm.script(json_reply(FACT))
    response = await _add(http, user, "I love chicken.")
    assert response.status_code == 200, response.text
    [memory] = await _memories(http, user)
    assert memory["memory"] == "Loves chicken"
    return memory


async def _history(http: httpx.AsyncClient, memory_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/v1/memories/{memory_id}/history/")
    assert response.status_code == 200, response.text
    return response.json()


async def test_llm_down_is_503_and_nothing_is_stored(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> None:
    down = await start_llm_gateway(stack, tmp_path_factory.mktemp("down"), _llm(f"http://127.0.0.1:{_free_port()}/v1"))
    try:
        async with await rest_client(down.rest_url, stack.key_a) as http:
            user = _user()
            response = await _add(http, user, "I'm allergic to nuts.")
            _assert_error(response, 503, "UPSTREAM_UNAVAILABLE", "extract_facts: the LLM endpoint is unreachable")
            assert await _memories(http, user) == []
    finally:
        await down.stop()


async def test_llm_slower_than_its_timeout_is_504_and_nothing_is_stored(
    http: httpx.AsyncClient, scenario_llm: ScriptedLLM
) -> None:
    scenario_llm.script(Stall(5, json_reply(FACT)), Stall(5, json_reply(FACT)))
    user = _user()
    response = await _add(http, user, "I love chicken.")
    _assert_error(response, 504, "UPSTREAM_TIMEOUT", "the LLM did not answer in time after 2 attempts")
    assert len(scenario_llm.chat_requests) == 2
    assert await _memories(http, user) == []


async def test_llm_slower_than_the_gateways_deadline_is_504_and_nothing_is_stored(
    stack: Stack, scenario_llm: ScriptedLLM, tmp_path_factory: pytest.TempPathFactory
) -> None:
    slow = await start_llm_gateway(
        stack,
        tmp_path_factory.mktemp("slow"),
        _llm(scenario_llm.base_url, timeout_seconds=30),
        rpc_timeout_seconds=GATEWAY_DEADLINE_SECONDS,
    )
    scenario_llm.reset()
    scenario_llm.script(Stall(5, json_reply(FACT)))
    try:
        async with await rest_client(slow.rest_url, stack.key_a) as http:
            user = _user()
            started = time.perf_counter()
            response = await _add(http, user, "I love chicken.")
            elapsed = time.perf_counter() - started
            # The extraction service keeps a margin before the caller's deadline, so its own error wins the race.
            _assert_error(response, 504, "UPSTREAM_TIMEOUT", "capped by the request deadline")
            assert GATEWAY_DEADLINE_SECONDS * 0.8 < elapsed < GATEWAY_DEADLINE_SECONDS + 1.0
            assert len(scenario_llm.chat_requests) == 1
            assert await _memories(http, user) == []
    finally:
        scenario_llm.reset()
        await slow.stop()


async def test_garbage_from_extraction_is_502_and_nothing_is_stored(
    http: httpx.AsyncClient, scenario_llm: ScriptedLLM
) -> None:
    scenario_llm.script(garbage(), garbage("Facts: loves chicken"))
    user = _user()
    response = await _add(http, user, "I love chicken.")
    _assert_error(response, 502, "LLM_OUTPUT_INVALID", "extract_facts: the model's output was invalid twice")
    assert await _memories(http, user) == []


async def test_garbage_from_reconciliation_leaves_memories_and_history_unchanged(
    http: httpx.AsyncClient, scenario_llm: ScriptedLLM
) -> None:
    user = _user()
    before = await _seed_chicken(http, scenario_llm, user)
    history = await _history(http, before["id"])
    scenario_llm.script(json_reply(CONTRADICTION), garbage(), json_reply({"actions": [{"fact": 0, "event": "MERGE"}]}))
    response = await _add(http, user, "I turned vegetarian now.")
    _assert_error(response, 502, "LLM_OUTPUT_INVALID", "reconcile_memories: the model's output was invalid twice")
    assert await _memories(http, user) == [before]
    assert await _history(http, before["id"]) == history
    assert [entry["event"] for entry in history] == ["ADD"]


async def test_llm_failing_at_reconciliation_leaves_memories_and_history_unchanged(
    http: httpx.AsyncClient, scenario_llm: ScriptedLLM
) -> None:
    user = _user()
    before = await _seed_chicken(http, scenario_llm, user)
    history = await _history(http, before["id"])
    scenario_llm.script(json_reply(CONTRADICTION), server_error(500), server_error(503))
    response = await _add(http, user, "I turned vegetarian now.")
    _assert_error(response, 503, "UPSTREAM_UNAVAILABLE", "reconcile_memories: the LLM endpoint failed after 2 attempts")
    assert await _memories(http, user) == [before]
    assert await _history(http, before["id"]) == history


async def test_the_same_add_succeeds_once_the_llm_recovers(http: httpx.AsyncClient, scenario_llm: ScriptedLLM) -> None:
    user = _user()
    before = await _seed_chicken(http, scenario_llm, user)
    scenario_llm.script(
        json_reply(CONTRADICTION),
        json_reply({"actions": [{"fact": 0, "event": "UPDATE", "id": "0", "text": "Is a vegetarian"}]}),
    )
    response = await _add(http, user, "I turned vegetarian now.")
    assert response.status_code == 200, response.text
    assert [(r["event"], r["memory"], r.get("previous_memory")) for r in response.json()["results"]] == [
        ("UPDATE", "Is a vegetarian", "Loves chicken")
    ]
    assert [entry["event"] for entry in await _history(http, before["id"])] == ["ADD", "UPDATE"]
