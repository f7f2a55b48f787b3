"""`rerank: true` and `reference_date` on REST and gRPC search: the local reranker by default, an LLM reranker
(scripted OpenAI-compatible server) on a gateway configured for it, its fallback, and the temporal boost."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import struct_pb2

from gateway.rerank import RerankSettings
from gateway.server import start_service as start_gateway
from gateway.settings import GatewaySettings
from libs.rpc.server import StartedService
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from services.extraction.settings import LLMSettings
from tests.conftest import Stack
from tests.support.scripted_llm import Completion, RecordedRequest, ScriptedLLM, server_error

# Many memories that match "hiking" better than the one the scripted LLM prefers (marked "saxophone").
FILLER = [f"Went hiking on trail number {n} in the mountains" for n in range(60)]
TARGET = "Plays the saxophone in a jazz band"


async def _add(client: httpx.AsyncClient, user: str, texts: list[str], timestamp: str | None = None) -> None:
    """One verbatim add: each text becomes a memory."""
    messages = [{"role": "user", "content": text} for text in texts]
    body: dict[str, Any] = {"messages": messages, "user_id": user, "infer": False, "async_mode": False}
    if timestamp:
        body["timestamp"] = timestamp
    response = await client.post("/v3/memories/add/", json=body)
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]) == len(texts)


async def _search(client: httpx.AsyncClient, query: str, user: str, **options: Any) -> httpx.Response:
    body = {"query": query, "filters": {"user_id": user}, "threshold": 0.0, **options}
    return await client.post("/v3/memories/search/", json=body)


def _prefers_saxophone(request: RecordedRequest) -> Completion:
    """Scores every numbered memory of the rerank prompt: 1 for the saxophone one, 0.1 for the rest."""
    lines = re.findall(r"^(\d+)\. (.*)$", request.user_prompt, flags=re.MULTILINE)
    scores = [1.0 if "saxophone" in text else 0.1 for _, text in lines]
    return Completion(f'{{"scores": {scores}}}')


@pytest.fixture(scope="module")
def rerank_llm() -> AsyncIterator[ScriptedLLM]:
    with ScriptedLLM() as llm:
        yield llm


@pytest.fixture(scope="module")
async def llm_gateway(stack: Stack, rerank_llm: ScriptedLLM, tmp_path_factory: pytest.TempPathFactory):
    """A gateway over the session stack's services whose reranker is the scripted LLM."""
    gateway: StartedService = await start_gateway(
        GatewaySettings(
            data_dir=Path(tmp_path_factory.mktemp("rerank")),
            grpc_port=0,
            http_port=0,
            metadata_addr=stack.metadata_target,
            vectorsearch_addr=stack.vectorsearch_target,
            extraction_addr=stack.extraction_target,
            rerank=RerankSettings(provider="llm", timeout_seconds=2.0),
            llm=LLMSettings(base_url=rerank_llm.base_url, model="scripted-model"),
        )
    )
    yield gateway
    await gateway.stop(grace=0.5)


@pytest.fixture
async def llm_client(stack: Stack, llm_gateway: StartedService) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{llm_gateway.extra_ports['http']}"
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {stack.key_a}"}, timeout=60) as c:
        yield c


async def test_llm_reranker_picks_from_beyond_top_k(llm_client: httpx.AsyncClient, rerank_llm: ScriptedLLM) -> None:
    user = f"rerank-{uuid.uuid4().hex[:8]}"
    await _add(llm_client, user, [*FILLER[:20], TARGET])
    plain = (await _search(llm_client, "hiking trail", user, top_k=3)).json()["results"]
    assert TARGET not in [hit["memory"] for hit in plain]
    rerank_llm.reset()
    rerank_llm.handler = _prefers_saxophone
    try:
        response = await _search(llm_client, "hiking trail", user, top_k=3, rerank=True)
    finally:
        rerank_llm.handler = None
    assert response.status_code == 200, response.text
    hits = response.json()["results"]
    assert hits[0]["memory"] == TARGET
    assert hits[0]["score"] == 1.0 and len(hits) == 3
    (request,) = rerank_llm.chat_requests
    assert len(re.findall(r"^\d+\. ", request.user_prompt, flags=re.MULTILINE)) == 21


async def test_rerank_looks_at_max_of_4_top_k_and_50(llm_client: httpx.AsyncClient, rerank_llm: ScriptedLLM) -> None:
    user = f"rerank-{uuid.uuid4().hex[:8]}"
    await _add(llm_client, user, [*FILLER, TARGET])
    shown = []
    for top_k in (3, 15):
        rerank_llm.reset()
        rerank_llm.handler = _prefers_saxophone
        try:
            response = await _search(llm_client, "hiking trail", user, top_k=top_k, rerank=True)
        finally:
            rerank_llm.handler = None
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]) == top_k
        (request,) = rerank_llm.chat_requests
        shown.append(len(re.findall(r"^\d+\. ", request.user_prompt, flags=re.MULTILINE)))
    assert shown == [50, 60]


async def test_llm_failure_keeps_first_stage_order(llm_client: httpx.AsyncClient, rerank_llm: ScriptedLLM) -> None:
    user = f"rerank-{uuid.uuid4().hex[:8]}"
    await _add(llm_client, user, [*FILLER[:5], TARGET])
    plain = (await _search(llm_client, "hiking trail", user, top_k=6)).json()["results"]
    rerank_llm.script(server_error(500))
    response = await _search(llm_client, "hiking trail", user, top_k=6, rerank=True)
    assert response.status_code == 200, response.text
    reranked = response.json()["results"]
    assert [h["id"] for h in reranked] == [h["id"] for h in plain]
    assert [h["score"] for h in reranked] == pytest.approx([h["score"] for h in plain])


async def test_grpc_rerank_uses_the_llm(stack: Stack, llm_gateway: StartedService, rerank_llm: ScriptedLLM) -> None:
    user = f"rerank-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{llm_gateway.extra_ports['http']}"
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {stack.key_a}"}) as client:
        await _add(client, user, [*FILLER[:8], TARGET])
    user_filter = common_pb2.Filter(
        condition=common_pb2.FieldCondition(
            field="user_id", op=common_pb2.FILTER_OPERATOR_EQ, value=struct_pb2.Value(string_value=user)
        )
    )
    auth = [("authorization", f"Token {stack.key_a}")]
    rerank_llm.reset()
    rerank_llm.handler = _prefers_saxophone
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{llm_gateway.port}") as channel:
            stub = pb2_grpc.MemoryServiceStub(channel)
            found = await stub.SearchMemories(
                pb2.SearchMemoriesRequest(query="hiking trail", filter=user_filter, top_k=2, rerank=True),
                metadata=auth,
            )
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await stub.SearchMemories(
                    pb2.SearchMemoriesRequest(query="x", filter=user_filter, reference_date="someday"), metadata=auth
                )
    finally:
        rerank_llm.handler = None
    assert found.results[0].memory.memory == TARGET
    assert len(rerank_llm.chat_requests) == 1
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "reference_date" in (bad.value.details() or "")


async def test_default_rerank_is_local_and_well_formed(client: httpx.AsyncClient) -> None:
    user = f"rerank-{uuid.uuid4().hex[:8]}"
    await _add(client, user, [*FILLER[:10], "Went camping by the lake last weekend"])
    response = await _search(client, "When did I go camping?", user, top_k=5, rerank=True)
    assert response.status_code == 200, response.text
    hits = response.json()["results"]
    assert len(hits) == 5
    assert hits[0]["memory"] == "Went camping by the lake last weekend"
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)


async def test_reference_date_moves_relative_queries(client: httpx.AsyncClient) -> None:
    """Same query, same first stage: only `reference_date` differs, so only the temporal boost can differ."""
    user = f"temporal-{uuid.uuid4().hex[:8]}"
    await _add(client, user, ["Went to a concert with Sam"], timestamp="2023-05-10T12:00:00Z")
    await _add(client, user, ["Went to a museum with Sam"], timestamp="2023-07-12T12:00:00Z")
    query = "Where did I go with Sam last month?"
    # Dense only: cosine scores stay below 1, so a lift shows (a first place in both hybrid lists scores 1).
    june = (await _search(client, query, user, reference_date="2023-06-15", keyword_search=False)).json()["results"]
    august = (await _search(client, query, user, reference_date=1691668800, keyword_search=False)).json()["results"]
    score = {(run, h["memory"]): h["score"] for run, hits in (("june", june), ("aug", august)) for h in hits}
    assert score[("june", "Went to a concert with Sam")] > score[("aug", "Went to a concert with Sam")]
    assert score[("aug", "Went to a museum with Sam")] > score[("june", "Went to a museum with Sam")]


async def test_bad_reference_date_is_400(client: httpx.AsyncClient) -> None:
    response = await _search(client, "anything", "someone", reference_date="next tuesday")
    assert response.status_code == 400
    assert "reference_date" in response.text
