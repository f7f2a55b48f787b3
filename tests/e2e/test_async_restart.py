"""A restart in the middle loses no queued add: the four services run as processes (as `memgrid up` runs them);
six adds are queued, the gateway is killed (SIGKILL) while the first is RUNNING (its LLM call stalls) and the
other five wait PENDING behind it, then started again. Every event ends SUCCEEDED and every memory exists once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import Processes, free_ports
from tests.support.scripted_llm import RecordedRequest, Reply, ScriptedLLM, Stall, json_reply

API_KEY = "restart-test-key"
USER = "restart-user"
# A bound on each wait (not a timing assertion).
WAIT_SECONDS = 90


@dataclass
class StallFirstExtraction:
    """The first extraction call stalls (its job is RUNNING when the gateway is killed); the others answer: every
    user message is one fact, every fact is added."""

    stall_seconds: float = 60.0
    extraction_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when the first extraction call arrives.
    stalled: threading.Event = field(default_factory=threading.Event)

    def __call__(self, request: RecordedRequest) -> Reply:
        payload = request.user_json()
        if "conversation" in payload:
            with self.lock:
                self.extraction_calls += 1
                first = self.extraction_calls == 1
            self.stalled.set()
            facts = [
                {"text": m["content"], "attributed_to": "user", "categories": []}
                for m in payload["conversation"]
                if m["role"] == "user"
            ]
            reply = json_reply({"facts": facts})
            return Stall(self.stall_seconds, reply) if first else reply
        return json_reply({"actions": [{"fact": fact["fact"], "event": "ADD"} for fact in payload["new_facts"]]})


@pytest.fixture
def llm() -> Iterator[tuple[ScriptedLLM, StallFirstExtraction]]:
    handler = StallFirstExtraction()
    with ScriptedLLM(handler=handler) as server:
        yield server, handler


@pytest.fixture
async def processes(tmp_path: Path, llm: tuple[ScriptedLLM, StallFirstExtraction]) -> AsyncIterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(
        tmp_path / "data",
        free_ports(),
        logs,
        api_keys=f"{API_KEY}=acme/restart",
        extra_env={
            "MEMGRID_LLM__BASE_URL": llm[0].base_url,
            "MEMGRID_LLM__API_KEY": "sk-restart",
            "MEMGRID_LLM__MODEL": "scripted-model",
            "MEMGRID_LLM__MAX_RETRIES": "0",
            # One worker (the other jobs wait behind the stalled one); a job runs at most 8 s and its claim lapses
            # after 10 s, so after the kill the restarted gateway takes the RUNNING job over quickly.
            "MEMGRID_JOBS__CONCURRENCY": "1",
            "MEMGRID_JOBS__POLL_INTERVAL_SECONDS": "0.2",
            "MEMGRID_JOBS__TIMEOUT_SECONDS": "8",
            "MEMGRID_JOBS__LEASE_SECONDS": "10",
        },
    )
    try:
        await running.start_all()
        yield running
    finally:
        await running.stop_all()


async def _events(http: httpx.AsyncClient, ids: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for event_id in ids:
        response = await http.get(f"/v1/event/{event_id}/")
        assert response.status_code == 200, response.text
        found[event_id] = response.json()
    return found


async def test_killing_the_gateway_mid_job_loses_no_job_and_adds_nothing_twice(
    processes: Processes, llm: tuple[ScriptedLLM, StallFirstExtraction]
) -> None:
    _, extraction = llm
    rest = f"http://127.0.0.1:{processes.ports['http']}"
    texts = ["I grow tomatoes.", *(f"Verbatim note {index}." for index in range(5))]
    async with httpx.AsyncClient(base_url=rest, headers={"Authorization": f"Token {API_KEY}"}, timeout=30) as http:
        ids = []
        for index, text in enumerate(texts):
            body = {"messages": text, "user_id": USER, "infer": index == 0}
            queued = await http.post("/v3/memories/add/", json=body)
            assert queued.status_code == 200 and queued.json()["status"] == "PENDING", queued.text
            ids.append(queued.json()["event_id"])
        assert await asyncio.to_thread(extraction.stalled.wait, WAIT_SECONDS)
        before = await _events(http, ids)
        assert before[ids[0]]["status"] == "RUNNING"
        assert [before[event_id]["status"] for event_id in ids[1:]] == ["PENDING"] * 5

        await processes.kill("gateway")
        await processes.start("gateway")

        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                after = await _events(http, ids)
                if all(event["status"] in ("SUCCEEDED", "FAILED") for event in after.values()):
                    break
                await asyncio.sleep(0.2)
        assert {event_id: event["status"] for event_id, event in after.items()} == dict.fromkeys(ids, "SUCCEEDED")
        assert [r["memory"] for r in after[ids[0]]["results"]] == ["I grow tomatoes."]
        # The killed run's extraction call, then the run that took the job over.
        assert extraction.extraction_calls == 2
        listed = (await http.post("/v3/memories/", json={"filters": {"user_id": USER}, "page_size": 100})).json()
        assert sorted(m["memory"] for m in listed["results"]) == sorted(texts)
