"""One evaluation run: ingest a LOCOMO file through the REST API, ask every question under each search
configuration (plus a local BM25 baseline), and write JSON + markdown to bench/results/."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from bench.eval.bm25 import Bm25
from bench.eval.client import MemgridRest, dia_ids
from bench.eval.locomo import Conversation, Dataset, load
from bench.eval.metrics import KS, Outcome, by_category
from bench.eval.report import markdown

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
# Search configurations the API offers (request options), run in this order after the local BM25 baseline.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "dense": {"keyword_search": False, "rerank": False},
    "hybrid": {"keyword_search": True, "rerank": False},
    # The configured reranker (MEMGRID_RERANK__PROVIDER; the local one by default) over a wider hybrid stage.
    "hybrid-rerank": {"keyword_search": True, "rerank": True},
}
BASELINE = "bm25"
# Environment variables of the in-process server recorded in a report (they change ranking).
SERVER_ENV = ("MEMGRID_RERANK__", "MEMGRID_LLM__MODEL")
DEFAULT_CONFIGURATIONS = ("dense", "hybrid")


@dataclass(slots=True)
class EvalSettings:
    path: Path
    name: str
    out: Path = RESULTS_DIR
    url: str | None = None
    api_key: str | None = None
    configurations: tuple[str, ...] = DEFAULT_CONFIGURATIONS
    conversations: tuple[str, ...] = ()
    infer: bool = False
    concurrency: int = 4
    progress: bool = True
    data_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def scope_ids(run_tag: str, conversation: Conversation, speaker: str) -> tuple[str, str]:
    """(user_id, run_id) of a turn: one user per speaker; the conversation is the run, and every question's
    search is filtered by it, since a question may be about either speaker (a run id new to every evaluation
    run keeps runs against one long-lived server apart)."""
    run_id = f"{run_tag}:{conversation.id}"
    return f"{run_id}:{speaker}", run_id


async def evaluate(settings: EvalSettings) -> dict[str, Any]:
    dataset = load(settings.path)
    if settings.conversations:
        dataset = _only(dataset, settings.conversations)
    unknown = set(settings.configurations) - set(CONFIGURATIONS)
    if unknown:
        raise ValueError(f"unknown configurations: {', '.join(sorted(unknown))} (known: {', '.join(CONFIGURATIONS)})")
    run_tag = f"locomo-{uuid.uuid4().hex[:8]}"
    started = datetime.now(UTC)
    async with _rest_client(settings) as client:
        rest = MemgridRest(client)
        ingest_seconds = await _ingest(rest, dataset, run_tag, settings)
        results = {BASELINE: _bm25_outcomes(dataset)}
        results |= await _ask(rest, dataset, run_tag, settings.configurations, settings.progress)
    report = {
        "name": settings.name,
        "started_at": started.isoformat(),
        "dataset": str(settings.path),
        "conversations": [c.id for c in dataset.conversations],
        "turns": sum(len(c.turns) for c in dataset.conversations),
        "questions": len(dataset.questions),
        "evidence": {
            "valid": dataset.repairs.valid,
            "repaired": dataset.repairs.repaired,
            "skipped": dataset.repairs.skipped,
            "examples": dataset.repairs.examples,
        },
        "dropped_questions": dict(dataset.dropped),
        "infer": settings.infer,
        "server": settings.url or "in-process stack (temporary data dir)",
        # Ranking settings of the in-process server, as far as the environment changes them.
        "server_env": {} if settings.url else {k: v for k, v in os.environ.items() if k.startswith(SERVER_ENV)},
        "ingest_seconds": round(ingest_seconds, 1),
        "configurations": {BASELINE: {"local": True}} | {n: CONFIGURATIONS[n] for n in settings.configurations},
        "results": {name: by_category(outcomes) for name, outcomes in results.items()},
        **settings.extra,
    }
    settings.out.mkdir(parents=True, exist_ok=True)
    (settings.out / f"{settings.name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (settings.out / f"{settings.name}.md").write_text(markdown(report), encoding="utf-8")
    return report


def _only(dataset: Dataset, ids: tuple[str, ...]) -> Dataset:
    keep = set(ids)
    return Dataset(
        tuple(c for c in dataset.conversations if c.id in keep),
        tuple(q for q in dataset.questions if q.conversation_id in keep),
        dataset.repairs,
        dataset.dropped,
    )


@contextlib.asynccontextmanager
async def _rest_client(settings: EvalSettings) -> AsyncIterator[httpx.AsyncClient]:
    if settings.url:
        headers = {"Authorization": f"Token {settings.api_key}"} if settings.api_key else {}
        async with httpx.AsyncClient(base_url=settings.url, headers=headers, timeout=120) as client:
            yield client
        return
    from tests.support.stack import start_stack  # the in-process stack: only needed without --url

    api_key = f"eval-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="memgrid-eval-") as tmp:
        data_dir = settings.data_dir or Path(tmp)
        running = await start_stack(data_dir, f"{api_key}=eval/{settings.name}")
        try:
            headers = {"Authorization": f"Token {api_key}"}
            async with httpx.AsyncClient(base_url=running.rest_url, headers=headers, timeout=120) as client:
                yield client
        finally:
            await running.stop()


async def _ingest(rest: MemgridRest, dataset: Dataset, run_tag: str, settings: EvalSettings) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    work = [(c, t) for c in dataset.conversations for t in c.turns]
    limit = asyncio.Semaphore(settings.concurrency)
    with tqdm(total=len(work), desc="ingest", unit="turn", disable=not settings.progress) as bar:

        async def add(conversation: Conversation, turn: Any) -> None:
            user_id, run_id = scope_ids(run_tag, conversation, turn.speaker)
            async with limit:
                await rest.add_turn(turn, user_id=user_id, run_id=run_id, infer=settings.infer)
            bar.update()

        await asyncio.gather(*(add(c, t) for c, t in work))
    return loop.time() - started


async def _ask(
    rest: MemgridRest, dataset: Dataset, run_tag: str, names: tuple[str, ...], progress: bool
) -> dict[str, list[Outcome]]:
    """Each question under every configuration, one search at a time (latencies of an otherwise idle server),
    the configurations taking turns to go first so that load drifting over the run hits them alike."""
    conversations = {c.id: c for c in dataset.conversations}
    outcomes: dict[str, list[Outcome]] = {name: [] for name in names}
    for index, question in enumerate(tqdm(dataset.questions, desc="search", unit="q", disable=not progress)):
        conversation = conversations[question.conversation_id]
        _, run_id = scope_ids(run_tag, conversation, conversation.speakers[0])
        shift = index % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            hits, elapsed = await rest.search(
                question.question, run_id=run_id, top_k=max(KS), options=CONFIGURATIONS[name]
            )
            outcomes[name].append(Outcome(question.category, question.evidence, dia_ids(hits), elapsed))
    return outcomes


def _bm25_outcomes(dataset: Dataset) -> list[Outcome]:
    indexes: dict[str, tuple[Bm25, Callable[[int], str]]] = {}
    for conversation in dataset.conversations:
        turns = conversation.turns
        indexes[conversation.id] = (Bm25([t.content for t in turns]), lambda i, turns=turns: turns[i].dia_id)
    outcomes = []
    for question in dataset.questions:
        index, dia_id = indexes[question.conversation_id]
        ranked = tuple(dia_id(i) for i in index.top(question.question, max(KS)))
        outcomes.append(Outcome(question.category, question.evidence, ranked, None))
    return outcomes
