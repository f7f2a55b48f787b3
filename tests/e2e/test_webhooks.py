"""Webhooks end to end: the whole stack on loopback, a real HTTP receiver on 127.0.0.1, signatures checked with
the README's own verification snippet, retries with a tiny backoff, the delivery log, tenancy."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from gateway.webhooks import WebhookSettings
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb
from memgrid.memory.v1 import memory_service_pb2_grpc as pb_grpc
from tests.support.stack import InProcessStack, start_stack
from tests.support.webhook_receiver import WebhookReceiver

KEY_A = "wh-key-acme-app1"
KEY_B = "wh-key-acme-app2"
MAX_ATTEMPTS = 3
SETTINGS = WebhookSettings(
    poll_interval_seconds=0.05, backoff_base_seconds=0.05, backoff_max_seconds=0.2, max_attempts=MAX_ATTEMPTS
)
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify() -> Callable[[str, dict[str, str], bytes], bool]:
    """The `verify` function of the README's "Verifying a delivery" snippet, executed as written."""
    text = README.read_text()
    section = text[text.index("#### Verifying a delivery") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the README has a python verification snippet"
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    return namespace["verify"]


@pytest.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InProcessStack]:
    stack = await start_stack(
        tmp_path_factory.mktemp("webhooks"),
        f"{KEY_A}=acme/app1,{KEY_B}=acme/app2",
        embedder="hashing",
        webhook_settings=SETTINGS,
    )
    yield stack
    await stack.stop()


@pytest.fixture
async def http(running: InProcessStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.rest_url, timeout=30) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as started:
        yield started


def auth(key: str = KEY_A) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


async def create_webhook(
    http: httpx.AsyncClient, url: str, events: list[str], *, key: str = KEY_A, project: str = "app1"
) -> dict[str, Any]:
    body = {"name": "test hook", "url": url, "event_types": events}
    response = await http.post(f"/api/v1/webhooks/projects/{project}/", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


async def add_verbatim(http: httpx.AsyncClient, text: str, key: str = KEY_A) -> str:
    body = {"messages": [{"role": "user", "content": text}], "user_id": "alice", "infer": False, "async_mode": False}
    response = await http.post("/v3/memories/add/", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["id"]


async def deliveries(http: httpx.AsyncClient, webhook_id: str, key: str = KEY_A) -> list[dict[str, Any]]:
    response = await http.get(f"/api/v1/webhooks/{webhook_id}/deliveries/", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def wait_for_log(
    http: httpx.AsyncClient, webhook_id: str, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    holder: list[list[dict[str, Any]]] = [[]]

    async def check() -> bool:
        holder[0] = await deliveries(http, webhook_id)
        return done(holder[0])

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not await check():
        assert loop.time() < deadline, f"delivery log never got there: {holder[0]}"
        await asyncio.sleep(0.05)
    return holder[0]


# --- signed deliveries ------------------------------------------------------------------------------


async def test_add_update_delete_are_delivered_signed(http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    hook = await create_webhook(http, receiver.url("/crud"), ["memory_add", "memory_update", "memory_delete"])
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    memory_id = await add_verbatim(http, "alice likes green tea")
    updated = await http.put(f"/v1/memories/{memory_id}/", json={"text": "alice loves green tea"}, headers=auth())
    assert updated.status_code == 200, updated.text
    assert (await http.delete(f"/v1/memories/{memory_id}/", headers=auth())).status_code == 200

    await receiver.wait_for(lambda: len(receiver.at("/crud")) >= 3)
    verify = readme_verify()
    got = receiver.at("/crud")
    events = []
    for item in got:
        assert verify(secret, item.headers, item.body), "README verification accepts a real delivery"
        assert not verify(secret, item.headers, item.body + b" "), "a changed body fails verification"
        assert not verify("whsec_wrong", item.headers, item.body), "another secret fails verification"
        payload = json.loads(item.body)
        assert payload["project"] == "app1"
        assert payload["memory"]["id"] == memory_id
        assert item.headers["X-Memgrid-Delivery"]
        events.append(payload["event_type"])
    assert sorted(events) == ["memory_add", "memory_delete", "memory_update"]
    update = next(json.loads(item.body) for item in got if json.loads(item.body)["event_type"] == "memory_update")
    assert update["memory"]["memory"] == "alice loves green tea"
    assert update["memory"]["previous_memory"] == "alice likes green tea"

    log = await wait_for_log(http, hook["webhook_id"], lambda rows: all(r["status"] == "SUCCEEDED" for r in rows))
    assert len(log) == 3
    assert {row["delivery_id"] for row in log} == {item.headers["X-Memgrid-Delivery"] for item in got}
    assert all(row["attempts"][0]["status_code"] == 200 for row in log)
    listed = (await http.get("/api/v1/webhooks/projects/app1/", headers=auth())).json()
    assert "secret" not in next(h for h in listed if h["webhook_id"] == hook["webhook_id"]), "shown once only"


async def test_inferred_add_with_categories_sends_memory_categorize(
    http: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    hook = await create_webhook(http, receiver.url("/categorize"), ["memory_categorize"])
    body = {
        "messages": [{"role": "user", "content": "I love sushi and ramen."}],
        "user_id": "carol",
        "async_mode": False,
    }
    added = (await http.post("/v3/memories/add/", json=body, headers=auth())).json()["results"]
    assert added, "offline extraction stored a fact"
    await receiver.wait_for(lambda: len(receiver.at("/categorize")) >= len(added))
    payloads = [json.loads(item.body) for item in receiver.at("/categorize")]
    assert {p["event_type"] for p in payloads} == {"memory_categorize"}
    assert all(p["memory"]["categories"] for p in payloads)
    assert {p["memory"]["id"] for p in payloads} == {item["id"] for item in added}
    await http.delete(f"/api/v1/webhooks/{hook['webhook_id']}/", headers=auth())


# --- retries ------------------------------------------------------------------------------------------


async def test_two_failures_then_success_is_three_attempts(http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    receiver.script("/flaky", [500, 500])
    hook = await create_webhook(http, receiver.url("/flaky"), ["memory_add"])
    await add_verbatim(http, "alice plays chess")
    log = await wait_for_log(http, hook["webhook_id"], lambda rows: bool(rows) and rows[0]["status"] != "PENDING")
    attempts = log[0]["attempts"]
    assert log[0]["status"] == "SUCCEEDED"
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert attempts[0]["error"] == "HTTP 500" and attempts[2]["error"] is None
    assert log[0]["next_attempt_at"] is None
    bodies = {item.body for item in receiver.at("/flaky")}
    assert len(bodies) == 1, "every attempt sends the same body"


async def test_always_failing_receiver_is_failed_after_max_attempts(
    http: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.always("/down", 503)
    hook = await create_webhook(http, receiver.url("/down"), ["memory_add"])
    memory_id = await add_verbatim(http, "alice reads poetry")
    log = await wait_for_log(http, hook["webhook_id"], lambda rows: bool(rows) and rows[0]["status"] != "PENDING")
    assert log[0]["status"] == "FAILED"
    assert [a["status_code"] for a in log[0]["attempts"]] == [503] * MAX_ATTEMPTS
    assert len(receiver.at("/down")) == MAX_ATTEMPTS
    got = await http.get(f"/v1/memories/{memory_id}/", headers=auth())
    assert got.status_code == 200, "the memory was stored whatever the receiver does"


async def test_unreachable_receiver_is_logged_with_the_error(http: httpx.AsyncClient) -> None:
    with WebhookReceiver() as gone:
        url = gone.url("/nobody")
    hook = await create_webhook(http, url, ["memory_add"])
    await add_verbatim(http, "alice collects stamps")
    log = await wait_for_log(http, hook["webhook_id"], lambda rows: bool(rows) and rows[0]["status"] != "PENDING")
    assert log[0]["status"] == "FAILED"
    assert all(a["status_code"] is None and a["error"] for a in log[0]["attempts"])


async def test_the_write_does_not_wait_for_a_slow_receiver(http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    release = receiver.hold("/slow")
    hook = await create_webhook(http, receiver.url("/slow"), ["memory_add"])
    try:
        await add_verbatim(http, "alice runs marathons")
        # The add answered while the receiver still holds the POST: nothing has been received yet.
        assert receiver.at("/slow") == []
        assert [row["status"] for row in await deliveries(http, hook["webhook_id"])] == ["PENDING"]
    finally:
        release.set()
    await wait_for_log(http, hook["webhook_id"], lambda rows: rows[0]["status"] == "SUCCEEDED")


async def test_inactive_webhooks_receive_nothing(http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    hook = await create_webhook(http, receiver.url("/off"), ["memory_add"])
    off = await http.put(f"/api/v1/webhooks/{hook['webhook_id']}/", json={"is_active": False}, headers=auth())
    assert off.status_code == 200 and off.json()["webhook"]["is_active"] is False
    await add_verbatim(http, "alice bakes bread")
    assert await deliveries(http, hook["webhook_id"]) == []


# --- tenancy ------------------------------------------------------------------------------------------


async def test_a_projects_webhook_never_gets_another_projects_events(
    http: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    theirs = await create_webhook(http, receiver.url("/app2"), ["memory_add"], key=KEY_B, project="app2")
    mine = await create_webhook(http, receiver.url("/app1"), ["memory_add"])
    await add_verbatim(http, "alice owns a cat")
    await wait_for_log(http, mine["webhook_id"], lambda rows: bool(rows) and rows[0]["status"] == "SUCCEEDED")
    # Deliveries are queued with the write: none was ever queued for the other project's webhook.
    assert await deliveries(http, theirs["webhook_id"], key=KEY_B) == []
    assert all(json.loads(item.body)["project"] == "app2" for item in receiver.at("/app2"))


async def test_another_projects_webhook_is_not_found(http: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    theirs = await create_webhook(http, receiver.url("/x"), ["memory_add"], key=KEY_B, project="app2")
    webhook_id = theirs["webhook_id"]
    calls = [
        ("PUT", f"/api/v1/webhooks/{webhook_id}/", {"url": "http://127.0.0.1:1/pwned"}),
        ("DELETE", f"/api/v1/webhooks/{webhook_id}/", None),
        ("GET", f"/api/v1/webhooks/{webhook_id}/deliveries/", None),
        ("GET", "/api/v1/webhooks/projects/app2/", None),
        (
            "POST",
            "/api/v1/webhooks/projects/app2/",
            {"name": "n", "url": "http://a.example/", "event_types": ["memory_add"]},
        ),
    ]
    for method, path, body in calls:
        response = await http.request(method, path, json=body, headers=auth())
        assert response.status_code == 404, (method, path, response.text)
    listed = (await http.get("/api/v1/webhooks/projects/app2/", headers=auth(KEY_B))).json()
    assert next(h for h in listed if h["webhook_id"] == webhook_id)["url"] == receiver.url("/x"), "unchanged"


# --- CRUD and validation ------------------------------------------------------------------------------


async def test_crud_round_trip(http: httpx.AsyncClient) -> None:
    hook = await create_webhook(http, "https://hooks.example.com/in", ["memory_add"])
    assert {
        "webhook_id",
        "name",
        "url",
        "event_types",
        "owner",
        "is_active",
        "project",
        "created_at",
        "updated_at",
    } <= set(hook)
    assert (hook["project"], hook["is_active"], hook["event_types"]) == ("app1", True, ["memory_add"])
    assert hook["owner"], "the creating key (or its member) owns it"
    change = {"name": "renamed", "event_types": ["memory_delete", "memory_update"]}
    updated = await http.put(f"/api/v1/webhooks/{hook['webhook_id']}/", json=change, headers=auth())
    assert updated.status_code == 200
    listed = (await http.get("/api/v1/webhooks/projects/app1/", headers=auth())).json()
    mine = next(h for h in listed if h["webhook_id"] == hook["webhook_id"])
    assert (mine["name"], mine["event_types"], mine["url"]) == (
        "renamed",
        ["memory_delete", "memory_update"],
        hook["url"],
    )
    deleted = await http.delete(f"/api/v1/webhooks/{hook['webhook_id']}/", headers=auth())
    assert deleted.status_code == 200 and deleted.json()["message"]
    listed = (await http.get("/api/v1/webhooks/projects/app1/", headers=auth())).json()
    assert hook["webhook_id"] not in {h["webhook_id"] for h in listed}
    again = await http.delete(f"/api/v1/webhooks/{hook['webhook_id']}/", headers=auth())
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "n", "url": "http://a.example/", "event_types": ["memory_eaten"]}, "event_types"),
        ({"name": "n", "url": "http://a.example/", "event_types": []}, "event_types"),
        ({"name": "n", "url": "http://a.example/"}, "event_types"),
        ({"name": "n", "url": "ftp://a.example/", "event_types": ["memory_add"]}, "url"),
        ({"name": "n", "url": "not a url", "event_types": ["memory_add"]}, "url"),
        ({"name": "n", "url": "http:///nohost", "event_types": ["memory_add"]}, "url"),
        ({"name": "n", "event_types": ["memory_add"]}, "url"),
        ({"url": "http://a.example/", "event_types": ["memory_add"]}, "name"),
        ({"name": "n", "url": "http://a.example/", "event_types": "memory_add"}, "event_types"),
    ],
)
async def test_bad_webhooks_are_400_naming_the_field(http: httpx.AsyncClient, body: dict, field: str) -> None:
    response = await http.post("/api/v1/webhooks/projects/app1/", json=body, headers=auth())
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert field in response.json()["detail"]


async def test_bad_updates_are_400_naming_the_field(http: httpx.AsyncClient) -> None:
    hook = await create_webhook(http, "https://hooks.example.com/u", ["memory_add"])
    for body, field in (({"url": "gopher://x"}, "url"), ({"event_types": ["nope"]}, "event_types")):
        response = await http.put(f"/api/v1/webhooks/{hook['webhook_id']}/", json=body, headers=auth())
        assert (response.status_code, response.json()["field"]) == (400, field), response.text


# --- gRPC ---------------------------------------------------------------------------------------------


async def test_grpc_webhooks_round_trip(
    running: InProcessStack, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    metadata = (("authorization", f"Token {KEY_A}"),)
    async with grpc.aio.insecure_channel(running.grpc_target) as channel:
        stub = pb_grpc.MemoryServiceStub(channel)
        created = await stub.CreateWebhook(
            pb.CreateWebhookRequest(
                name="grpc hook", url=receiver.url("/grpc"), event_types=[common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD]
            ),
            metadata=metadata,
        )
        webhook_id = created.webhook.webhook_id
        assert created.webhook.secret
        await add_verbatim(http, "alice sings")
        await receiver.wait_for(lambda: bool(receiver.at("/grpc")))
        assert readme_verify()(created.webhook.secret, receiver.at("/grpc")[0].headers, receiver.at("/grpc")[0].body)
        listed = await stub.ListWebhooks(pb.ListWebhooksRequest(), metadata=metadata)
        assert webhook_id in {w.webhook_id for w in listed.webhooks}
        assert all(not w.secret for w in listed.webhooks)
        update = pb.UpdateWebhookRequest(webhook_id=webhook_id, is_active=False)
        update.event_types.values.append(common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_DELETE)
        updated = await stub.UpdateWebhook(update, metadata=metadata)
        assert (updated.webhook.is_active, list(updated.webhook.event_types)) == (
            False,
            [common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_DELETE],
        )
        log = await stub.ListWebhookDeliveries(
            pb.ListWebhookDeliveriesRequest(webhook_id=webhook_id), metadata=metadata
        )
        assert log.total_count == 1 and log.deliveries[0].event_type == common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.CreateWebhook(
                pb.CreateWebhookRequest(name="x", url="ftp://x", event_types=[1]), metadata=metadata
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "url" in (bad.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.CreateWebhook(pb.CreateWebhookRequest(name="x", url="http://x.example/"), metadata=metadata)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "event_types" in (bad.value.details() or "")
        await stub.DeleteWebhook(pb.DeleteWebhookRequest(webhook_id=webhook_id), metadata=metadata)
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await stub.DeleteWebhook(pb.DeleteWebhookRequest(webhook_id=webhook_id), metadata=metadata)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND


# --- durability ---------------------------------------------------------------------------------------


async def test_pending_deliveries_survive_a_restart(tmp_path: Path, receiver: WebhookReceiver) -> None:
    """Queued while no dispatcher runs, stopped, started again with one: the delivery is made."""
    keys = f"{KEY_A}=acme/app1"
    first = await start_stack(tmp_path, keys, embedder="hashing", webhook_settings=WebhookSettings(enabled=False))
    try:
        async with httpx.AsyncClient(base_url=first.rest_url, timeout=30) as client:
            hook = await create_webhook(client, receiver.url("/restart"), ["memory_add"])
            await add_verbatim(client, "alice moved to Lisbon")
            assert [row["status"] for row in await deliveries(client, hook["webhook_id"])] == ["PENDING"]
    finally:
        await first.stop()
    assert receiver.at("/restart") == []
    second = await start_stack(tmp_path, keys, embedder="hashing", webhook_settings=SETTINGS)
    try:
        async with httpx.AsyncClient(base_url=second.rest_url, timeout=30) as client:
            await receiver.wait_for(lambda: bool(receiver.at("/restart")))
            log = await wait_for_log(client, hook["webhook_id"], lambda rows: rows[0]["status"] == "SUCCEEDED")
            assert json.loads(receiver.at("/restart")[0].body)["memory"]["memory"] == "alice moved to Lisbon"
            assert log[0]["delivery_id"] == receiver.at("/restart")[0].headers["X-Memgrid-Delivery"]
    finally:
        await second.stop()


async def test_private_addresses_are_refused_when_not_allowed(tmp_path: Path, receiver: WebhookReceiver) -> None:
    strict = WebhookSettings(
        poll_interval_seconds=0.05, backoff_base_seconds=0.05, max_attempts=MAX_ATTEMPTS, allow_private_addresses=False
    )
    stack = await start_stack(tmp_path, f"{KEY_A}=acme/app1", embedder="hashing", webhook_settings=strict)
    try:
        async with httpx.AsyncClient(base_url=stack.rest_url, timeout=30) as client:
            hook = await create_webhook(client, receiver.url("/internal"), ["memory_add"])
            await add_verbatim(client, "alice visits Rome")
            log = await wait_for_log(
                client, hook["webhook_id"], lambda rows: bool(rows) and rows[0]["status"] != "PENDING"
            )
    finally:
        await stack.stop()
    assert log[0]["status"] == "FAILED"
    assert len(log[0]["attempts"]) == 1, "a refused address is not retried"
    assert log[0]["attempts"][0]["error"].startswith("refused") and "127.0.0.1" in log[0]["attempts"][0]["error"]
    assert receiver.at("/internal") == []


# --- the official Mem0 SDK ------------------------------------------------------------------------------

SDK_SCRIPT = """
import json, os, sys
os.environ.setdefault("MEM0_TELEMETRY", "False")
from mem0 import MemoryClient

host, key, step, arg = sys.argv[1:5]
client = MemoryClient(api_key=key, host=host)
if step == "create":
    created = client.create_webhook(url=arg, name="sdk hook", project_id="app1", event_types=["memory_add"])
    listed = client.get_webhooks(project_id="app1")
    updated = client.update_webhook(created["webhook_id"], name="sdk hook renamed")
    client.add([{"role": "user", "content": "alice learns the cello"}], user_id="sdk-user", infer=False)
    print(json.dumps({"created": created, "listed": listed, "updated": updated}))
else:
    print(json.dumps({"deleted": client.delete_webhook(arg)}))
"""


async def _sdk(python: str, running: InProcessStack, tmp_path: Path, step: str, arg: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        python,
        "-c",
        SDK_SCRIPT,
        running.rest_url,
        KEY_A,
        step,
        arg,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MEM0_TELEMETRY": "False", "MEM0_DIR": str(tmp_path)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()[-3000:]
    return json.loads(stdout.decode().strip().splitlines()[-1])


@pytest.fixture
def sdk_python() -> str:
    python = os.environ.get("MEM0_SDK_PYTHON")
    if not python or not Path(python).exists():
        pytest.skip("MEM0_SDK_PYTHON is not set to a python with mem0ai installed (make test sets it)")
    return python


async def test_the_official_sdk_manages_webhooks_unchanged(
    running: InProcessStack, receiver: WebhookReceiver, tmp_path: Path, sdk_python: str
) -> None:
    python = sdk_python
    observed = await _sdk(python, running, tmp_path, "create", receiver.url("/sdk"))
    created = observed["created"]
    assert created["url"] == receiver.url("/sdk") and created["event_types"] == ["memory_add"]
    assert created["webhook_id"] in {hook["webhook_id"] for hook in observed["listed"]}
    assert observed["updated"]["webhook"]["name"] == "sdk hook renamed"
    await receiver.wait_for(lambda: bool(receiver.at("/sdk")))
    delivery = receiver.at("/sdk")[0]
    assert readme_verify()(created["secret"], delivery.headers, delivery.body)
    assert json.loads(delivery.body)["memory"]["memory"] == "alice learns the cello"
    deleted = await _sdk(python, running, tmp_path, "delete", created["webhook_id"])
    assert deleted["deleted"]["message"]
