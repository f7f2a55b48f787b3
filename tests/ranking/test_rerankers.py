"""The rerankers of gateway/rerank.py: the local one (pure), and the LLM one against a scripted
OpenAI-compatible server over real HTTP, including its fallback to the first-stage order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from gateway.rerank import (
    LlmReranker,
    LocalReranker,
    RerankCandidate,
    RerankSettings,
    TemporalBoost,
    build_reranker,
    lift,
    parse_scores,
    rerank_candidates,
    weighted_coverage,
)
from services.extraction.llm.structured import ModelOutputError
from services.extraction.settings import LLMSettings
from tests.support.scripted_llm import Disconnect, ScriptedLLM, Stall, garbage, json_reply, server_error


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


CANDIDATES = [
    RerankCandidate("Likes hiking in the Alps", _at("2023-05-02"), 0.6),
    RerankCandidate("Went camping at the lake last week", _at("2023-06-20"), 0.5),
    RerankCandidate("Owns a red bicycle", _at("2023-05-10"), 0.3),
]


def test_rerank_candidates_widen_the_first_stage() -> None:
    assert rerank_candidates(10) == 50
    assert rerank_candidates(20) == 80
    assert rerank_candidates(1) == 50


def test_lift_stays_in_unit_interval_and_never_lowers() -> None:
    for score in (0.0, 0.3, 1.0):
        for weight in (0.0, 0.5, 1.0):
            lifted = lift(score, weight)
            assert score <= lifted <= 1.0
    assert lift(0.5, 0.5) == 0.75


def test_weighted_coverage_prefers_rare_query_words() -> None:
    texts = ["Alex went camping", "Alex went to work", "Alex likes tea"]
    shares = weighted_coverage("When did Alex go camping?", texts)
    assert shares[0] > shares[1] >= 0.0
    assert shares[1] == shares[2]  # "alex" is in every text; "camping" only in the first
    assert weighted_coverage("the of and", texts) == [0.0, 0.0, 0.0]


async def test_local_reranker_brings_the_covering_memory_up() -> None:
    reranker = LocalReranker(RerankSettings())
    scores = await reranker.rerank("When did she go camping?", CANDIDATES)
    assert len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > scores[0]  # covers "camping" and dates the event; the first stage had it second
    assert scores[2] == pytest.approx(0.3)  # covers nothing, dates nothing: unchanged


async def test_temporal_boost_uses_the_period_and_reference_date() -> None:
    settings = RerankSettings(period_weight=0.5, when_weight=0.0)
    boost = TemporalBoost(settings, "what did I do last week?", date(2023, 5, 12))
    assert boost.applies
    # "last week" of 12 May is 29 April - 5 May, plus 7 days of slack for telling of it later.
    assert boost(CANDIDATES[0], 0.4) == pytest.approx(0.7)  # 2 May: in the week
    assert boost(CANDIDATES[2], 0.4) == pytest.approx(0.7)  # 10 May: within the slack
    assert boost(CANDIDATES[1], 0.4) == 0.4  # 20 June: outside
    off = TemporalBoost(RerankSettings(temporal_boost=False), "what did I do last week?", date(2023, 5, 12))
    assert not off.applies and off(CANDIDATES[2], 0.4) == 0.4
    assert not TemporalBoost(settings, "what do I like?", None).applies


def test_parse_scores() -> None:
    assert parse_scores('{"scores": [0.2, 1, 3, -1]}', 4) == [0.2, 1.0, 1.0, 0.0]
    assert parse_scores('```json\n{"scores": [0.5]}\n```', 1) == [0.5]
    for bad in ('{"scores": [0.1]}', '{"scores": "high"}', '{"scores": [true, 0.1]}', '{"other": []}', "[]"):
        with pytest.raises(ModelOutputError):
            parse_scores(bad, 2)


def test_llm_provider_needs_an_endpoint() -> None:
    with pytest.raises(ValueError, match="MEMGRID_LLM__BASE_URL"):
        build_reranker(RerankSettings(provider="llm"), LLMSettings())
    assert isinstance(build_reranker(RerankSettings(), LLMSettings()), LocalReranker)


@pytest.fixture
def llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def _reranker(llm: ScriptedLLM, timeout: float = 5.0) -> LlmReranker:
    settings = LLMSettings(base_url=llm.base_url, model="scripted-model", max_retries=3)
    return LlmReranker(settings, RerankSettings(provider="llm", timeout_seconds=timeout))


async def test_llm_reranker_scores_numbered_candidates(llm: ScriptedLLM) -> None:
    llm.script(json_reply({"scores": [0.1, 0.9, 0.4]}))
    reranker = _reranker(llm)
    try:
        scores = await reranker.rerank("When did she go camping?", CANDIDATES)
    finally:
        await reranker.aclose()
    assert scores == [0.1, 0.9, 0.4]
    request = llm.chat_requests[0]
    assert request.response_format == {"type": "json_object"}
    assert "Query: When did she go camping?" in request.user_prompt
    assert "1. Went camping at the lake last week" in request.user_prompt
    assert '"scores"' in request.system_prompt


async def test_llm_reranker_with_no_candidates_calls_nothing(llm: ScriptedLLM) -> None:
    reranker = _reranker(llm)
    assert await reranker.rerank("anything", []) == []
    await reranker.aclose()
    assert llm.chat_requests == []


@pytest.mark.parametrize(
    "reply",
    [server_error(503), garbage(), json_reply({"scores": [1.0]}), Disconnect(), Stall(3.0)],
    ids=["5xx", "not-json", "wrong-count", "disconnect", "timeout"],
)
async def test_llm_reranker_falls_back_to_first_stage_scores(llm: ScriptedLLM, reply: object) -> None:
    llm.script(reply)  # type: ignore[arg-type]
    reranker = _reranker(llm, timeout=0.5)
    try:
        scores = await reranker.rerank("camping", CANDIDATES)
    finally:
        await reranker.aclose()
    assert scores == [c.score for c in CANDIDATES]
    assert len(llm.chat_requests) == 1  # one attempt: a reranker does not retry
