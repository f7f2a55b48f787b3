"""Webhooks in the metadata service, through its RPCs, on SQLite and PostgreSQL: deliveries queued by the memory
writes themselves (same transaction), the dispatcher's claim (leased) and record, CRUD and its validation."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc as pb_grpc
from tests.metadata.helpers import expect_error, new_memory, timestamp

ADD = common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD
UPDATE = common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_UPDATE
DELETE = common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_DELETE
CATEGORIZE = common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_CATEGORIZE
ALL_EVENTS = [ADD, UPDATE, DELETE, CATEGORIZE]
PENDING = common_pb2.WEBHOOK_DELIVERY_STATUS_PENDING
SUCCEEDED = common_pb2.WEBHOOK_DELIVERY_STATUS_SUCCEEDED
FAILED = common_pb2.WEBHOOK_DELIVERY_STATUS_FAILED


async def _hook(
    stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, events: list[int] = ALL_EVENTS, url: str = ""
) -> common_pb2.Webhook:
    request = pb.CreateWebhookRequest(
        tenant=tenant, name="hook", url=url or "https://hooks.example.com/in", event_types=events, owner="key-1"
    )
    return (await stub.CreateWebhook(request)).webhook


async def _log(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, webhook_id: str) -> list:
    request = pb.ListWebhookDeliveriesRequest(tenant=tenant, webhook_id=webhook_id, page_size=100)
    return list((await stub.ListWebhookDeliveries(request)).deliveries)


async def _claim(stub: pb_grpc.MetadataServiceStub, lease_seconds: float = 60) -> list:
    request = pb.ClaimWebhookDeliveriesRequest(limit=100, lease_seconds=lease_seconds)
    return list((await stub.ClaimWebhookDeliveries(request)).deliveries)


def _record(
    delivery_id: str, attempt: int, status: int, status_code: int = 0, next_at: datetime | None = None
) -> pb.WebhookAttemptRecord:
    record = pb.WebhookAttemptRecord(
        delivery_id=delivery_id,
        attempt=common_pb2.WebhookDeliveryAttempt(
            attempt=attempt, at=timestamp(datetime.now(UTC)), status_code=status_code, latency_ms=1.5
        ),
        status=status,
    )
    if next_at is not None:
        record.next_attempt_at.CopyFrom(timestamp(next_at))
    return record


async def test_memory_writes_queue_one_delivery_per_event_and_subscribed_webhook(stub, tenant, other_tenant) -> None:
    everything = await _hook(stub, tenant)
    deletes_only = await _hook(stub, tenant, [DELETE])
    switched_off = await _hook(stub, tenant)
    await stub.UpdateWebhook(
        pb.UpdateWebhookRequest(tenant=tenant, webhook_id=switched_off.webhook_id, is_active=False)
    )
    elsewhere = await _hook(stub, other_tenant)

    created = await stub.CreateMemories(
        pb.CreateMemoriesRequest(
            tenant=tenant,
            memories=[new_memory("Likes tea", user_id="u1", categories=["food"]), new_memory("Is tall", user_id="u1")],
        )
    )
    tea, tall = created.memories
    await stub.UpdateMemories(
        pb.UpdateMemoriesRequest(tenant=tenant, patches=[pb.MemoryPatch(memory_id=tea.id, text="Likes coffee")])
    )
    await stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=[tall.id]))

    log = await _log(stub, tenant, everything.webhook_id)
    assert sorted((d.event_type, d.memory_id) for d in log) == sorted(
        [(ADD, tea.id), (ADD, tall.id), (CATEGORIZE, tea.id), (UPDATE, tea.id), (DELETE, tall.id)]
    )
    assert {d.status for d in log} == {PENDING} and all(not d.attempts for d in log)
    assert [(d.event_type, d.memory_id) for d in await _log(stub, tenant, deletes_only.webhook_id)] == [
        (DELETE, tall.id)
    ]
    assert await _log(stub, tenant, switched_off.webhook_id) == []
    assert await _log(stub, other_tenant, elsewhere.webhook_id) == []

    claimed = [json.loads(d.body) for d in await _claim(stub) if d.webhook_id == everything.webhook_id]
    bodies = {(body["event_type"], body["memory"]["id"]): body for body in claimed}
    assert len(bodies) == len(claimed) == 5
    update = bodies[("memory_update", tea.id)]
    assert (update["memory"]["memory"], update["memory"]["previous_memory"]) == ("Likes coffee", "Likes tea")
    assert (update["org"], update["project"]) == (tenant.org_id, tenant.project_id)
    assert bodies[("memory_categorize", tea.id)]["memory"]["categories"] == ["food"]
    assert bodies[("memory_delete", tall.id)]["memory"]["memory"] == "Is tall"
    assert bodies[("memory_add", tall.id)]["memory"]["user_id"] == "u1"


async def test_a_write_that_fails_queues_nothing(stub, tenant) -> None:
    hook = await _hook(stub, tenant)
    (first,) = (
        await stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("A", user_id="u")]))
    ).memories
    again = pb.CreateMemoriesRequest(
        tenant=tenant, memories=[new_memory("B", user_id="u"), new_memory("C", user_id="u", memory_id=first.id)]
    )
    await expect_error(stub.CreateMemories(again), grpc.StatusCode.ALREADY_EXISTS)
    assert [d.memory_id for d in await _log(stub, tenant, hook.webhook_id)] == [first.id]


async def test_claims_are_leased_and_attempts_recorded_once(stub, tenant) -> None:
    hook = await _hook(stub, tenant, [ADD], url="http://receiver.example/in")
    await stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("A", user_id="u")]))
    (due,) = await _claim(stub)
    assert (due.webhook_id, due.url, due.attempts_made, due.tenant) == (hook.webhook_id, hook.url, 0, tenant)
    assert due.secret.startswith("whsec_") and due.secret == hook.secret
    assert await _claim(stub) == [], "a claimed delivery is leased"

    retry_at = datetime.now(UTC) - timedelta(seconds=1)
    first = _record(due.delivery_id, 1, PENDING, 500, retry_at)
    assert (await stub.RecordWebhookAttempts(pb.RecordWebhookAttemptsRequest(records=[first]))).recorded == 1
    assert (await stub.RecordWebhookAttempts(pb.RecordWebhookAttemptsRequest(records=[first]))).recorded == 0
    (again,) = await _claim(stub)
    assert (again.delivery_id, again.attempts_made, again.body) == (due.delivery_id, 1, due.body)

    done = _record(due.delivery_id, 2, SUCCEEDED, 204)
    assert (await stub.RecordWebhookAttempts(pb.RecordWebhookAttemptsRequest(records=[done]))).recorded == 1
    (logged,) = await _log(stub, tenant, hook.webhook_id)
    assert logged.status == SUCCEEDED and not logged.HasField("next_attempt_at")
    assert [(a.attempt, a.status_code) for a in logged.attempts] == [(1, 500), (2, 204)]
    assert await _claim(stub, lease_seconds=0.001) == []


async def test_an_expired_lease_makes_the_delivery_due_again(stub, tenant) -> None:
    await _hook(stub, tenant, [ADD])
    await stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("A", user_id="u")]))
    (due,) = await _claim(stub, lease_seconds=0.001)
    (again,) = await _claim(stub)  # the dispatcher that claimed it never recorded an attempt
    assert again.delivery_id == due.delivery_id and again.attempts_made == 0


async def test_failed_deliveries_are_never_claimed_again(stub, tenant) -> None:
    hook = await _hook(stub, tenant, [ADD])
    await stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("A", user_id="u")]))
    (due,) = await _claim(stub, lease_seconds=0.001)
    record = _record(due.delivery_id, 1, FAILED)
    record.attempt.error = "HTTP 410"
    await stub.RecordWebhookAttempts(pb.RecordWebhookAttemptsRequest(records=[record]))
    assert await _claim(stub) == []
    (logged,) = await _log(stub, tenant, hook.webhook_id)
    assert (logged.status, logged.attempts[0].error) == (FAILED, "HTTP 410")


async def test_crud_and_tenancy(stub, tenant, other_tenant) -> None:
    hook = await _hook(stub, tenant)
    assert hook.secret and hook.owner == "key-1" and hook.is_active
    listed = (await stub.ListWebhooks(pb.ListWebhooksRequest(tenant=tenant))).webhooks
    assert [w.webhook_id for w in listed] == [hook.webhook_id] and not listed[0].secret
    assert (await stub.ListWebhooks(pb.ListWebhooksRequest(tenant=other_tenant))).webhooks == []
    for request in (
        stub.UpdateWebhook(pb.UpdateWebhookRequest(tenant=other_tenant, webhook_id=hook.webhook_id, name="x")),
        stub.DeleteWebhook(pb.DeleteWebhookRequest(tenant=other_tenant, webhook_id=hook.webhook_id)),
        stub.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest(tenant=other_tenant, webhook_id=hook.webhook_id)),
    ):
        await expect_error(request, grpc.StatusCode.NOT_FOUND, "webhook")
    change = pb.UpdateWebhookRequest(tenant=tenant, webhook_id=hook.webhook_id, url="http://new.example/x")
    change.event_types.values.append(DELETE)
    updated = (await stub.UpdateWebhook(change)).webhook
    assert (updated.url, list(updated.event_types), updated.name) == ("http://new.example/x", [DELETE], "hook")
    await stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("A", user_id="u")]))
    await stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, all=True))
    assert len(await _log(stub, tenant, hook.webhook_id)) == 1
    await stub.DeleteWebhook(pb.DeleteWebhookRequest(tenant=tenant, webhook_id=hook.webhook_id))
    assert await _claim(stub) == [], "its pending deliveries went with it"
    await expect_error(
        stub.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest(tenant=tenant, webhook_id=hook.webhook_id)),
        grpc.StatusCode.NOT_FOUND,
    )


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://x.example/", [ADD], "url"),
        ("http://", [ADD], "url"),
        ("x" * 3000, [ADD], "url"),
        ("http://x.example/", [], "event_types"),
        ("http://x.example/", [common_pb2.WEBHOOK_EVENT_TYPE_UNSPECIFIED], "event_types"),
        ("http://x.example/", [42], "event_types"),
    ],
)
async def test_bad_webhooks_are_refused_naming_the_field(stub, tenant, url: str, events: list[int], field: str) -> None:
    request = pb.CreateWebhookRequest(tenant=tenant, name="n", url=url, event_types=events)
    await expect_error(stub.CreateWebhook(request), grpc.StatusCode.INVALID_ARGUMENT, field)


async def test_bad_claims_and_records_are_refused(stub) -> None:
    for request, field in (
        (pb.ClaimWebhookDeliveriesRequest(limit=0, lease_seconds=10), "limit"),
        (pb.ClaimWebhookDeliveriesRequest(limit=5, lease_seconds=0), "lease_seconds"),
    ):
        await expect_error(stub.ClaimWebhookDeliveries(request), grpc.StatusCode.INVALID_ARGUMENT, field)
    no_retry_time = _record("d-1", 1, PENDING, 500)
    no_status = _record("d-1", 1, common_pb2.WEBHOOK_DELIVERY_STATUS_UNSPECIFIED)
    for record, field in ((no_retry_time, "next_attempt_at"), (no_status, "status")):
        request = pb.RecordWebhookAttemptsRequest(records=[record])
        await expect_error(stub.RecordWebhookAttempts(request), grpc.StatusCode.INVALID_ARGUMENT, field)


async def test_concurrent_claims_never_hand_out_a_delivery_twice(stub, tenant) -> None:
    await _hook(stub, tenant, [ADD])
    memories = [new_memory(f"fact {index}", user_id="u") for index in range(40)]
    await stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=memories))
    request = pb.ClaimWebhookDeliveriesRequest(limit=15, lease_seconds=60)
    claims = await asyncio.gather(*(stub.ClaimWebhookDeliveries(request) for _ in range(4)))
    claimed = [due.delivery_id for claim in claims for due in claim.deliveries]
    assert len(claimed) == len(set(claimed)) == 40
