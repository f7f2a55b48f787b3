"""`python -m bench add-infer`: end-to-end latency of add(infer=True) through the gateway with a scripted LLM.

The stack runs in-process (bench/stack.py) with its extraction service pointed at a ScriptedLLM
(tests/support/scripted_llm.py) that answers every chat call after a fixed latency. Each add sends a 6-message
conversation (3 user + 3 assistant messages); the LLM extracts 5 facts from it and, when asked to reconcile,
ADDs every new fact. Two cases per surface (REST /v1/memories/ and gRPC AddMemories), one add in flight:
- first_add:   a fresh user, so there are no candidates and only the extraction call is made (1 LLM call);
- related_add: the same user again with a related conversation: extraction + reconciliation (2 LLM calls).
The LLM calls of every add are counted from the server's recorded requests. Overhead = latency - calls x LLM
latency. Target (issue #4): calls x LLM latency + slack (100 ms), judged on p95.

With `--mem0-baseline` the same adds then go through the mem0 OSS library (`mem0.Memory`, 2.2.1) in its own
virtualenv (.venv-mem0, created on first use; bench/mem0_baseline/), configured with the same scripted LLM (same
latency, answering mem0's single extraction call with the same 5 facts), a local MiniLM embedder and Milvus Lite
2.5.1; its p50/p95/max and LLM calls per add land under `baseline` beside memgrid's, with memgrid/mem0 ratios.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import httpx

from bench import report
from bench.clients import TIMEOUT_SECONDS
from bench.mem0_baseline import venv as mem0_venv
from bench.run import RESULTS_DIR, write_result
from bench.stack import API_KEY, start_bench_stack
from bench.stats import summarize
from libs.logging import configure_logging
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb
from memgrid.memory.v1 import memory_service_pb2_grpc as pb_grpc
from services.extraction.settings import LLMSettings
from tests.support.scripted_llm import HttpError, RecordedRequest, Reply, ScriptedLLM, json_reply

WORKLOAD = "add-infer"
BASELINE_NOTE = "mem0 OSS baseline: not measured yet"
MEM0_LABEL = "mem0 OSS Memory (Milvus Lite 2.5.1, MiniLM)"
MEM0_TIMEOUT_SECONDS = 1800.0


@dataclass(frozen=True, slots=True)
class Conversation:
    messages: tuple[tuple[str, str], ...]  # (role, content)
    facts: tuple[str, ...]  # what the scripted LLM extracts from it


FIRST = Conversation(
    messages=(
        ("user", "Hi, I'm Dana and I live in Lisbon. I work as a nurse at the city hospital."),
        ("assistant", "Nice to meet you, Dana! How do you like working at the hospital?"),
        ("user", "I love it, but the night shifts are hard. I have a golden retriever named Max."),
        ("assistant", "Max sounds lovely. Do you take him on walks after your shifts?"),
        ("user", "Yes, we walk along the river every morning before I sleep."),
        ("assistant", "That sounds like a calming routine after a long night."),
    ),
    facts=(
        "Name is Dana",
        "Lives in Lisbon",
        "Works as a nurse at the city hospital",
        "Has a golden retriever named Max",
        "Walks Max along the river every morning",
    ),
)
RELATED = Conversation(
    messages=(
        ("user", "Max and I are moving to Porto next month. I got a job at a children's hospital there."),
        ("assistant", "Congratulations! Will you still be working night shifts?"),
        ("user", "No, only day shifts now, finally. I'm also learning to surf on weekends."),
        ("assistant", "Porto has great beaches for that. Have you found a place to live yet?"),
        ("user", "Yes, a flat near the Foz beach with a small garden for Max."),
        ("assistant", "Perfect for both of you. Good luck with the move!"),
    ),
    facts=(
        "Is moving to Porto next month with Max",
        "Got a job at a children's hospital in Porto",
        "Will only work day shifts",
        "Is learning to surf on weekends",
        "Found a flat near Foz beach with a small garden",
    ),
)
# (case, conversation, LLM calls expected)
CASES: tuple[tuple[str, Conversation, int], ...] = (("first_add", FIRST, 1), ("related_add", RELATED, 2))
SURFACES = ("rest", "grpc")


@dataclass(slots=True)
class Settings:
    name: str
    llm_latency_ms: float = 200.0
    runs: int = 20
    warmup: int = 2
    slack_ms: float = 100.0
    out_dir: Path = RESULTS_DIR
    data_dir: Path | None = None
    mem0_baseline: bool = False
    # A Milvus server (http://host:19530) instead of Milvus Lite.
    milvus_uri: str | None = None


@dataclass(slots=True)
class Responder:
    """The scripted LLM's handler: extraction → the conversation's 5 facts; reconciliation → ADD every fact."""

    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        try:
            payload = request.user_json()
            if "conversation" in payload:
                first = payload["conversation"][0]["content"]
                for _, conversation, _ in CASES:
                    if conversation.messages[0][1] == first:
                        facts = [
                            {"text": text, "attributed_to": "user", "categories": []} for text in conversation.facts
                        ]
                        return json_reply({"facts": facts})
                raise ValueError(f"an unknown conversation starting {first[:60]!r}")
            if "existing_memories" in payload:
                return json_reply({"actions": [{"fact": f["fact"], "event": "ADD"} for f in payload["new_facts"]]})
            raise ValueError("a request that is neither extraction nor reconciliation")
        except (ValueError, KeyError, IndexError, TypeError) as error:
            with self._lock:
                self.problems.append(repr(error))
            return HttpError(418, {"error": {"message": f"bench responder: {error!r}"}})


class RestAdder:
    name = "rest"

    def __init__(self, base_url: str) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Token {API_KEY}"}, timeout=TIMEOUT_SECONDS
        )

    async def add(self, user_id: str, conversation: Conversation) -> list[str]:
        body = {
            "messages": [{"role": role, "content": content} for role, content in conversation.messages],
            "user_id": user_id,
            "infer": True,
        }
        response = await self._http.post("/v1/memories/", json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"POST /v1/memories/: HTTP {response.status_code}: {response.text[:200]}")
        return [item["event"] for item in response.json()["results"]]

    async def close(self) -> None:
        await self._http.aclose()


class GrpcAdder:
    name = "grpc"
    _ROLES = {"user": common_pb2.ROLE_USER, "assistant": common_pb2.ROLE_ASSISTANT}

    def __init__(self, target: str) -> None:
        self._channel = grpc.aio.insecure_channel(target)
        self._stub = pb_grpc.MemoryServiceStub(self._channel)
        self._metadata = (("authorization", f"Token {API_KEY}"),)

    async def add(self, user_id: str, conversation: Conversation) -> list[str]:
        request = pb.AddMemoriesRequest(
            messages=[common_pb2.Message(role=self._ROLES[r], content=c) for r, c in conversation.messages],
            scope=common_pb2.Scope(user_id=user_id),
            infer=True,
        )
        response = await self._stub.AddMemories(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        return [common_pb2.MemoryEvent.Name(change.event).removeprefix("MEMORY_EVENT_") for change in response.results]

    async def close(self) -> None:
        await self._channel.close()


@dataclass(slots=True)
class Samples:
    seconds: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    # Seconds from the add's start to the first LLM request, and from the last LLM answer to the add's end.
    before_llm: list[float] = field(default_factory=list)
    after_llm: list[float] = field(default_factory=list)
    # Seconds between the extraction answer and the reconciliation request (2-call adds only).
    between_llm: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def run_add_infer(settings: Settings, command: str) -> dict[str, Any]:
    configure_logging(service="bench", level="warning")
    logging.basicConfig(level=logging.WARNING)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    latency_s = settings.llm_latency_ms / 1000
    result: dict[str, Any] = {
        "name": settings.name,
        "workload": WORKLOAD,
        "command": command,
        "started_at": started_at.isoformat(),
        "machine": report.machine(),
        "versions": report.versions(),
        "git": report.git_state(),
        "settings": {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()},
            "messages_per_add": len(FIRST.messages),
            "facts_per_add": len(FIRST.facts),
            "target": "p95 <= expected LLM calls x llm_latency_ms + slack_ms",
            "llm": "tests/support/scripted_llm.ScriptedLLM over loopback HTTP, fixed latency per chat call",
            "topology": "all four services, the scripted LLM and the client in one process, loopback",
            "vector_backend": f"milvus server {settings.milvus_uri}" if settings.milvus_uri else "milvus lite",
            "concurrency": 1,
        },
        "baseline": {"mem0_oss": "not measured yet"},
    }
    responder = Responder()
    llm = ScriptedLLM(latency=latency_s, handler=responder).start()
    llm_settings = LLMSettings(
        base_url=llm.base_url, api_key="sk-bench", model="scripted-model", timeout_seconds=30, max_retries=0
    )
    samples: dict[tuple[str, str], Samples] = {(s, case): Samples() for s in SURFACES for case, _, _ in CASES}
    try:
        with tempfile.TemporaryDirectory(prefix="memgrid-bench-") as scratch:
            data_dir = settings.data_dir or Path(scratch)
            print(f"bench: starting the stack in {data_dir} (LLM latency {settings.llm_latency_ms:g} ms)", flush=True)
            stack = await start_bench_stack(data_dir, llm=llm_settings, milvus_uri=settings.milvus_uri)
            adders = {"rest": RestAdder(stack.rest_url), "grpc": GrpcAdder(stack.grpc_target)}
            try:
                for surface in SURFACES:
                    for run in range(settings.warmup + settings.runs):
                        user_id = f"add-infer-{surface}-{run:03d}-{uuid.uuid4().hex[:6]}"
                        for case, conversation, _ in CASES:
                            sample = await _one_add(adders[surface], user_id, conversation, llm, latency_s)
                            if run >= settings.warmup:
                                _record(samples[(surface, case)], sample, latency_s)
                    print(f"bench: {surface} done", flush=True)
            finally:
                for adder in adders.values():
                    await adder.close()
                await stack.stop()
    finally:
        llm.stop()
    rows = []
    for surface in SURFACES:
        for case, _, expected_calls in CASES:
            rows.append(_row(surface, case, expected_calls, samples[(surface, case)], settings))
    result["cases"] = rows
    if settings.mem0_baseline:
        result["baseline"] = {"mem0_oss": run_mem0_baseline(settings)}
        result["baseline"]["ratios"] = _ratios(rows, result["baseline"]["mem0_oss"]["cases"])
    result["llm_requests_total"] = len(llm.chat_requests)
    result["responder_problems"] = responder.problems[:5]
    result["verdict"] = "PASS" if rows and all(row["verdict"] == "PASS" for row in rows) else "FAIL"
    result["machine_end"] = {"load_average": report.machine()["load_average"]}
    result["finished_at"] = datetime.now(UTC).isoformat()
    result["duration_s"] = round(time.perf_counter() - started, 1)
    write_result(result, settings.out_dir, markdown(result))
    return result


@dataclass(slots=True)
class _Sample:
    seconds: float
    requests: list[RecordedRequest]
    began: float
    ended: float
    events: list[str]
    error: str | None = None


async def _one_add(
    adder: RestAdder | GrpcAdder, user_id: str, conversation: Conversation, llm: ScriptedLLM, latency_s: float
) -> _Sample:
    before = len(llm.chat_requests)
    began = time.monotonic()
    error = None
    events: list[str] = []
    try:
        events = await adder.add(user_id, conversation)
    except Exception as failure:  # counted and reported; a failed add fails the case
        error = f"{type(failure).__name__}: {str(failure)[:200]}"
    ended = time.monotonic()
    requests = llm.chat_requests[before:]
    if error is None and events != ["ADD"] * len(conversation.facts):
        error = f"unexpected events {events}"
    return _Sample(ended - began, requests, began, ended, events, error)


def _record(samples: Samples, sample: _Sample, latency_s: float) -> None:
    if sample.error is not None:
        samples.errors.append(sample.error)
        return
    samples.seconds.append(sample.seconds)
    samples.calls.append(len(sample.requests))
    if sample.requests:
        first, last = sample.requests[0], sample.requests[-1]
        samples.before_llm.append(first.received_at - sample.began)
        samples.after_llm.append(sample.ended - last.received_at - latency_s)
        if len(sample.requests) == 2:
            samples.between_llm.append(last.received_at - first.received_at - latency_s)


def _row(surface: str, case: str, expected_calls: int, samples: Samples, settings: Settings) -> dict[str, Any]:
    latency_ms = settings.llm_latency_ms
    target_ms = expected_calls * latency_ms + settings.slack_ms
    latency = summarize(samples.seconds)
    overhead = summarize([s - c * latency_ms / 1000 for s, c in zip(samples.seconds, samples.calls, strict=True)])
    calls_ok = bool(samples.calls) and all(c == expected_calls for c in samples.calls)
    p95 = latency["p95_ms"]
    within = p95 is not None and p95 <= target_ms
    return {
        "surface": surface,
        "case": case,
        "expected_llm_calls": expected_calls,
        "llm_calls_per_add": {
            "min": min(samples.calls, default=None),
            "max": max(samples.calls, default=None),
            "mean": round(sum(samples.calls) / len(samples.calls), 3) if samples.calls else None,
            "as_expected": calls_ok,
        },
        "latency": latency,
        "overhead": overhead,
        "parts": {
            "before_first_llm_call": summarize(samples.before_llm),
            "between_llm_calls": summarize(samples.between_llm),
            "after_last_llm_answer": summarize(samples.after_llm),
        },
        "target_ms": target_ms,
        "max_within_target": latency["max_ms"] is not None and latency["max_ms"] <= target_ms,
        "errors": len(samples.errors),
        "error_samples": sorted(set(samples.errors))[:5],
        "verdict": "PASS" if within and calls_ok and not samples.errors else "FAIL",
    }


# --- the mem0 OSS library baseline ------------------------------------------------------------------


@dataclass(slots=True)
class Mem0Responder:
    """Answers mem0 2.2.1's one extraction call (ADDITIVE_EXTRACTION_PROMPT, json_object) with the same 5 facts
    the memgrid responder extracts; the conversation is recognised by the first line under "## New Messages"."""

    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        prompt = request.user_prompt
        for _, conversation, _ in CASES:
            role, content = conversation.messages[0]
            if f"## New Messages\n{role}: {content}" in prompt:
                memory = [
                    {"id": str(i), "text": text, "attributed_to": "user", "linked_memory_ids": []}
                    for i, text in enumerate(conversation.facts)
                ]
                return json_reply({"memory": memory})
        with self._lock:
            self.problems.append(f"an unknown mem0 prompt: {prompt[:120]!r}")
        return HttpError(418, {"error": {"message": "bench mem0 responder: an unknown prompt"}})


def run_mem0_baseline(settings: Settings) -> dict[str, Any]:
    """The same adds (fresh user per run; first_add then related_add) through `mem0.Memory` in .venv-mem0."""
    python = mem0_venv.ensure_venv()
    latency_s = settings.llm_latency_ms / 1000
    responder = Mem0Responder()
    llm = ScriptedLLM(latency=latency_s, handler=responder).start()
    print(f"bench: mem0 OSS baseline ({MEM0_LABEL})", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="memgrid-bench-mem0-") as scratch:
            spec_path = Path(scratch) / "spec.json"
            spec = {
                "llm_base_url": llm.base_url,
                "model": "scripted-model",
                "runs": settings.runs,
                "warmup": settings.warmup,
                "conversations": [
                    {"case": case, "messages": [{"role": r, "content": c} for r, c in conversation.messages]}
                    for case, conversation, _ in CASES
                ],
            }
            spec_path.write_text(json.dumps(spec))
            completed = subprocess.run(
                [str(python), str(mem0_venv.RUNNER), str(spec_path)],
                capture_output=True,
                text=True,
                timeout=MEM0_TIMEOUT_SECONDS,
                check=False,
            )
    finally:
        llm.stop()
    if completed.returncode != 0:
        raise RuntimeError(f"mem0 runner exited {completed.returncode}: {completed.stderr[-2000:]}")
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    requests = sorted(llm.chat_requests, key=lambda r: r.received_at)
    cases = []
    for case, conversation, _ in CASES:
        measured = output["cases"][case]
        samples = Samples(errors=list(measured["errors"]))
        for seconds, (began, ended), events in zip(
            measured["seconds"], measured["windows"], measured["events"], strict=True
        ):
            inside = [r for r in requests if began <= r.received_at <= ended]
            if events != ["ADD"] * len(conversation.facts):
                samples.errors.append(f"unexpected events {events}")
                continue
            _record(samples, _Sample(seconds, inside, began, ended, events), latency_s)
        cases.append(_baseline_row(case, samples, settings))
    return {
        "system": MEM0_LABEL,
        "versions": output["versions"],
        "python": output["python"],
        "memory_setup_s": output["setup_s"],
        "memories_of_last_user": output["last_user_memories"],
        "llm_requests_total": len(requests),
        "responder_problems": responder.problems[:5],
        "config": "llm openai -> scripted server (same latency); embedder huggingface all-MiniLM-L6-v2 (384, local, "
        "CPU); vector_store milvus on a Milvus Lite 2.5.1 file, COSINE; SQLite history; MEM0_TELEMETRY=False; "
        "spaCy not installed (no entity/lemma step)",
        "cases": cases,
    }


def _baseline_row(case: str, samples: Samples, settings: Settings) -> dict[str, Any]:
    latency_ms = settings.llm_latency_ms
    return {
        "case": case,
        "llm_calls_per_add": {
            "min": min(samples.calls, default=None),
            "max": max(samples.calls, default=None),
            "mean": round(sum(samples.calls) / len(samples.calls), 3) if samples.calls else None,
        },
        "latency": summarize(samples.seconds),
        "overhead": summarize([s - c * latency_ms / 1000 for s, c in zip(samples.seconds, samples.calls, strict=True)]),
        "parts": {
            "before_first_llm_call": summarize(samples.before_llm),
            "between_llm_calls": summarize(samples.between_llm),
            "after_last_llm_answer": summarize(samples.after_llm),
        },
        "errors": len(samples.errors),
        "error_samples": sorted(set(samples.errors))[:5],
    }


def _ratio(mine: Any, theirs: Any) -> float | None:
    return None if mine is None or not theirs else round(mine / theirs, 3)


def _ratios(rows: list[dict[str, Any]], baseline_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """memgrid / mem0 per surface and case, for end-to-end latency and for overhead (latency - calls x LLM)."""
    by_case = {row["case"]: row for row in baseline_rows}
    ratios = []
    for row in rows:
        theirs = by_case.get(row["case"])
        if theirs is None:
            continue
        entry: dict[str, Any] = {"surface": row["surface"], "case": row["case"]}
        for part in ("latency", "overhead"):
            for stat in ("p50_ms", "p95_ms", "max_ms"):
                entry[f"{part}_{stat.removesuffix('_ms')}"] = _ratio(row[part][stat], theirs[part][stat])
        ratios.append(entry)
    return ratios


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def markdown(result: dict[str, Any]) -> str:
    settings = result["settings"]
    machine = result["machine"]
    lines = [
        f"# memgrid benchmark `{result['name']}`: add(infer=True) with a scripted LLM",
        "",
        f"add(infer=True) of a {settings['messages_per_add']}-message conversation (3 user + 3 assistant) yielding "
        f"{settings['facts_per_add']} facts, end to end through the gateway, one add in flight, "
        f"{settings['runs']} runs per case after {settings['warmup']} warm-up runs. Scripted OpenAI-compatible LLM "
        f"answering every chat call after {settings['llm_latency_ms']:g} ms. Target: p95 <= LLM calls x "
        f"{settings['llm_latency_ms']:g} ms + {settings['slack_ms']:g} ms. Vectors: "
        f"{settings.get('vector_backend', 'milvus lite')}. Machine: {machine['cpus_usable']} CPUs "
        f"({machine['cpu_model']}), load average at start {machine['load_average']}, Python {machine['python']}, "
        f"commit {str(result['git']['commit'])[:10]}{' (dirty)' if result['git']['dirty'] else ''}.",
        "",
        "| surface | case | LLM calls/add | p50 ms | p95 ms | max ms | overhead p50 / p95 / max ms | "
        "target ms | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["cases"]:
        calls = row["llm_calls_per_add"]
        calls_text = str(calls["min"]) if calls["min"] == calls["max"] else f"{calls['min']}-{calls['max']}"
        if not calls["as_expected"]:
            calls_text += f" (expected {row['expected_llm_calls']})"
        lat, over = row["latency"], row["overhead"]
        verdict = row["verdict"] + ("" if row["max_within_target"] else " (max over target)")
        if row["errors"]:
            verdict += f", {row['errors']} failed adds"
        lines.append(
            f"| {row['surface']} | {row['case']} | {calls_text} | {_ms(lat['p50_ms'])} | {_ms(lat['p95_ms'])} | "
            f"{_ms(lat['max_ms'])} | {_ms(over['p50_ms'])} / {_ms(over['p95_ms'])} / {_ms(over['max_ms'])} | "
            f"{row['target_ms']:g} | {verdict} |"
        )
    lines += [
        "",
        "Where the overhead goes (p50 ms): before the first LLM call / between the two calls / after the last answer.",
        "",
        "| surface | case | before | between | after |",
        "|---|---|---|---|---|",
    ]
    for row in result["cases"]:
        parts = row["parts"]
        lines.append(
            f"| {row['surface']} | {row['case']} | {_ms(parts['before_first_llm_call']['p50_ms'])} | "
            f"{_ms(parts['between_llm_calls']['p50_ms'])} | {_ms(parts['after_last_llm_answer']['p50_ms'])} |"
        )
    mem0 = result.get("baseline", {}).get("mem0_oss")
    if isinstance(mem0, dict):
        lines += _baseline_markdown(result, mem0)
        note = f"Baseline measured in the same run: {mem0['system']}"
    else:
        note = BASELINE_NOTE
    lines += ["", f"Overall: {result['verdict']}. {note}.", "", f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)


def _baseline_markdown(result: dict[str, Any], mem0: dict[str, Any]) -> list[str]:
    versions = mem0["versions"]
    lines = [
        "",
        f"## Beside the mem0 OSS library: {mem0['system']}",
        "",
        f"The same adds (same conversations, same fresh-user-then-related sequence, same runs and warm-up) through "
        f"`mem0.Memory.add(infer=True)` in-process in .venv-mem0 (mem0ai {versions.get('mem0ai')}, pymilvus "
        f"{versions.get('pymilvus')}, milvus-lite {versions.get('milvus-lite')}, sentence-transformers "
        f"{versions.get('sentence-transformers')}), its LLM pointed at the same scripted server with the same latency, "
        f"answering its one extraction call with the same 5 facts. mem0 2.2.1's add is ADD-only: one LLM call per add "
        f"even when related memories exist. {mem0['config']}.",
        "",
        "| system | case | LLM calls/add | p50 ms | p95 ms | max ms | overhead p50 / p95 / max ms | "
        "before / after LLM p50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in mem0["cases"]:
        calls = row["llm_calls_per_add"]
        calls_text = str(calls["min"]) if calls["min"] == calls["max"] else f"{calls['min']}-{calls['max']}"
        lat, over, parts = row["latency"], row["overhead"], row["parts"]
        failed = f" ({row['errors']} failed adds)" if row["errors"] else ""
        lines.append(
            f"| {mem0['system']}{failed} | {row['case']} | {calls_text} | {_ms(lat['p50_ms'])} | "
            f"{_ms(lat['p95_ms'])} | {_ms(lat['max_ms'])} | {_ms(over['p50_ms'])} / {_ms(over['p95_ms'])} / "
            f"{_ms(over['max_ms'])} | {_ms(parts['before_first_llm_call']['p50_ms'])} / "
            f"{_ms(parts['after_last_llm_answer']['p50_ms'])} |"
        )
    lines += [
        "",
        "memgrid / mem0 (below 1 = memgrid faster). related_add makes 2 LLM calls in memgrid (extraction + "
        "reconciliation) and 1 in mem0, so compare overhead there.",
        "",
        "| surface | case | latency p50 | latency p95 | latency max | overhead p50 | overhead p95 | overhead max |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def text(value: Any) -> str:
        return "-" if value is None else f"{value:.2f}"

    for ratio in result["baseline"].get("ratios", []):
        lines.append(
            f"| {ratio['surface']} | {ratio['case']} | {text(ratio['latency_p50'])} | {text(ratio['latency_p95'])} | "
            f"{text(ratio['latency_max'])} | {text(ratio['overhead_p50'])} | {text(ratio['overhead_p95'])} | "
            f"{text(ratio['overhead_max'])} |"
        )
    return lines
