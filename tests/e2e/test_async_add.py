"""Asynchronous adds end to end, on a stack of its own (real services, a scripted LLM): v3 adds are queued and
answer PENDING at once, the job worker runs them, the event moves PENDING → RUNNING → SUCCEEDED (WatchEvent
streams it), failures are retried then FAILED with the error; exports, summary and stats over REST and gRPC."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from gateway.jobs import JobSettings
from libs.filters import parse_filters
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb
from memgrid.memory.v1 import memory_service_pb2_grpc as pb_grpc
from services.extraction.settings import ExtractionSettings, LLMSettings
from tests.support.scripted_llm import RecordedRequest, Reply, ScriptedLLM, Stall, json_reply, server_error
from tests.support.stack import InProcessStack, start_stack

KEY_A, KEY_B = "async-key-a", "async-key-b"
FINAL = ("SUCCEEDED", "FAILED")
STATUS_ORDER = ["PENDING", "RUNNING", "SUCCEEDED"]
# How long a test waits for an event to become final (a bound, not a timing assertion).
EVENT_WAIT_SECONDS = 60


@dataclass
class Extraction:
    """The scripted LLM's answers: every user message is one fact, every fact is added. `stall` delays extraction
    answers; `failures` answers that many extraction calls with HTTP 500 first."""

    stall: float = 0.0
    failures: int = 0
    extraction_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Reply:
        payload = request.user_json()
        if "conversation" in payload:
            with self.lock:
                self.extraction_calls += 1
                if self.failures > 0:
                    self.failures -= 1
                    return server_error(500)
            facts = [
                {"text": m["content"], "attributed_to": "user", "categories": []}
                for m in payload["conversation"]
                if m["role"] == "user"
            ]
            reply = json_reply({"facts": facts})
            return Stall(self.stall, reply) if self.stall else reply
        return json_reply({"actions": [{"fact": fact["fact"], "event": "ADD"} for fact in payload["new_facts"]]})


@dataclass
class World:
    stack: InProcessStack
    llm: Extraction
    http: httpx.AsyncClient
    other: httpx.AsyncClient
    grpc: pb_grpc.MemoryServiceStub


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    extraction = Extraction()
    with ScriptedLLM(handler=extraction) as llm:
        data_dir: Path = tmp_path_factory.mktemp("async-add")
        stack = await start_stack(
            data_dir,
            f"{KEY_A}=acme/async,{KEY_B}=acme/other",
            extraction_settings=ExtractionSettings(
                data_dir=data_dir,
                extraction_port=0,
                llm=LLMSettings(
                    base_url=llm.base_url,
                    api_key="sk-async",
                    model="scripted-model",
                    timeout_seconds=10,
                    max_retries=0,
                ),
            ),
            # One worker, so a second job waits (PENDING) behind a stalled first; quick retries.
            jobs=JobSettings(
                concurrency=1, poll_interval_seconds=0.2, max_attempts=2, retry_backoff_seconds=0.1, lease_seconds=150
            ),
        )
        try:
            async with (
                httpx.AsyncClient(
                    base_url=stack.rest_url, headers={"Authorization": f"Token {KEY_A}"}, timeout=60
                ) as a,
                httpx.AsyncClient(
                    base_url=stack.rest_url, headers={"Authorization": f"Token {KEY_B}"}, timeout=60
                ) as b,
                grpc.aio.insecure_channel(stack.grpc_target) as channel,
            ):
                yield World(stack, extraction, a, b, pb_grpc.MemoryServiceStub(channel))
        finally:
            await stack.stop()


@pytest.fixture(autouse=True)
def _reset_llm(world: World) -> None:
    world.llm.stall, world.llm.failures = 0.0, 0


GRPC_AUTH = (("authorization", f"Token {KEY_A}"),)


def _user() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


async def _final_event(http: httpx.AsyncClient, event_id: str) -> dict[str, Any]:
    async with asyncio.timeout(EVENT_WAIT_SECONDS):
        while True:
            response = await http.get(f"/v1/event/{event_id}/")
            assert response.status_code == 200, response.text
            if response.json()["status"] in FINAL:
                return response.json()
            await asyncio.sleep(0.05)


async def _add(http: httpx.AsyncClient, text: str, user: str, **body: Any) -> dict[str, Any]:
    response = await http.post("/v3/memories/add/", json={"messages": text, "user_id": user, **body})
    assert response.status_code == 200, response.text
    return response.json()


async def _memories(http: httpx.AsyncClient, user: str) -> list[str]:
    listed = await http.post("/v3/memories/", json={"filters": {"user_id": user}})
    return sorted(m["memory"] for m in listed.json()["results"])


# --- asynchronous adds -------------------------------------------------------------------------------


async def test_v3_add_is_queued_then_succeeds_and_is_searchable(world: World) -> None:
    user = _user()
    queued = await _add(world.http, "I keep bees in my garden.", user, infer=False)
    assert queued["status"] == "PENDING" and queued["event_id"] and "results" not in queued
    event = await _final_event(world.http, queued["event_id"])
    assert event["status"] == "SUCCEEDED" and event["error"] is None
    assert [r["memory"] for r in event["results"]] == ["I keep bees in my garden."]
    assert event["started_at"] and event["completed_at"] and event["latency"] >= 0
    assert event["created_at"] <= event["started_at"] <= event["completed_at"]
    hits = await world.http.post("/v3/memories/search/", json={"query": "bees", "filters": {"user_id": user}})
    assert [h["memory"] for h in hits.json()["results"]][:1] == ["I keep bees in my garden."]
    listed = (await world.http.get("/v1/events/")).json()
    assert queued["event_id"] in {e["id"] for e in listed["results"]}
    # Another project does not see the event.
    assert (await world.other.get(f"/v1/event/{queued['event_id']}/")).status_code == 404


async def test_inferred_async_add_goes_through_the_llm(world: World) -> None:
    user = _user()
    queued = await _add(world.http, "I play the cello.", user)
    event = await _final_event(world.http, queued["event_id"])
    assert event["status"] == "SUCCEEDED" and [r["memory"] for r in event["results"]] == ["I play the cello."]
    assert await _memories(world.http, user) == ["I play the cello."]


async def test_v1_add_is_synchronous_unless_async_mode_is_sent(world: World) -> None:
    user = _user()
    body = {"messages": "I like tea.", "user_id": user, "infer": False}
    sync = (await world.http.post("/v1/memories/", json=body)).json()
    assert [r["memory"] for r in sync["results"]] == ["I like tea."]
    queued = (await world.http.post("/v1/memories/", json={**body, "async_mode": True})).json()
    (item,) = queued["results"]
    assert item["status"] == "PENDING" and item["message"]
    bare = (await world.http.post("/v1/memories/", json={**body, "async_mode": True, "output_format": "v1.0"})).json()
    assert isinstance(bare, list) and bare[0]["status"] == "PENDING"
    for event_id in (item["event_id"], bare[0]["event_id"]):
        assert (await _final_event(world.http, event_id))["status"] == "SUCCEEDED"
    # A v3 add with async_mode false answers with its results.
    direct = await _add(world.http, "I like coffee.", user, infer=False, async_mode=False)
    assert direct["status"] == "SUCCEEDED" and [r["memory"] for r in direct["results"]] == ["I like coffee."]


async def test_a_repeated_async_add_with_one_idempotency_key_is_queued_once(world: World) -> None:
    user, key = _user(), uuid.uuid4().hex
    body = {"messages": "My dog is called Rex.", "user_id": user, "infer": False}
    answers = await asyncio.gather(
        *(world.http.post("/v3/memories/add/", json=body, headers={"Idempotency-Key": key}) for _ in range(4))
    )
    assert {r.status_code for r in answers} == {200}
    (event_id,) = {r.json()["event_id"] for r in answers}
    assert (await _final_event(world.http, event_id))["status"] == "SUCCEEDED"
    assert await _memories(world.http, user) == ["My dog is called Rex."]


async def test_watch_event_streams_pending_running_succeeded(world: World) -> None:
    """One worker: the first add stalls in the LLM, so the second waits PENDING, then runs, then succeeds."""
    world.llm.stall = 1.0
    user = _user()
    request = pb.AddMemoriesRequest(
        messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I surf at dawn.")],
        scope=common_pb2.Scope(user_id=user),
        async_mode=True,
    )
    first = await world.grpc.AddMemories(request, metadata=GRPC_AUTH)
    second_request = pb.AddMemoriesRequest()
    second_request.CopyFrom(request)
    second_request.messages[0].content = "I swim at noon."
    second = await world.grpc.AddMemories(second_request, metadata=GRPC_AUTH)
    assert first.status == second.status == common_pb2.EVENT_STATUS_PENDING and not second.results
    statuses = [
        common_pb2.EventStatus.Name(message.event.status).removeprefix("EVENT_STATUS_")
        async for message in world.grpc.WatchEvent(
            pb.WatchEventRequest(event_id=second.event_id), metadata=GRPC_AUTH, timeout=60
        )
    ]
    assert statuses == STATUS_ORDER, statuses
    assert await _memories(world.http, user) == ["I surf at dawn.", "I swim at noon."]


async def test_watch_event_of_a_final_event_streams_it_once_and_other_projects_get_not_found(world: World) -> None:
    queued = await _add(world.http, "I read comics.", _user(), infer=False)
    await _final_event(world.http, queued["event_id"])
    stream = world.grpc.WatchEvent(pb.WatchEventRequest(event_id=queued["event_id"]), metadata=GRPC_AUTH, timeout=10)
    assert [m.event.status async for m in stream] == [common_pb2.EVENT_STATUS_SUCCEEDED]
    foreign = world.grpc.WatchEvent(
        pb.WatchEventRequest(event_id=queued["event_id"]), metadata=(("authorization", f"Token {KEY_B}"),)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        [m async for m in foreign]
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_failing_job_is_retried_then_succeeds(world: World) -> None:
    world.llm.failures = 1
    before = world.llm.extraction_calls
    user = _user()
    event = await _final_event(world.http, (await _add(world.http, "I knit scarves.", user))["event_id"])
    assert event["status"] == "SUCCEEDED" and event["error"] is None
    assert world.llm.extraction_calls - before == 2
    assert await _memories(world.http, user) == ["I knit scarves."]


async def test_a_job_failing_every_attempt_ends_failed_with_the_error(world: World) -> None:
    world.llm.failures = 10
    before = world.llm.extraction_calls
    user = _user()
    event = await _final_event(world.http, (await _add(world.http, "I juggle.", user))["event_id"])
    assert event["status"] == "FAILED" and event["results"] == []
    assert "LLM" in event["error"] and event["completed_at"]
    assert world.llm.extraction_calls - before == 2  # max_attempts
    assert await _memories(world.http, user) == []


async def test_bad_async_adds_are_refused_at_once_naming_the_field(world: World) -> None:
    cases = [
        ({"user_id": "u"}, "messages"),
        ({"messages": "I like tea."}, "user_id"),
        ({"messages": [{"role": "wizard", "content": "x"}], "user_id": "u"}, "role"),
        ({"messages": "I like tea.", "user_id": "u", "expiration_date": "soon"}, "expiration_date"),
    ]
    for body, field_name in cases:
        response = await world.http.post("/v3/memories/add/", json=body)
        assert response.status_code == 400 and field_name in response.json()["field"], response.text
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await world.grpc.AddMemories(
            pb.AddMemoriesRequest(
                messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="x")], async_mode=True
            ),
            metadata=GRPC_AUTH,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "user_id" in caught.value.details()


# --- exports, summary, stats ---------------------------------------------------------------------------


async def _seed(http: httpx.AsyncClient, user: str, texts: list[str], **scope: str) -> None:
    body = {"messages": [{"role": "user", "content": t} for t in texts], "user_id": user, **scope}
    response = await http.post("/v3/memories/add/", json={**body, "infer": False, "async_mode": False})
    assert response.status_code == 200, response.text


async def test_an_export_honours_its_filters_schema_and_tenancy(world: World) -> None:
    user, other_user = _user(), _user()
    await _seed(world.http, user, ["I like tea.", "I like jam."], run_id="r1")
    await _seed(world.http, other_user, ["I like cake."])
    await _seed(world.other, user, ["Other project's note."])
    schema = json.dumps({"type": "object", "properties": {"memory": {"type": "string"}, "run_id": {}}})
    created = await world.http.post("/v1/exports/", json={"schema": schema, "filters": {"user_id": user}})
    assert created.status_code == 201 and created.json()["id"], created.text
    export_id = created.json()["id"]
    got = (await world.http.post("/v1/exports/get/", json={"memory_export_id": export_id})).json()
    assert got["id"] == export_id and got["status"] == "SUCCEEDED" and got["count"] == 2
    assert sorted(m["memory"] for m in got["memories"]) == ["I like jam.", "I like tea."]
    assert all(set(m) == {"id", "memory", "run_id"} and m["run_id"] == "r1" for m in got["memories"])
    # The schema as an object, and filters without a stored export (every field).
    by_object = await world.http.post("/v1/exports/", json={"schema": {"properties": {"memory": {}}}, "filters": {}})
    assert by_object.status_code == 201
    now = (await world.http.post("/v1/exports/get/", json={"filters": {"user_id": other_user}})).json()
    assert [m["memory"] for m in now["memories"]] == ["I like cake."] and now["memories"][0]["user_id"] == other_user
    # Another project can neither fetch the export nor see this project's memories under the same filters.
    foreign = await world.other.post("/v1/exports/get/", json={"memory_export_id": export_id})
    assert foreign.status_code == 404
    theirs = (await world.other.post("/v1/exports/get/", json={"filters": {"user_id": user}})).json()
    assert [m["memory"] for m in theirs["memories"]] == ["Other project's note."]


async def test_bad_exports_are_400_naming_the_field(world: World) -> None:
    cases = [
        ("/v1/exports/", {"schema": "{not json", "filters": {}}, "schema"),
        ("/v1/exports/", {"schema": "[1, 2]"}, "schema"),
        ("/v1/exports/", {"schema": "{}", "filters": {"user_id": {"bogus": 1}}}, "filters"),
        ("/v1/exports/get/", {}, "memory_export_id"),
        ("/v1/exports/get/", {"filters": {"AND": "x"}}, "filters"),
        ("/v1/summary/", {"filters": {"OR": 3}}, "filters"),
    ]
    for path, body, field_name in cases:
        response = await world.http.post(path, json=body)
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["field"].startswith(field_name), (path, body, response.text)
    missing = await world.http.post("/v1/exports/get/", json={"memory_export_id": str(uuid.uuid4())})
    assert missing.status_code == 404


async def test_grpc_exports(world: World) -> None:
    user = _user()
    await _seed(world.http, user, ["I like figs."])
    node = parse_filters({"user_id": user})
    created = await world.grpc.CreateExport(
        pb.CreateExportRequest(schema='{"properties": {"memory": {}}}', filter=filter_to_proto(node)),
        metadata=GRPC_AUTH,
    )
    got = await world.grpc.GetExport(pb.GetExportRequest(export_id=created.id), metadata=GRPC_AUTH)
    assert got.id == created.id and got.status == common_pb2.EVENT_STATUS_SUCCEEDED
    memories = [dict(m) for m in got.data["memories"]]
    assert [m["memory"] for m in memories] == ["I like figs."] and set(memories[0]) == {"id", "memory"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await world.grpc.GetExport(
            pb.GetExportRequest(export_id=created.id), metadata=(("authorization", f"Token {KEY_B}"),)
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await world.grpc.CreateExport(pb.CreateExportRequest(schema="{nope"), metadata=GRPC_AUTH)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "schema" in caught.value.details()


async def test_summary_counts_memories_per_entity_under_the_filters(world: World) -> None:
    user = _user()
    await _seed(world.http, user, ["I like tea.", "I like jam.", "I like figs."], run_id="r9")
    response = await world.http.post("/v1/summary/", json={"filters": {"user_id": user}})
    summary = response.json()
    assert response.status_code == 200 and isinstance(summary, list)
    # Most memories first; ties by entity type.
    assert [(s["entity_type"], s["entity_id"], s["memory_count"]) for s in summary] == [
        ("run", "r9", 3),
        ("user", user, 3),
    ]
    assert sorted(m["memory"] for m in summary[1]["recent_memories"]) == ["I like figs.", "I like jam.", "I like tea."]
    assert (await world.other.post("/v1/summary/", json={"filters": {"user_id": user}})).json() == []


async def test_stats_count_memories_entities_and_events_of_the_project(world: World) -> None:
    before, mine_before = (await world.other.get("/v1/stats/")).json(), (await world.http.get("/v1/stats/")).json()
    user = _user()
    await _seed(world.other, user, ["Stats one.", "Stats two."])
    after = (await world.other.get("/v1/stats/")).json()
    assert after["total_memories"] == before["total_memories"] + 2
    assert after["total_users"] == before["total_users"] + 1
    assert after["events"]["by_status"]["SUCCEEDED"] == before["events"]["by_status"]["SUCCEEDED"] + 1
    assert set(after["events"]["by_status"]) == {"PENDING", "RUNNING", "SUCCEEDED", "FAILED"}
    # The other project's stats did not move.
    assert (await world.http.get("/v1/stats/")).json() == mine_before
