"""The vector-sync reconciler on the real stack: a record whose vector never landed gets one, a vector whose
record is gone is removed, and acknowledged changes leave nothing pending (acknowledgements go out in the
background, moments after the write answered). Also the gateway's retry policy names real, idempotent methods
only."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.clients import (
    METADATA_IDEMPOTENT,
    VECTORSEARCH_IDEMPOTENT,
    MetadataClient,
    VectorSearchClient,
)
from gateway.vector_sync import Acknowledger, VectorSyncReconciler
from libs import domain
from libs.filters import Condition, Op
from libs.rpc.client import open_channel
from memgrid.extraction.v1 import extraction_service_pb2
from memgrid.metadata.v1 import metadata_service_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2
from tests.conftest import Stack

TENANT = domain.Tenant("acme", "app1")


class Clients:
    def __init__(self, metadata: MetadataClient, vectors: VectorSearchClient) -> None:
        self.metadata = metadata
        self.vectors = vectors
        self.reconciler = VectorSyncReconciler(metadata, vectors)

    async def vector_ids(self, user: str, query: str) -> set[str]:
        (hits,) = await self.vectors.search(TENANT, [query], Condition("user_id", Op.EQ, user), 10)
        return {hit.memory_id for hit in hits}

    async def pending_ids(self) -> set[str]:
        return {sync.memory_id for sync in await self.metadata.list_pending_vector_syncs(0, 10_000)}

    async def acknowledged_soon(self, memory_id: str, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while memory_id in await self.pending_ids():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True


@pytest.fixture
async def clients(stack: Stack) -> AsyncIterator[Clients]:
    metadata_channel, vector_channel = open_channel(stack.metadata_target), open_channel(stack.vectorsearch_target)
    try:
        yield Clients(MetadataClient(metadata_channel, 30), VectorSearchClient(vector_channel, 30))
    finally:
        await metadata_channel.close()
        await vector_channel.close()


async def test_writes_through_the_gateway_leave_nothing_pending(clients: Clients, client: httpx.AsyncClient) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    added = await client.post("/v1/memories/", json={"messages": "I grow tomatoes", "user_id": user, "infer": False})
    memory_id = added.json()["results"][0]["id"]
    assert await clients.acknowledged_soon(memory_id)
    await client.put(f"/v1/memories/{memory_id}/", json={"text": "I grow peppers"})
    assert await clients.acknowledged_soon(memory_id)
    await client.delete(f"/v1/memories/{memory_id}/")
    assert await clients.acknowledged_soon(memory_id)


async def test_a_record_whose_vector_never_landed_is_completed(clients: Clients, client: httpx.AsyncClient) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    # As if the gateway died right after the record was written: record + outbox entry, no vector.
    (memory,) = await clients.metadata.create_memories(
        TENANT,
        [domain.NewMemory(id=str(uuid.uuid4()), text="Collects vinyl records", scope=domain.Scope(user_id=user))],
        [],
    )
    assert memory.id in await clients.pending_ids()
    assert await clients.vector_ids(user, "vinyl") == set()

    report = await clients.reconciler.run_once(0)

    assert report.upserted >= 1
    assert await clients.vector_ids(user, "vinyl") == {memory.id}
    assert memory.id not in await clients.pending_ids()
    found = await client.post("/v1/memories/search/", json={"query": "records collection", "user_id": user})
    assert [hit["id"] for hit in found.json()["results"]] == [memory.id]


async def test_a_vector_whose_record_is_gone_is_removed(clients: Clients, client: httpx.AsyncClient) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    added = await client.post("/v1/memories/", json={"messages": "Speaks Basque", "user_id": user, "infer": False})
    memory_id = added.json()["results"][0]["id"]
    # As if the gateway died between deleting the record and deleting the vector.
    await clients.metadata.delete_memories(TENANT, ids=[memory_id])
    assert await clients.vector_ids(user, "Basque") == {memory_id}

    report = await clients.reconciler.run_once(0)

    assert report.deleted >= 1
    assert await clients.vector_ids(user, "Basque") == set()
    assert memory_id not in await clients.pending_ids()


def test_retried_methods_exist_and_none_of_them_writes_records() -> None:
    services = {
        "memgrid.metadata.v1.MetadataService": metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"],
        "memgrid.vectorsearch.v1.VectorSearchService": vectorsearch_service_pb2.DESCRIPTOR.services_by_name[
            "VectorSearchService"
        ],
        "memgrid.extraction.v1.ExtractionService": extraction_service_pb2.DESCRIPTOR.services_by_name[
            "ExtractionService"
        ],
    }
    for full_name in (*METADATA_IDEMPOTENT, *VECTORSEARCH_IDEMPOTENT):
        service, _, method = full_name.partition("/")
        assert method in services[service].methods_by_name, full_name
    never_retried = {"CreateMemories", "UpdateMemories", "DeleteMemories", "RecordEvent", "BeginIdempotentRequest"}
    assert not never_retried & {name.partition("/")[2] for name in METADATA_IDEMPOTENT}


class CountingMetadata(MetadataClient):
    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.ack_calls = 0

    async def ack_vector_syncs(self, syncs):  # type: ignore[no-untyped-def]
        self.ack_calls += 1
        return await super().ack_vector_syncs(syncs)


async def _pending_memories(clients: Clients, count: int) -> list[domain.Memory]:
    user = f"user-{uuid.uuid4().hex[:8]}"
    new = [
        domain.NewMemory(id=str(uuid.uuid4()), text=f"fact {i}", scope=domain.Scope(user_id=user)) for i in range(count)
    ]
    return await clients.metadata.create_memories(TENANT, new, [])


async def test_acknowledgements_made_together_go_out_in_one_call_and_close_sends_them(
    clients: Clients, stack: Stack
) -> None:
    memories = await _pending_memories(clients, 3)
    channel = open_channel(stack.metadata_target)
    try:
        counting = CountingMetadata(channel, 30)
        acknowledger = Acknowledger(counting, gather_seconds=60)
        acknowledger.acknowledge(TENANT, memories[:1])
        acknowledger.acknowledge(TENANT, memories[1:])
        acknowledger.acknowledge(TENANT, [])
        assert {m.id for m in memories} <= await clients.pending_ids()  # still gathering
        await asyncio.wait_for(acknowledger.close(), 10)
    finally:
        await channel.close()
    assert counting.ack_calls == 1
    assert not {m.id for m in memories} & await clients.pending_ids()


async def test_an_acknowledgement_that_fails_leaves_the_entry_to_the_reconciler(clients: Clients) -> None:
    (memory,) = await _pending_memories(clients, 1)
    channel = open_channel("127.0.0.1:9")  # nothing listens there
    try:
        acknowledger = Acknowledger(MetadataClient(channel, 1), gather_seconds=0)
        acknowledger.acknowledge(TENANT, [memory])
        await asyncio.wait_for(acknowledger.close(), 30)  # logs, does not raise
    finally:
        await channel.close()
    assert memory.id in await clients.pending_ids()
    await clients.reconciler.run_once(0)
    assert memory.id not in await clients.pending_ids()
