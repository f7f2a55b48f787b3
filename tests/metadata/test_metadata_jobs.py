"""The durable job queue and stored exports, through the real metadata service's RPCs, on SQLite and PostgreSQL:
enqueue with its PENDING event, claims that never hand one job to two workers (also across two service replicas
on one database), leases that expire, claim tokens that fence a worker that lost its job, retries and failures."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2

from libs.domain import Event, EventStatus, Tenant
from libs.errors import InvalidArgument
from libs.rpc.client import open_channel
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc as pb_grpc
from services.metadata.database import create_engine, run_migrations
from services.metadata.server import start_service
from services.metadata.store import SqlMetadataStore
from tests.metadata.conftest import Running
from tests.metadata.helpers import expect_error, filter_of

PENDING = common_pb2.EVENT_STATUS_PENDING
RUNNING = common_pb2.EVENT_STATUS_RUNNING
SUCCEEDED = common_pb2.EVENT_STATUS_SUCCEEDED
FAILED = common_pb2.EVENT_STATUS_FAILED


def _event(job_id: str, status: int = PENDING, error: str = "") -> common_pb2.Event:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(datetime.now(UTC))
    return common_pb2.Event(id=job_id, event_type="ADD", status=status, created_at=created, error=error)


async def _enqueue(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, payload: str = "{}") -> str:
    job_id = str(uuid.uuid4())
    await stub.EnqueueJob(
        pb.EnqueueJobRequest(tenant=tenant, job_id=job_id, kind="ADD", payload=payload, event=_event(job_id))
    )
    return job_id


async def _claim(stub: pb_grpc.MetadataServiceStub, limit: int = 10, lease: float = 60.0) -> list[pb.Job]:
    return list((await stub.ClaimJobs(pb.ClaimJobsRequest(limit=limit, lease_seconds=lease))).jobs)


async def _finish(stub: pb_grpc.MetadataServiceStub, job: pb.Job, outcome: int, status: int, **fields: object) -> bool:
    request = pb.FinishJobRequest(
        tenant=job.tenant,
        job_id=job.id,
        claim_token=job.claim_token,
        outcome=outcome,
        event=_event(job.id, status, str(fields.get("error", ""))),
        **fields,
    )
    return (await stub.FinishJob(request)).finished


async def _status(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, job_id: str) -> common_pb2.Event:
    return (await stub.GetEvent(pb.GetEventRequest(tenant=tenant, event_id=job_id))).event


async def test_a_queued_job_is_claimed_once_and_its_event_follows(stub, tenant) -> None:
    job_id = await _enqueue(stub, tenant, payload='{"x": 1}')
    assert (await _status(stub, tenant, job_id)).status == PENDING
    claimed = await _claim(stub)
    assert [(job.id, job.payload, job.attempts, job.kind) for job in claimed] == [(job_id, '{"x": 1}', 1, "ADD")]
    assert claimed[0].tenant == tenant and claimed[0].claim_token
    running = await _status(stub, tenant, job_id)
    assert running.status == RUNNING and running.HasField("started_at")
    assert await _claim(stub) == []
    assert await _finish(stub, claimed[0], pb.JOB_OUTCOME_SUCCEEDED, SUCCEEDED)
    assert (await _status(stub, tenant, job_id)).status == SUCCEEDED
    assert await _claim(stub) == []


async def test_jobs_are_claimed_oldest_first_within_the_limit(stub, tenant) -> None:
    ids = [await _enqueue(stub, tenant) for _ in range(5)]
    first = await _claim(stub, limit=2)
    rest = await _claim(stub, limit=10)
    assert [job.id for job in first] == ids[:2]
    assert [job.id for job in rest] == ids[2:]


async def test_concurrent_claims_on_two_replicas_never_share_a_job(metadata: Running, stub, tenant) -> None:
    """Two metadata services on one database (as two gateway replicas would reach them), eight claimers each."""
    ids = {await _enqueue(stub, tenant) for _ in range(60)}
    second = await start_service(metadata.settings)
    channel = open_channel(f"127.0.0.1:{second.port}")
    try:
        stubs = [stub, pb_grpc.MetadataServiceStub(channel)]
        taken: list[str] = []

        async def claimer(replica: pb_grpc.MetadataServiceStub) -> None:
            while jobs := await _claim(replica, limit=3):
                taken.extend(job.id for job in jobs)

        await asyncio.gather(*(claimer(stubs[index % 2]) for index in range(16)))
    finally:
        await channel.close()
        await second.stop(0)
    assert len(taken) == len(set(taken)), "a job was claimed twice"
    assert set(taken) == ids


async def test_an_expired_lease_makes_the_job_claimable_and_fences_the_old_worker(stub, tenant) -> None:
    job_id = await _enqueue(stub, tenant)
    (dead,) = await _claim(stub, lease=0.2)
    await asyncio.sleep(0.3)
    (again,) = await _claim(stub, lease=60)
    assert again.id == job_id and again.attempts == 2 and again.claim_token != dead.claim_token
    # The worker that lost its lease cannot finish the job any more; the one holding it can.
    assert not await _finish(stub, dead, pb.JOB_OUTCOME_FAILED, FAILED, error="late")
    assert (await _status(stub, tenant, job_id)).status == RUNNING
    assert await _finish(stub, again, pb.JOB_OUTCOME_SUCCEEDED, SUCCEEDED)
    assert (await _status(stub, tenant, job_id)).status == SUCCEEDED


async def test_a_retried_job_is_due_after_its_backoff_and_a_failed_one_never(stub, tenant) -> None:
    retried, failed = await _enqueue(stub, tenant), await _enqueue(stub, tenant)
    jobs = {job.id: job for job in await _claim(stub)}
    assert await _finish(stub, jobs[retried], pb.JOB_OUTCOME_RETRY, PENDING, retry_after_seconds=3600, error="busy")
    assert await _finish(stub, jobs[failed], pb.JOB_OUTCOME_FAILED, FAILED, error="bad input")
    assert await _claim(stub) == []
    event = await _status(stub, tenant, failed)
    assert event.status == FAILED and event.error == "bad input"
    assert (await _status(stub, tenant, retried)).status == PENDING

    soon = await _enqueue(stub, tenant)
    (job,) = await _claim(stub)
    assert await _finish(stub, job, pb.JOB_OUTCOME_RETRY, PENDING, retry_after_seconds=0, error="busy")
    (again,) = await _claim(stub)
    assert again.id == soon and again.attempts == 2


async def test_finishing_is_scoped_to_the_jobs_tenant(stub, tenant, other_tenant) -> None:
    job_id = await _enqueue(stub, tenant)
    (job,) = await _claim(stub)
    forged = pb.Job()
    forged.CopyFrom(job)
    forged.tenant.CopyFrom(other_tenant)
    assert not await _finish(stub, forged, pb.JOB_OUTCOME_SUCCEEDED, SUCCEEDED)
    await expect_error(
        stub.GetEvent(pb.GetEventRequest(tenant=other_tenant, event_id=job_id)), grpc.StatusCode.NOT_FOUND
    )
    assert (await _status(stub, tenant, job_id)).status == RUNNING


async def test_bad_jobs_are_refused_naming_the_field(stub, tenant) -> None:
    job_id = str(uuid.uuid4())
    cases = [
        (pb.EnqueueJobRequest(tenant=tenant, job_id="", kind="ADD", payload="{}", event=_event("")), "job_id"),
        (pb.EnqueueJobRequest(tenant=tenant, job_id=job_id, kind="ADD", payload="", event=_event(job_id)), "payload"),
        (pb.EnqueueJobRequest(tenant=tenant, job_id=job_id, kind="", payload="{}", event=_event(job_id)), "kind"),
        (pb.EnqueueJobRequest(tenant=tenant, job_id=job_id, kind="ADD", payload="{}", event=_event("x")), "event.id"),
        (pb.EnqueueJobRequest(tenant=tenant, job_id=job_id, kind="ADD", payload="{}"), "event"),
    ]
    for request, field in cases:
        await expect_error(stub.EnqueueJob(request), grpc.StatusCode.INVALID_ARGUMENT, field)
    await expect_error(
        stub.ClaimJobs(pb.ClaimJobsRequest(limit=0, lease_seconds=1)), grpc.StatusCode.INVALID_ARGUMENT, "limit"
    )
    for lease in (0, float("nan"), 1e300):
        await expect_error(
            stub.ClaimJobs(pb.ClaimJobsRequest(limit=1, lease_seconds=lease)),
            grpc.StatusCode.INVALID_ARGUMENT,
            "lease_seconds",
        )
    queued = await _enqueue(stub, tenant)
    await expect_error(
        stub.EnqueueJob(
            pb.EnqueueJobRequest(tenant=tenant, job_id=queued, kind="ADD", payload="{}", event=_event(queued))
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        "job_id",
    )


async def test_an_export_keeps_its_schema_and_filter_within_its_tenant(stub, tenant, other_tenant) -> None:
    spec = pb.MemoryExport(
        id=str(uuid.uuid4()), schema='{"properties": {"memory": {}}}', filter=filter_of({"user_id": "u1"})
    )
    created = (await stub.CreateExport(pb.CreateExportRequest(tenant=tenant, export=spec))).export
    fetched = (await stub.GetExport(pb.GetExportRequest(tenant=tenant, export_id=spec.id))).export
    assert fetched.id == created.id == spec.id
    assert fetched.schema == spec.schema and fetched.filter == spec.filter and fetched.HasField("created_at")
    await expect_error(
        stub.GetExport(pb.GetExportRequest(tenant=other_tenant, export_id=spec.id)),
        grpc.StatusCode.NOT_FOUND,
        "memory_export_id",
    )
    await expect_error(
        stub.CreateExport(pb.CreateExportRequest(tenant=tenant, export=spec)), grpc.StatusCode.ALREADY_EXISTS
    )


async def test_polling_an_empty_queue_reads_and_writes_nothing(database_url) -> None:
    """Idle job workers and webhook dispatchers poll every second: an empty poll is one read, no write
    transaction (on SQLite each would wait its turn behind request writes and hold them up)."""
    engine = create_engine(database_url)
    statements: list[str] = []

    def grab(_conn, _cursor, statement, *_rest) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine)
        sa.event.listen(engine.sync_engine, "before_cursor_execute", grab)
        assert await store.claim_jobs(5, 60.0) == []
        assert await store.claim_webhook_deliveries(5, 60.0) == []
        assert statements and set(statements) == {"SELECT"}, statements

        event = Event(
            id="j1", event_type="ADD", status=EventStatus.PENDING, results=[], error=None, created_at=datetime.now(UTC)
        )
        await store.enqueue_job(Tenant("o", "p"), "j1", "ADD", "{}", event)
        statements.clear()
        assert [job.id for job in await store.claim_jobs(5, 60.0)] == ["j1"]
        assert "UPDATE" in statements
        with pytest.raises(InvalidArgument, match="limit"):
            await store.claim_jobs(0, 60.0)
        with pytest.raises(InvalidArgument, match="lease_seconds"):
            await store.claim_webhook_deliveries(5, 0.0)
    finally:
        await engine.dispose()
