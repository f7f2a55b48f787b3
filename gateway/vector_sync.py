"""Keeps the vector store in line with the records: the acknowledgement after each write, and the reconciler.

Every memory change is written to SQL first, together with a vector-sync outbox entry (metadata service), then
to Milvus; the gateway acknowledges the entry once the vector write has landed. Whatever a crash or a failed
vector write leaves behind, the reconciler finds in the outbox: it upserts the vectors of memories that exist
and deletes the vectors of memories that do not, then acknowledges. It runs once when the gateway starts (for
what a crash left) and then every `interval` seconds for entries old enough that no request is still writing
them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from gateway.clients import MetadataClient, VectorSearchClient
from libs import domain
from libs.debounce import Debounced
from libs.domain import VectorRecord, VectorSync
from libs.errors import MemgridError
from libs.observability.metrics import ServiceMetrics

log = structlog.get_logger()

SYNC_BATCH = 500
# One pass stops after this many batches; the next pass goes on.
MAX_BATCHES_PER_PASS = 200
# The memgrid_queue_depth label of the entries a pass found overdue (older than its min age).
OVERDUE_QUEUE = "vector_sync_overdue"


def vector_record(memory: domain.Memory) -> VectorRecord:
    """What the vector store keeps of a memory: its text (embedded there) and the fields it can pre-filter on."""
    return VectorRecord(
        memory_id=memory.id,
        text=memory.memory,
        scope=memory.scope,
        created_at=memory.created_at,
        updated_at=memory.updated_at,
        categories=memory.categories,
    )


@dataclass(slots=True)
class SyncReport:
    upserted: int = 0
    deleted: int = 0
    acknowledged: int = 0


# A write's acknowledgement waits this long for the acknowledgements of concurrent writes to join it.
ACK_GATHER_SECONDS = 0.02


class Acknowledger:
    """Tells the outbox that memories' vectors now match, off the request's time.

    A write returns once its vector has landed; its acknowledgement (a metadata write) follows in the background
    moments later, with those of the writes made meanwhile in one call. A failure, or a crash before it is sent,
    only leaves work for the reconciler, which finds the entry in the outbox and re-applies it (idempotently).
    `close` sends what is waiting."""

    def __init__(self, metadata: MetadataClient, *, gather_seconds: float = ACK_GATHER_SECONDS) -> None:
        self._metadata = metadata
        self._waiting: list[VectorSync] = []
        self._soon = Debounced(self._send, delay_seconds=gather_seconds, name="vector-sync-acks")

    def acknowledge(self, tenant: domain.Tenant, memories: Sequence[domain.Memory]) -> None:
        if not memories:
            return
        self._waiting.extend(VectorSync(tenant, m.id, m.updated_at) for m in memories)
        self._soon.request()

    async def close(self) -> None:
        """Send what is waiting now."""
        await self._soon.close()

    async def _send(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:SYNC_BATCH], self._waiting[SYNC_BATCH:]
            try:
                await self._metadata.ack_vector_syncs(batch)
            except MemgridError as error:
                log.warning("vector_sync.ack_failed", count=len(batch), error=str(error))


class VectorSyncReconciler:
    def __init__(
        self, metadata: MetadataClient, vectors: VectorSearchClient, metrics: ServiceMetrics | None = None
    ) -> None:
        self._metadata = metadata
        self._vectors = vectors
        self._metrics = metrics

    async def run_once(self, min_age_seconds: float) -> SyncReport:
        """Bring every pending outbox entry at least `min_age_seconds` old in line, then acknowledge it. The
        number of entries the pass found is the gauge memgrid_queue_depth{queue="vector_sync_overdue"}: above
        zero, vector writes are failing or a crash left work behind."""
        report = SyncReport()
        found = 0
        try:
            for _ in range(MAX_BATCHES_PER_PASS):
                syncs = await self._metadata.list_pending_vector_syncs(min_age_seconds, SYNC_BATCH)
                found += len(syncs)
                if not syncs:
                    break
                by_tenant: dict[domain.Tenant, list[str]] = defaultdict(list)
                for sync in syncs:
                    by_tenant[sync.tenant].append(sync.memory_id)
                for tenant, ids in by_tenant.items():
                    upserted, deleted = await self._sync_tenant(tenant, list(dict.fromkeys(ids)))
                    report.upserted += upserted
                    report.deleted += deleted
                report.acknowledged += len(syncs)
                await self._metadata.ack_vector_syncs(syncs)
                if len(syncs) < SYNC_BATCH:
                    break
        finally:
            if self._metrics is not None:
                self._metrics.queue_depth.labels(OVERDUE_QUEUE).set(found)
        if report.acknowledged:
            log.info("vector_sync.reconciled", upserted=report.upserted, deleted=report.deleted)
        return report

    async def _sync_tenant(self, tenant: domain.Tenant, ids: list[str]) -> tuple[int, int]:
        present = {m.id: m for m in await self._metadata.get_memories(tenant, ids)}
        gone = [memory_id for memory_id in ids if memory_id not in present]
        if present:
            await self._vectors.upsert(tenant, [vector_record(memory) for memory in present.values()])
        if gone:
            await self._vectors.delete(tenant, gone)
        # The records are the truth: a memory deleted while we wrote its vector must lose it again, and one
        # written again meanwhile (a retried idempotent add reuses its ids) must get its vector back.
        now = {m.id: m for m in await self._metadata.get_memories(tenant, ids)}
        vanished = [memory_id for memory_id in present if memory_id not in now]
        revived = [now[memory_id] for memory_id in gone if memory_id in now]
        if vanished:
            await self._vectors.delete(tenant, vanished)
        if revived:
            await self._vectors.upsert(tenant, [vector_record(memory) for memory in revived])
        return len(present) + len(revived), len(gone) + len(vanished)

    async def run_forever(self, *, interval_seconds: float, min_age_seconds: float) -> None:
        """A pass for what a crash left (any age), then one every `interval_seconds` for entries that are old
        enough that no request is still writing them. Errors (a service that is down) wait for the next pass."""
        min_age = 0.0
        while True:
            try:
                await self.run_once(min_age)
            except MemgridError as error:
                # Keep the age limit where it is: the crash pass is retried until it completes once.
                log.warning("vector_sync.pass_failed", error=str(error))
            else:
                min_age = min_age_seconds
            await asyncio.sleep(interval_seconds)
