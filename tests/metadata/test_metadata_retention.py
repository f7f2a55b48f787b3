"""Retention of the operation logs, on SQLite and PostgreSQL: finished events, jobs and webhook deliveries older
than the cutoff are deleted (a batch per transaction); unfinished ones, newer ones, memories and their history
stay. The service's own background pass does it on its settings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2
from pydantic import ValidationError

from libs.rpc.client import open_channel
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc as pb_grpc
from services.metadata import retention
from services.metadata.database import create_engine
from services.metadata.models import IdempotencyKeyRow
from services.metadata.server import start_service
from services.metadata.settings import MetadataSettings
from services.metadata.store import SqlMetadataStore
from tests.metadata.conftest import Running, service_settings
from tests.metadata.helpers import new_memory, timestamp

EVENT_PENDING = common_pb2.EVENT_STATUS_PENDING
EVENT_SUCCEEDED = common_pb2.EVENT_STATUS_SUCCEEDED
EVENT_FAILED = common_pb2.EVENT_STATUS_FAILED
DELIVERY_SUCCEEDED = common_pb2.WEBHOOK_DELIVERY_STATUS_SUCCEEDED


def _event(event_id: str, status: int) -> common_pb2.Event:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(datetime.now(UTC))
    return common_pb2.Event(id=event_id, event_type="ADD", status=status, created_at=created)


async def _record_event(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, status: int) -> str:
    event_id = str(uuid.uuid4())
    await stub.RecordEvent(pb.RecordEventRequest(tenant=tenant, event=_event(event_id, status)))
    return event_id


async def _event_exists(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, event_id: str) -> bool:
    try:
        await stub.GetEvent(pb.GetEventRequest(tenant=tenant, event_id=event_id))
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
        return False
    return True


async def _enqueue(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant) -> str:
    job_id = str(uuid.uuid4())
    request = pb.EnqueueJobRequest(
        tenant=tenant, job_id=job_id, kind="ADD", payload="{}", event=_event(job_id, EVENT_PENDING)
    )
    await stub.EnqueueJob(request)
    return job_id


async def _prune(store: SqlMetadataStore, cutoff: datetime) -> dict[str, int]:
    """One retention pass, pruning what finished before `cutoff`."""
    return await retention.Retention(store, days=0, interval_seconds=60, clock=lambda: cutoff).run_once()


@pytest.fixture
async def store(metadata: Running) -> AsyncIterator[SqlMetadataStore]:
    """A second store on the service's database: the retention pass's own entry point, called directly."""
    engine = create_engine(metadata.settings.resolved_database_url())
    try:
        yield SqlMetadataStore(engine)
    finally:
        await engine.dispose()


async def test_finished_logs_older_than_the_cutoff_go_and_everything_else_stays(
    stub: pb_grpc.MetadataServiceStub, store: SqlMetadataStore, tenant: common_pb2.Tenant
) -> None:
    succeeded = await _record_event(stub, tenant, EVENT_SUCCEEDED)
    failed = await _record_event(stub, tenant, EVENT_FAILED)
    pending = await _record_event(stub, tenant, EVENT_PENDING)
    # Two queued adds: one runs and finishes, one is still waiting (its event stays PENDING).
    done_job, waiting_job = await _enqueue(stub, tenant), await _enqueue(stub, tenant)
    [claimed] = (await stub.ClaimJobs(pb.ClaimJobsRequest(limit=1, lease_seconds=60))).jobs
    assert claimed.id == done_job
    finished = pb.FinishJobRequest(
        tenant=tenant,
        job_id=done_job,
        claim_token=claimed.claim_token,
        outcome=pb.JOB_OUTCOME_SUCCEEDED,
        event=_event(done_job, EVENT_SUCCEEDED),
    )
    assert (await stub.FinishJob(finished)).finished
    # A webhook, and a memory with two deliveries (ADD, CATEGORIZE): one made, one still to be sent.
    hook = (
        await stub.CreateWebhook(
            pb.CreateWebhookRequest(
                tenant=tenant,
                name="hook",
                url="https://hooks.example.com/in",
                event_types=[common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD, common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_CATEGORIZE],
                owner="k",
            )
        )
    ).webhook
    [memory] = (
        await stub.CreateMemories(
            pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("Likes tea", user_id="u1", categories=["f"])])
        )
    ).memories
    deliveries = (
        await stub.ClaimWebhookDeliveries(pb.ClaimWebhookDeliveriesRequest(limit=10, lease_seconds=60))
    ).deliveries
    sent, unsent = deliveries  # ADD and CATEGORIZE, in some order
    attempt = common_pb2.WebhookDeliveryAttempt(attempt=1, at=timestamp(datetime.now(UTC)), status_code=200)
    record = pb.WebhookAttemptRecord(delivery_id=sent.delivery_id, attempt=attempt, status=DELIVERY_SUCCEEDED)
    assert (await stub.RecordWebhookAttempts(pb.RecordWebhookAttemptsRequest(records=[record]))).recorded == 1

    # Nothing is older than a cutoff a minute ago.
    assert await _prune(store, datetime.now(UTC) - timedelta(minutes=1)) == {
        "events": 0,
        "jobs": 0,
        "webhook_deliveries": 0,
        "idempotency_keys": 0,
    }
    assert await _event_exists(stub, tenant, succeeded)

    # A cutoff in the future: every finished row is old enough.
    pruned = await _prune(store, datetime.now(UTC) + timedelta(minutes=1))
    assert pruned == {
        "events": 3,
        "jobs": 1,
        "webhook_deliveries": 1,
        "idempotency_keys": 0,
    }  # events: succeeded, failed, done_job's
    for gone in (succeeded, failed, done_job):
        assert not await _event_exists(stub, tenant, gone)
    for kept in (pending, waiting_job):
        assert await _event_exists(stub, tenant, kept)
    events = await stub.ListEvents(pb.ListEventsRequest(tenant=tenant, page=1, page_size=50))
    assert {event.id for event in events.events} == {pending, waiting_job} and events.total_count == 2
    # The waiting job is still there to run; the delivery still to be sent too.
    [next_job] = (await stub.ClaimJobs(pb.ClaimJobsRequest(limit=10, lease_seconds=60))).jobs
    assert next_job.id == waiting_job
    log = await stub.ListWebhookDeliveries(
        pb.ListWebhookDeliveriesRequest(tenant=tenant, webhook_id=hook.webhook_id, page_size=50)
    )
    assert [d.delivery_id for d in log.deliveries] == [unsent.delivery_id]
    # Memories and their history are not logs.
    got = await stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=[memory.id]))
    assert [m.memory for m in got.memories] == ["Likes tea"]
    history = await stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id=memory.id))
    assert len(history.entries) == 1


async def test_pruning_goes_a_batch_at_a_time_across_tenants(
    stub: pb_grpc.MetadataServiceStub,
    store: SqlMetadataStore,
    tenant: common_pb2.Tenant,
    other_tenant: common_pb2.Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "PRUNE_BATCH", 2)
    ids = [await _record_event(stub, owner, EVENT_SUCCEEDED) for owner in (tenant, other_tenant) for _ in range(3)]
    batches: list[tuple[str, int]] = []
    prune = store.prune_log

    async def counted(table: retention.LogTable, cutoff: datetime, limit: int) -> int:
        batches.append((table.name, await prune(table, cutoff, limit)))
        return batches[-1][1]

    monkeypatch.setattr(store, "prune_log", counted)
    pruned = await _prune(store, datetime.now(UTC) + timedelta(minutes=1))
    assert pruned["events"] == 6
    # Full batches of events go on; the first that is not full (here: empty) ends the table's turn.
    assert [deleted for name, deleted in batches if name == "events"] == [2, 2, 2, 0]
    # The other tables, with nothing to prune, get one batch each.
    assert [name for name, _ in batches if name != "events"] == ["jobs", "webhook_deliveries", "idempotency_keys"]
    for event_id in ids:
        owner = tenant if event_id in ids[:3] else other_tenant
        assert not await _event_exists(stub, owner, event_id)


async def test_the_service_prunes_on_its_own_with_its_settings(
    tmp_path: Path, service_database_url: str, tenant: common_pb2.Tenant
) -> None:
    settings = service_settings(tmp_path, service_database_url).model_copy(
        update={"event_retention_days": 1 / 86400, "retention_interval_seconds": 0.2}  # one second
    )
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        stub = pb_grpc.MetadataServiceStub(channel)
        finished = await _record_event(stub, tenant, EVENT_SUCCEEDED)
        pending = await _record_event(stub, tenant, EVENT_PENDING)
        deadline = asyncio.get_running_loop().time() + 15
        while await _event_exists(stub, tenant, finished):
            assert asyncio.get_running_loop().time() < deadline, "the finished event outlived its retention"
            await asyncio.sleep(0.1)
        assert await _event_exists(stub, tenant, pending)
    finally:
        await channel.close()
        await service.stop(0)


def test_retention_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="event_retention_days"):
        MetadataSettings(data_dir=tmp_path, event_retention_days=-1)
    with pytest.raises(ValidationError, match="retention_interval_seconds"):
        MetadataSettings(data_dir=tmp_path, retention_interval_seconds=0)
    assert MetadataSettings(data_dir=tmp_path).event_retention_days == 30


async def _begin(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, key: str, retention: float) -> None:
    request = pb.BeginIdempotentRequestRequest(
        tenant=tenant, key=key, fingerprint="f", lease_seconds=60, retention_seconds=retention
    )
    assert (await stub.BeginIdempotentRequest(request)).state == pb.IDEMPOTENCY_STATE_STARTED


async def _keys(store: SqlMetadataStore, tenant: common_pb2.Tenant) -> set[str]:
    async with store._engine.connect() as connection:
        rows = await connection.execute(
            sa.select(IdempotencyKeyRow.key).where(IdempotencyKeyRow.org_id == tenant.org_id)
        )
        return {key for (key,) in rows}


async def test_idempotency_keys_go_once_past_their_own_retention_unless_a_request_holds_them(
    stub: pb_grpc.MetadataServiceStub, store: SqlMetadataStore, tenant: common_pb2.Tenant
) -> None:
    finish = pb.FinishIdempotentRequestRequest
    await _begin(stub, tenant, "done-short", retention=1)
    await stub.FinishIdempotentRequest(finish(tenant=tenant, key="done-short", succeeded=True, result="{}"))
    await _begin(stub, tenant, "failed-short", retention=1)  # released: a retry could take it over
    await stub.FinishIdempotentRequest(finish(tenant=tenant, key="failed-short", succeeded=False))
    await _begin(stub, tenant, "running-short", retention=1)  # its request is still running
    await _begin(stub, tenant, "done-default", retention=0)  # 24 h
    await stub.FinishIdempotentRequest(finish(tenant=tenant, key="done-default", succeeded=True, result="{}"))
    everything = {"done-short", "failed-short", "running-short", "done-default"}
    # The cutoff of finished logs does not apply to keys: each has its own expiry.
    far_future = datetime.now(UTC) + timedelta(days=400)
    assert (await _prune(store, far_future))["idempotency_keys"] == 0
    assert await _keys(store, tenant) == everything
    await asyncio.sleep(1.2)
    assert (await _prune(store, datetime.now(UTC) - timedelta(days=30)))["idempotency_keys"] == 2
    assert await _keys(store, tenant) == {"running-short", "done-default"}
    # A key that went is new again: the next request with it runs.
    await _begin(stub, tenant, "done-short", retention=1)
