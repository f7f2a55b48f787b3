"""Second-stage ranking: rerankers behind one interface, and the temporal boost.

A search with `rerank: true` takes a wider first-stage candidate set (max(top_k * 4, 50), mem0ai/mem0#6448:
reranking a truncated top-k cannot bring anything up) and orders it by the configured reranker before cutting
to top_k (MEMGRID_RERANK__PROVIDER):

- `local` (the default): no model call. The first-stage score lifted by how much of the query the memory
  covers (its content words, weighted by their rarity among the candidates) and by the temporal boost.
  Cheap; measured on the LOCOMO dev split.
- `llm`: the OpenAI-compatible endpoint the extraction service uses (the same MEMGRID_LLM__* settings) scores
  the numbered candidates; on any failure or timeout the first-stage order is kept (logged, never an error).

The temporal boost on its own (MEMGRID_RERANK__TEMPORAL_BOOST) applies to every search: a memory created in the
period a query names ("in May 2023", "last week" — relative to `reference_date`), or one that dates an event
("yesterday") when the query asks "when ...?", moves up. Boosts lift a score s towards 1 (s + (1 - s) * w), so
scores stay in [0, 1] and never drop.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

import structlog
from pydantic import BaseModel, Field

from gateway import temporal
from libs.errors import MemgridError
from services.extraction.llm.client import OpenAICompatibleClient
from services.extraction.llm.structured import ModelOutputError, decode_json_object
from services.extraction.settings import LLMSettings

log = structlog.get_logger()

# First-stage candidates a reranked search looks at: max(top_k * RERANK_WIDEN, RERANK_MIN_CANDIDATES).
RERANK_WIDEN = 4
RERANK_MIN_CANDIDATES = 50
# Characters of one memory shown to the LLM reranker.
LLM_CANDIDATE_CHARS = 500

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an the and or but of to in on at for by with from about as is are was were be been being do does did "
    "doing have has had having i you he she it we they me him her us them my your his its our their this that "
    "these those what which who whom whose when where why how there here not no so if then than too very can "
    "could would should will shall may might must just also any all some".split()
)


def rerank_candidates(top_k: int) -> int:
    return max(top_k * RERANK_WIDEN, RERANK_MIN_CANDIDATES)


class RerankSettings(BaseModel):
    """MEMGRID_RERANK__* (gateway)."""

    # What `rerank: true` uses: `local` (no model) or `llm` (needs MEMGRID_LLM__BASE_URL).
    provider: Literal["local", "llm"] = "local"
    # Seconds the LLM reranker may take before the first-stage order is kept.
    timeout_seconds: float = Field(10.0, gt=0)
    # The temporal boost on every search, reranked or not (see the module docstring).
    temporal_boost: bool = True
    # Weights (measured, bench/results/locomo-rerank-temporal.md): a memory created in the period the query
    # names; a memory dating an event, for a "when" question; the query coverage of the local reranker.
    period_weight: float = Field(0.2, ge=0, le=1)
    when_weight: float = Field(0.2, ge=0, le=1)
    coverage_weight: float = Field(0.4, ge=0, le=1)
    # Days after the named period a memory still counts as in it (people tell of events days later).
    period_slack_days: int = Field(7, ge=0)


@dataclass(frozen=True, slots=True)
class RerankCandidate:
    text: str
    created_at: datetime
    # First-stage score in [0, 1].
    score: float


class Reranker(Protocol):
    name: str

    async def aclose(self) -> None: ...

    async def rerank(
        self, query: str, candidates: Sequence[RerankCandidate], reference_date: date | None = None
    ) -> list[float]:
        """One score in [0, 1] per candidate, in order (higher is more relevant)."""
        ...


def lift(score: float, weight: float) -> float:
    return score + (1.0 - score) * weight


def content_words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS and len(word) > 1}


@dataclass(frozen=True, slots=True)
class _Prefixes:
    """A text's words (longer than 2 letters) as prefixes, for matching words up to their endings."""

    # Every prefix of 2 to 5 letters of every word.
    leading: frozenset[str]
    # Every word's first 5 letters (the whole word if shorter).
    heads: frozenset[str]

    @staticmethod
    def of(text: str) -> _Prefixes:
        words = [word for word in content_words(text) if len(word) > 2]
        return _Prefixes(frozenset(w[:k] for w in words for k in range(2, 6)), frozenset(w[:5] for w in words))

    def match(self, query_word: str) -> bool:
        """Whether a word of the text starts with the query word's first 5 letters, or the query word starts
        with a word's first 5 letters ("camping" finds "camp" and "camped")."""
        return query_word[:5] in self.leading or any(query_word[:n] in self.heads for n in range(3, 6))


def weighted_coverage(query: str, texts: Sequence[str]) -> list[float]:
    """Per text, the share of the query's content words it contains, each word weighted by its rarity among the
    texts (an idf over the candidate set: a word every candidate has tells them apart less)."""
    query_words = content_words(query)
    docs = [_Prefixes.of(text) for text in texts]
    if not query_words or not docs:
        return [0.0] * len(docs)
    found = {word: [doc.match(word) for doc in docs] for word in query_words}
    idf = {word: math.log(1 + len(docs) / (1 + sum(hits))) for word, hits in found.items()}
    total = sum(idf.values())
    return [sum(idf[word] for word in query_words if found[word][index]) / total for index in range(len(docs))]


class TemporalBoost:
    """The temporal boost (module docstring); `applies` is False for a query with no time in it."""

    def __init__(self, settings: RerankSettings, query: str, reference_date: date | None) -> None:
        self._settings = settings
        self._period = temporal.named_period(query, reference_date)
        self._when = temporal.asks_when(query)

    @property
    def applies(self) -> bool:
        return self._settings.temporal_boost and (self._period is not None or self._when)

    def __call__(self, candidate: RerankCandidate, score: float) -> float:
        settings = self._settings
        if not settings.temporal_boost:
            return score
        if self._period and self._period.contains(candidate.created_at.date(), slack_days=settings.period_slack_days):
            score = lift(score, settings.period_weight)
        if self._when and temporal.dates_an_event(candidate.text):
            score = lift(score, settings.when_weight)
        return score


class LocalReranker:
    """First-stage score, lifted by query coverage and the temporal boost; no model call."""

    name = "local"

    def __init__(self, settings: RerankSettings) -> None:
        self._settings = settings

    async def aclose(self) -> None:
        return None

    async def rerank(
        self, query: str, candidates: Sequence[RerankCandidate], reference_date: date | None = None
    ) -> list[float]:
        covered = weighted_coverage(query, [c.text for c in candidates])
        boost = TemporalBoost(self._settings, query, reference_date)
        weight = self._settings.coverage_weight
        return [boost(c, lift(c.score, weight * share)) for c, share in zip(candidates, covered, strict=True)]


RERANK_PROMPT = (
    "You rank memories by how useful each is for answering a query. You get the query and numbered memories. "
    'Reply with one JSON object {"scores": [...]}: one number from 0 (irrelevant) to 1 (answers the query) for '
    "every memory, in the order given, and nothing else."
)


class LlmReranker:
    """Scores from an OpenAI-compatible chat model; the first-stage scores when it fails or takes too long."""

    name = "llm"

    def __init__(self, llm: LLMSettings, settings: RerankSettings) -> None:
        # One attempt within the rerank timeout: a slow reranker must not hold the search up.
        self._client = OpenAICompatibleClient(
            llm.model_copy(update={"max_retries": 0, "timeout_seconds": settings.timeout_seconds})
        )
        self._timeout = settings.timeout_seconds

    async def aclose(self) -> None:
        await self._client.aclose()

    async def rerank(
        self, query: str, candidates: Sequence[RerankCandidate], reference_date: date | None = None
    ) -> list[float]:
        if not candidates:
            return []
        listing = "\n".join(
            f"{index}. {' '.join(c.text.split())[:LLM_CANDIDATE_CHARS]}" for index, c in enumerate(candidates)
        )
        messages = [
            {"role": "system", "content": RERANK_PROMPT},
            {"role": "user", "content": f"Query: {query}\n\nMemories:\n{listing}"},
        ]
        try:
            answer = await asyncio.wait_for(self._client.complete_json(messages, purpose="rerank"), self._timeout)
            return parse_scores(answer, len(candidates))
        except (MemgridError, ModelOutputError, TimeoutError) as error:
            log.warning(
                "rerank.fallback", reranker=self.name, reason=getattr(error, "reason", None) or type(error).__name__
            )
            return [c.score for c in candidates]


def parse_scores(answer: str, count: int) -> list[float]:
    """The `scores` list of a reranker answer, each clamped to [0, 1]; ModelOutputError if it does not fit."""
    decoded = decode_json_object(answer)
    scores = decoded.get("scores")
    if not isinstance(scores, list) or len(scores) != count:
        raise ModelOutputError(f"expected a list of {count} scores under 'scores'")
    if not all(isinstance(s, int | float) and not isinstance(s, bool) for s in scores):
        raise ModelOutputError("every score must be a number")
    return [min(1.0, max(0.0, float(s))) for s in scores]


def build_reranker(settings: RerankSettings, llm: LLMSettings) -> Reranker:
    if settings.provider == "llm":
        if not llm.base_url:
            raise ValueError("MEMGRID_RERANK__PROVIDER=llm needs MEMGRID_LLM__BASE_URL (the extraction LLM endpoint)")
        return LlmReranker(llm, settings)
    return LocalReranker(settings)
