"""The OpenAI-compatible client and the repair loop against a real HTTP peer (the scripted LLM server)."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from libs.errors import LLMOutputInvalid, UpstreamTimeout, UpstreamUnavailable
from libs.rpc.deadline import deadline_scope
from services.extraction.llm.client import OpenAICompatibleClient
from services.extraction.llm.structured import REPAIR_PROMPT, ModelOutputError, ask_json, require_list
from tests.extraction.conftest import LLM_TIMEOUT_SECONDS, fast_llm_settings
from tests.support.scripted_llm import (
    Completion,
    Disconnect,
    HttpError,
    RawResponse,
    ScriptedLLM,
    Stall,
    garbage,
    json_reply,
    rate_limited,
    server_error,
)

MESSAGES = [{"role": "system", "content": "Extract facts."}, {"role": "user", "content": "I love sushi"}]


@pytest.fixture
async def client(llm: ScriptedLLM) -> AsyncIterator[OpenAICompatibleClient]:
    chat = OpenAICompatibleClient(fast_llm_settings(llm.base_url))
    yield chat
    await chat.aclose()


def _facts(payload: dict[str, Any]) -> list[str]:
    items = require_list(payload, "facts")
    if not all(isinstance(item, str) for item in items):
        raise ModelOutputError('"facts" must hold strings')
    return items


async def test_sends_a_json_mode_chat_completion(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(json_reply({"facts": ["Loves sushi"]}))
    with structlog.contextvars.bound_contextvars(request_id="req-42"), capture_logs() as logs:
        answer = await client.complete_json(MESSAGES, purpose="test")
    assert answer == '{"facts": ["Loves sushi"]}'
    [request] = llm.chat_requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "scripted-model"
    assert request.body["messages"] == MESSAGES
    assert request.response_format == {"type": "json_object"}
    assert request.body["temperature"] == 0.0
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["x-request-id"] == "req-42"
    [done] = [entry for entry in logs if entry["event"] == "llm.call_completed"]
    assert (done["purpose"], done["attempt"], done["completion_chars"]) == ("test", 1, len(answer))
    assert "sushi" not in str(logs)  # no prompt or completion text in logs


async def test_429_is_retried_after_the_retry_after_it_asks_for(
    llm: ScriptedLLM, client: OpenAICompatibleClient
) -> None:
    llm.script(rate_limited(retry_after=0.3), json_reply({"facts": []}))
    with capture_logs() as logs:
        assert await client.complete_json(MESSAGES, purpose="test") == '{"facts": []}'
    first, second = llm.chat_requests
    assert second.received_at - first.received_at >= 0.3
    [failed] = [entry for entry in logs if entry["event"] == "llm.call_failed"]
    assert (failed["kind"], failed["status"], failed["retry_in_s"]) == ("rate_limited", 429, 0.3)


async def test_429_asking_for_longer_than_the_longest_backoff_is_not_retried(
    llm: ScriptedLLM, client: OpenAICompatibleClient
) -> None:
    llm.script(rate_limited(retry_after=60), json_reply({"facts": []}))
    with pytest.raises(UpstreamUnavailable, match=r"rate limiting after 1 attempt \(HTTP 429"):
        await client.complete_json(MESSAGES, purpose="test")
    assert len(llm.chat_requests) == 1


async def test_5xx_is_retried_with_backoff(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(server_error(500), server_error(503), json_reply({"facts": []}))
    assert await client.complete_json(MESSAGES, purpose="test") == '{"facts": []}'
    assert len(llm.chat_requests) == 3


async def test_5xx_every_time_is_upstream_unavailable_after_all_attempts(
    llm: ScriptedLLM, client: OpenAICompatibleClient
) -> None:
    llm.script(server_error(500), server_error(502), server_error(500), json_reply({"facts": []}))
    with pytest.raises(UpstreamUnavailable, match=r"test: the LLM endpoint failed after 3 attempts \(HTTP 500"):
        await client.complete_json(MESSAGES, purpose="test")
    assert len(llm.chat_requests) == 3
    assert llm.pending == 1


async def test_timeouts_are_retried_then_reported_as_upstream_timeout(
    llm: ScriptedLLM, client: OpenAICompatibleClient
) -> None:
    llm.script(Stall(5), Stall(5), Stall(5))
    started = time.perf_counter()
    with pytest.raises(UpstreamTimeout, match="did not answer in time after 3 attempts"):
        await client.complete_json(MESSAGES, purpose="test")
    elapsed = time.perf_counter() - started
    assert len(llm.chat_requests) == 3
    assert 3 * LLM_TIMEOUT_SECONDS <= elapsed < 3 * LLM_TIMEOUT_SECONDS + 1.0


async def test_a_timeout_then_an_answer_succeeds(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(Stall(5), json_reply({"facts": []}))
    assert await client.complete_json(MESSAGES, purpose="test") == '{"facts": []}'


async def test_a_dropped_connection_is_retried(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(Disconnect(), json_reply({"facts": []}))
    assert await client.complete_json(MESSAGES, purpose="test") == '{"facts": []}'
    assert len(llm.chat_requests) == 2


async def test_an_unreachable_endpoint_is_upstream_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chat = OpenAICompatibleClient(fast_llm_settings(f"http://127.0.0.1:{port}/v1"))
    try:
        with pytest.raises(UpstreamUnavailable, match="the LLM endpoint is unreachable after 3 attempts"):
            await chat.complete_json(MESSAGES, purpose="test")
    finally:
        await chat.aclose()


async def test_a_rejected_request_is_not_retried(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(HttpError(401, {"error": {"message": "Incorrect API key provided"}}), json_reply({}))
    with pytest.raises(UpstreamUnavailable, match=r"rejected the request \(HTTP 401: Incorrect API key provided\)"):
        await client.complete_json(MESSAGES, purpose="test")
    assert len(llm.chat_requests) == 1


async def test_an_answer_that_is_not_a_chat_completion_is_model_output(
    llm: ScriptedLLM, client: OpenAICompatibleClient
) -> None:
    llm.script(RawResponse(200, b"<html>gateway page</html>", "text/html"))
    with pytest.raises(ModelOutputError, match="not a chat completion"):
        await client.complete_json(MESSAGES, purpose="test")
    llm.script(Completion(None))
    with pytest.raises(ModelOutputError, match="no text content"):
        await client.complete_json(MESSAGES, purpose="test")


async def test_each_attempt_is_capped_by_the_callers_deadline(llm: ScriptedLLM) -> None:
    chat = OpenAICompatibleClient(fast_llm_settings(llm.base_url, timeout_seconds=10))
    llm.script(Stall(5), json_reply({"facts": []}))
    started = time.perf_counter()
    try:
        with deadline_scope(0.4), pytest.raises(UpstreamTimeout, match="after 1 attempt"):
            await chat.complete_json(MESSAGES, purpose="test")
        assert time.perf_counter() - started < 4.0  # well before the 5 s stall: the deadline cut it
        assert len(llm.chat_requests) == 1  # no retry could fit in what was left
        with deadline_scope(0.01), pytest.raises(UpstreamTimeout, match="no time left before the request deadline"):
            await chat.complete_json(MESSAGES, purpose="test")
        assert len(llm.chat_requests) == 1
    finally:
        await chat.aclose()


# --- one repair attempt ---------------------------------------------------------------------------


async def test_invalid_json_is_repaired_once(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(garbage("Here are the facts: Loves sushi"), json_reply({"facts": ["Loves sushi"]}))
    with capture_logs() as logs:
        facts = await ask_json(client, MESSAGES, _facts, purpose="extract_facts")
    assert facts == ["Loves sushi"]
    first, repair = llm.chat_requests
    assert first.messages == MESSAGES
    assert repair.messages[:2] == MESSAGES
    assert repair.messages[2] == {"role": "assistant", "content": "Here are the facts: Loves sushi"}
    reason = "the reply is not valid JSON (Expecting value at line 1 column 1)"
    assert repair.messages[3] == {"role": "user", "content": REPAIR_PROMPT.format(reason=reason)}
    assert repair.response_format == {"type": "json_object"}
    events = [(e["event"], e.get("attempt")) for e in logs if e["event"].startswith("llm.output")]
    assert events == [("llm.output_invalid", 1), ("llm.output_repaired", None)]


async def test_a_schema_violation_is_repaired_with_its_reason(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(json_reply({"memory": ["Loves sushi"]}), json_reply({"facts": ["Loves sushi"]}))
    assert await ask_json(client, MESSAGES, _facts, purpose="extract_facts") == ["Loves sushi"]
    assert 'the key "facts" is missing' in llm.chat_requests[1].user_prompt


async def test_invalid_twice_is_llm_output_invalid(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(garbage(), json_reply({"facts": [1, 2]}), json_reply({"facts": []}))
    with pytest.raises(LLMOutputInvalid) as raised:
        await ask_json(client, MESSAGES, _facts, purpose="extract_facts")
    assert raised.value.message == (
        'extract_facts: the model\'s output was invalid twice (after one repair attempt): "facts" must hold strings'
    )
    assert raised.value.reason == "LLM_OUTPUT_INVALID" and raised.value.http_status == 502
    assert len(llm.chat_requests) == 2
    assert llm.pending == 1


async def test_an_empty_completion_is_repaired(llm: ScriptedLLM, client: OpenAICompatibleClient) -> None:
    llm.script(Completion(None), json_reply({"facts": []}))
    assert await ask_json(client, MESSAGES, _facts, purpose="extract_facts") == []
    assert llm.chat_requests[1].messages[2] == {"role": "assistant", "content": ""}
