"""The vector-sync reconciler on the real stack: a record whose vector never landed gets one, a vector whose
record is gone is removed, and acknowledged changes leave nothing pending. Also the gateway's retry policy
names real, idempotent methods only."""

from __future__ import annotations

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
from gateway.vector_sync import VectorSyncReconciler
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
    await client.put(f"/v1/memories/{memory_id}/", json={"text": "I grow peppers"})
    assert memory_id not in await clients.pending_ids()
    await client.delete(f"/v1/memories/{memory_id}/")
    assert memory_id not in await clients.pending_ids()


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
