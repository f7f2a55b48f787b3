"""The scripted OpenAI-compatible server itself, driven by the real `openai` client (benchmarks rely on it too)."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from tests.support.scripted_llm import ScriptedLLM, embed, json_reply


@pytest.fixture
async def sdk(llm: ScriptedLLM) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="sk-x", max_retries=0, timeout=5)
    yield client
    await client.close()


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_embeddings_are_deterministic_unit_vectors_in_base64_or_floats(
    llm: ScriptedLLM, sdk: openai.AsyncOpenAI
) -> None:
    texts = ["Loves sushi", "loves sushi rolls", "Lives in Berlin"]
    default = await sdk.embeddings.create(model="e", input=texts)  # the SDK asks for base64
    floats = await sdk.embeddings.create(model="e", input=texts, encoding_format="float", dimensions=16)
    assert llm.requests[0].body["encoding_format"] == "base64"
    vectors = [item.embedding for item in default.data]
    assert [len(v) for v in vectors] == [64, 64, 64]
    assert all(math.isclose(_cosine(v, v), 1.0, rel_tol=1e-5) for v in vectors)
    assert vectors[0] == pytest.approx(embed("Loves sushi"), abs=1e-6)
    assert _cosine(vectors[0], vectors[1]) > _cosine(vectors[0], vectors[2])
    assert [len(item.embedding) for item in floats.data] == [16, 16, 16]


async def test_latency_applies_to_every_chat_call(llm: ScriptedLLM, sdk: openai.AsyncOpenAI) -> None:
    llm.latency = 0.2
    llm.script(json_reply({"facts": []}))
    started = time.perf_counter()
    completion = await sdk.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], response_format={"type": "json_object"}
    )
    assert 0.2 <= time.perf_counter() - started < 3.0  # the knob adds its delay (upper bound: no hang)
    assert completion.choices[0].message.content == '{"facts": []}'
    assert completion.model == "m"


async def test_the_handler_answers_when_the_queue_is_empty(llm: ScriptedLLM, sdk: openai.AsyncOpenAI) -> None:
    llm.handler = lambda request: json_reply({"echo": request.user_prompt})
    llm.script(json_reply({"first": True}))
    answers = []
    for text in ("one", "two"):
        completion = await sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
        answers.append(completion.choices[0].message.content)
    assert answers == ['{"first": true}', '{"echo": "two"}']
    assert [r.user_prompt for r in llm.chat_requests] == ["one", "two"]


async def test_without_a_script_the_server_says_so(llm: ScriptedLLM) -> None:
    async with httpx.AsyncClient(base_url=llm.base_url) as http:
        response = await http.post("/chat/completions", json={"model": "m", "messages": []})
        models = await http.get("/models")
    assert response.status_code == 418
    assert "no reply scripted" in response.json()["error"]["message"]
    assert models.json()["data"][0]["id"] == "scripted-model"


def test_it_is_a_context_manager_on_a_free_port() -> None:
    with ScriptedLLM() as first, ScriptedLLM() as second:
        assert first.port != second.port
        assert first.base_url == f"http://127.0.0.1:{first.port}/v1"
    with pytest.raises(RuntimeError, match="not running"):
        _ = first.port
