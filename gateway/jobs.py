"""The gateway's job worker: runs queued (asynchronous) adds from the metadata service's durable job queue.

N tasks (MEMGRID_JOBS__CONCURRENCY) each claim one due job at a time, run it through the orchestrator under a
deadline shorter than the claim's lease, and finish it: SUCCEEDED with the changes, or — on failure — retried
with exponential backoff until max_attempts, then FAILED with the error. The event (id = job id) moves PENDING →
RUNNING (at the claim) → SUCCEEDED / FAILED (back to PENDING with the error between attempts). A job whose
worker dies stays RUNNING until its lease expires, then any worker claims it again; it re-derives the same
memory ids from the job id, so what the dead run wrote is found, not written twice. Workers wake at once when
this gateway queues a job and otherwise poll every poll_interval_seconds. On shutdown they stop claiming and
finish what they run (up to a grace period; a job cut off then is re-run after its lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway import add_payload
from gateway.backoff import backoff_seconds
from gateway.clients import MetadataClient
from gateway.orchestrator import Orchestrator
from libs import domain
from libs.errors import MemgridError
from libs.logging import bind_request_id
from libs.rpc.deadline import deadline_scope

log = structlog.get_logger()

ADD = "ADD"


class JobSettings(BaseModel):
    """MEMGRID_JOBS__<NAME>."""

    model_config = ConfigDict(frozen=True)

    # Concurrent job tasks in this gateway.
    concurrency: int = Field(2, ge=0, le=64)
    # How often an idle task looks for due jobs (queued by another gateway, or due again after a backoff).
    poll_interval_seconds: float = Field(1.0, gt=0)
    # Deadline of one run of a job.
    timeout_seconds: float = Field(120.0, gt=0)
    # How long a claim holds a job; a job still RUNNING after it (its worker died) is claimed again.
    lease_seconds: float = Field(150.0, gt=0)
    # Runs of a job before it is FAILED.
    max_attempts: int = Field(3, ge=1)
    # Wait before the second run; doubled for each further run, at most retry_backoff_max_seconds.
    retry_backoff_seconds: float = Field(2.0, ge=0)
    retry_backoff_max_seconds: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _lease_outlives_a_run(self) -> JobSettings:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError(
                f"jobs.lease_seconds must be longer than jobs.timeout_seconds ({self.lease_seconds} <= "
                f"{self.timeout_seconds}): a running job would be claimed by a second worker"
            )
        return self

    def backoff(self, attempts: int) -> float:
        return backoff_seconds(attempts, self.retry_backoff_seconds, self.retry_backoff_max_seconds)


def _permanent(error: Exception) -> bool:
    """Errors a new run cannot fix (the request itself is wrong); anything else is retried."""
    return isinstance(error, MemgridError) and 400 <= error.http_status < 500 and not error.retryable


class JobWorker:
    def __init__(
        self, metadata: MetadataClient, orchestrator: Orchestrator, settings: JobSettings, wakeup: asyncio.Event
    ) -> None:
        self._metadata = metadata
        self._orchestrator = orchestrator
        self._settings = settings
        # Set when this gateway queues a job.
        self._wakeup = wakeup
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"job-worker-{index}") for index in range(self._settings.concurrency)
        ]
        log.info("jobs.started", concurrency=self._settings.concurrency)

    async def stop(self, grace_seconds: float) -> None:
        """Stop claiming; let running jobs finish for up to `grace_seconds`, then cancel them."""
        self._stopping = True
        self._wakeup.set()
        if not self._tasks:
            return
        _, running = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        log.info("jobs.stopped", cut_off=len(running))

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                claimed = await self._metadata.claim_jobs(1, self._settings.lease_seconds)
            except MemgridError as error:
                log.warning("jobs.claim_failed", error=str(error))
                claimed = []
            if not claimed:
                await self._idle()
                continue
            try:
                await self.run(claimed[0])
            except Exception:  # a bug must not stop the worker; the job is taken over after its lease
                log.exception("job.crashed", job_id=claimed[0].id)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._settings.poll_interval_seconds)
        self._wakeup.clear()

    async def run(self, job: domain.Job) -> None:
        """Run one claimed job and record its outcome. Its log lines and internal calls carry the job id as
        their request id."""
        bind_request_id(job.id)
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            if job.kind != ADD:
                raise ValueError(f"unknown job kind {job.kind!r}")
            command = add_payload.decode(job.payload)
        except (ValueError, KeyError, TypeError) as error:
            await self._finish(job, domain.JobOutcome.FAILED, started_at, started, error=f"unreadable job: {error}")
            return
        try:
            with deadline_scope(self._settings.timeout_seconds):
                changes = await self._orchestrator.run_add_job(job.tenant, job.id, command)
        except Exception as error:  # any failure of a run is recorded on its event
            message = str(error) or type(error).__name__
            if _permanent(error) or job.attempts >= self._settings.max_attempts:
                log.warning("job.failed", job_id=job.id, attempts=job.attempts, error=message)
                await self._finish(job, domain.JobOutcome.FAILED, started_at, started, error=message)
            else:
                delay = self._settings.backoff(job.attempts)
                log.info("job.retry", job_id=job.id, attempts=job.attempts, delay_seconds=delay, error=message)
                await self._finish(job, domain.JobOutcome.RETRY, started_at, started, error=message, delay=delay)
            return
        await self._finish(job, domain.JobOutcome.SUCCEEDED, started_at, started, changes=changes)

    async def _finish(
        self,
        job: domain.Job,
        outcome: domain.JobOutcome,
        started_at: datetime,
        started: float,
        *,
        changes: list[domain.MemoryChange] | None = None,
        error: str | None = None,
        delay: float = 0.0,
    ) -> None:
        final = outcome is not domain.JobOutcome.RETRY
        status = {
            domain.JobOutcome.SUCCEEDED: domain.EventStatus.SUCCEEDED,
            domain.JobOutcome.FAILED: domain.EventStatus.FAILED,
            domain.JobOutcome.RETRY: domain.EventStatus.PENDING,
        }[outcome]
        event = domain.Event(
            id=job.id,
            event_type=job.kind,
            status=status,
            results=changes or [],
            error=error,
            created_at=job.created_at,
            started_at=started_at,
            completed_at=datetime.now(UTC) if final else None,
            latency_ms=(time.perf_counter() - started) * 1000 if final else None,
        )
        try:
            finished = await self._metadata.finish_job(job, outcome, event, retry_after_seconds=delay, error=error)
        except MemgridError as failure:
            # The job stays RUNNING; after its lease it runs again and finds what this run wrote.
            log.warning("job.finish_failed", job_id=job.id, error=str(failure))
            return
        if not finished:
            log.warning("job.lease_lost", job_id=job.id)
            return
        log.info("job.finished", job_id=job.id, status=status.value, changes=len(event.results))
