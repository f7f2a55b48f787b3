"""The metadata side of crash consistency and idempotency, through the real service's RPCs:
the vector-sync outbox written with every memory change, idempotency keys, and duplicate-free fact storage."""

from __future__ import annotations

import asyncio

import grpc

from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc as pb_grpc
from tests.metadata.helpers import expect_error, new_memory

STARTED = pb.IDEMPOTENCY_STATE_STARTED
COMPLETED = pb.IDEMPOTENCY_STATE_COMPLETED
IN_PROGRESS = pb.IDEMPOTENCY_STATE_IN_PROGRESS


async def _pending(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant) -> list[pb.VectorSync]:
    response = await stub.ListPendingVectorSyncs(pb.ListPendingVectorSyncsRequest(min_age_seconds=0, limit=10_000))
    return [sync for sync in response.syncs if sync.tenant == tenant]


async def _create(stub: pb_grpc.MetadataServiceStub, tenant: common_pb2.Tenant, *texts: str, **scope: str) -> list:
    response = await stub.CreateMemories(
        pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory(text, **scope) for text in texts])
    )
    return list(response.memories)


async def test_every_change_leaves_an_outbox_entry_until_acknowledged(stub, tenant) -> None:
    created = await _create(stub, tenant, "Likes tea", "Lives in Oslo", user_id="u1")
    pending = await _pending(stub, tenant)
    assert sorted(s.memory_id for s in pending) == sorted(m.id for m in created)

    removed = await stub.AckVectorSyncs(pb.AckVectorSyncsRequest(syncs=pending))
    assert removed.removed == 2
    assert await _pending(stub, tenant) == []

    updated = await stub.UpdateMemories(
        pb.UpdateMemoriesRequest(tenant=tenant, patches=[pb.MemoryPatch(memory_id=created[0].id, text="Likes coffee")])
    )
    assert [s.memory_id for s in await _pending(stub, tenant)] == [created[0].id]
    assert (await _pending(stub, tenant))[0].version == updated.memories[0].updated_at

    await stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=[created[1].id]))
    assert sorted(s.memory_id for s in await _pending(stub, tenant)) == sorted(m.id for m in created)


async def test_acknowledging_an_older_version_keeps_the_newer_change(stub, tenant) -> None:
    (memory,) = await _create(stub, tenant, "Plays chess", user_id="u1")
    first = (await _pending(stub, tenant))[0]
    await stub.UpdateMemories(
        pb.UpdateMemoriesRequest(tenant=tenant, patches=[pb.MemoryPatch(memory_id=memory.id, text="Plays go")])
    )
    # The create's vector write finishes after the update was recorded: only the create's entry may go.
    removed = await stub.AckVectorSyncs(pb.AckVectorSyncsRequest(syncs=[first]))
    assert removed.removed == 1
    left = await _pending(stub, tenant)
    assert [s.memory_id for s in left] == [memory.id]
    assert left[0].version.ToDatetime() > first.version.ToDatetime()


async def test_a_late_acknowledgement_of_the_last_write_keeps_the_deletion(stub, tenant) -> None:
    (memory,) = await _create(stub, tenant, "Keeps bees", user_id="u1")
    written = (await _pending(stub, tenant))[0]
    deleted = await stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=[memory.id]))
    # The create's acknowledgement arrives after the delete (the gateway sends them in the background).
    await stub.AckVectorSyncs(pb.AckVectorSyncsRequest(syncs=[written]))
    left = await _pending(stub, tenant)
    assert [s.memory_id for s in left] == [memory.id]
    assert left[0].version == deleted.memories[0].updated_at
    assert deleted.memories[0].updated_at.ToDatetime() > written.version.ToDatetime()
    # The deletion's own acknowledgement takes it.
    await stub.AckVectorSyncs(pb.AckVectorSyncsRequest(syncs=left))
    assert await _pending(stub, tenant) == []


async def test_min_age_hides_fresh_entries(stub, tenant) -> None:
    await _create(stub, tenant, "Fresh", user_id="u1")
    response = await stub.ListPendingVectorSyncs(pb.ListPendingVectorSyncsRequest(min_age_seconds=3600, limit=100))
    assert all(sync.tenant != tenant for sync in response.syncs)


async def test_outbox_requests_are_validated(stub) -> None:
    await expect_error(
        stub.ListPendingVectorSyncs(pb.ListPendingVectorSyncsRequest(limit=0)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "limit",
    )
    await expect_error(
        stub.AckVectorSyncs(pb.AckVectorSyncsRequest(syncs=[pb.VectorSync(memory_id="m")])),
        grpc.StatusCode.INVALID_ARGUMENT,
        "version",
    )


def _begin(
    tenant: common_pb2.Tenant, key: str, fingerprint: str = "f1", lease: float = 60
) -> pb.BeginIdempotentRequestRequest:
    return pb.BeginIdempotentRequestRequest(tenant=tenant, key=key, fingerprint=fingerprint, lease_seconds=lease)


async def test_idempotency_key_claim_complete_replay(stub, tenant, other_tenant) -> None:
    assert (await stub.BeginIdempotentRequest(_begin(tenant, "k1"))).state == STARTED
    assert (await stub.BeginIdempotentRequest(_begin(tenant, "k1"))).state == IN_PROGRESS
    # Keys are per project: the other tenant's k1 is its own.
    assert (await stub.BeginIdempotentRequest(_begin(other_tenant, "k1"))).state == STARTED

    await stub.FinishIdempotentRequest(
        pb.FinishIdempotentRequestRequest(tenant=tenant, key="k1", succeeded=True, result='{"n": 1}')
    )
    replay = await stub.BeginIdempotentRequest(_begin(tenant, "k1"))
    assert (replay.state, replay.result) == (COMPLETED, '{"n": 1}')

    await expect_error(
        stub.BeginIdempotentRequest(_begin(tenant, "k1", fingerprint="other")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id",
        "different request",
    )


async def test_a_failed_request_releases_its_key_for_a_retry_that_keeps_the_claim(stub, tenant) -> None:
    first = await stub.BeginIdempotentRequest(_begin(tenant, "k2"))
    assert first.state == STARTED
    await stub.FinishIdempotentRequest(pb.FinishIdempotentRequestRequest(tenant=tenant, key="k2", succeeded=False))
    retry = await stub.BeginIdempotentRequest(_begin(tenant, "k2", fingerprint="f2"))
    # Taken over at once (no lease wait), under the same claim: the retry finds what the failed run wrote.
    assert (retry.state, retry.claim_id) == (STARTED, first.claim_id)


async def test_an_abandoned_claim_is_taken_over_after_its_lease(stub, tenant) -> None:
    assert (await stub.BeginIdempotentRequest(_begin(tenant, "k3", lease=0.2))).state == STARTED
    assert (await stub.BeginIdempotentRequest(_begin(tenant, "k3", lease=0.2))).state == IN_PROGRESS
    await asyncio.sleep(0.3)
    assert (await stub.BeginIdempotentRequest(_begin(tenant, "k3", lease=0.2))).state == STARTED


async def test_keys_are_forgotten_after_their_retention(stub, tenant) -> None:
    request = _begin(tenant, "k4")
    request.retention_seconds = 1  # long enough for the next two calls on a loaded machine (0.2 s was not)
    assert (await stub.BeginIdempotentRequest(request)).state == STARTED
    await stub.FinishIdempotentRequest(pb.FinishIdempotentRequestRequest(tenant=tenant, key="k4", succeeded=True))
    assert (await stub.BeginIdempotentRequest(request)).state == COMPLETED
    await asyncio.sleep(1.1)
    request.fingerprint = "a new request"
    assert (await stub.BeginIdempotentRequest(request)).state == STARTED


async def test_idempotency_requests_are_validated(stub, tenant) -> None:
    await expect_error(stub.BeginIdempotentRequest(_begin(tenant, "")), grpc.StatusCode.INVALID_ARGUMENT, "key")
    await expect_error(stub.BeginIdempotentRequest(_begin(tenant, "x" * 256)), grpc.StatusCode.INVALID_ARGUMENT, "key")
    await expect_error(
        stub.BeginIdempotentRequest(_begin(tenant, "k", fingerprint="")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "fingerprint",
    )
    await expect_error(
        stub.BeginIdempotentRequest(_begin(common_pb2.Tenant(), "k")), grpc.StatusCode.INVALID_ARGUMENT, "tenant"
    )
    # Found by the gRPC fuzzer: a lease or retention beyond any date was an INTERNAL error.
    await expect_error(
        stub.BeginIdempotentRequest(_begin(tenant, "k", lease=3.7e16)), grpc.StatusCode.INVALID_ARGUMENT, "lease"
    )
    request = _begin(tenant, "k")
    request.retention_seconds = 3.7e16
    await expect_error(stub.BeginIdempotentRequest(request), grpc.StatusCode.INVALID_ARGUMENT, "retention")


async def test_skip_duplicates_stores_a_text_once_per_scope(stub, tenant) -> None:
    await _create(stub, tenant, "Is vegan", user_id="u1")
    request = pb.CreateMemoriesRequest(
        tenant=tenant,
        skip_duplicates=True,
        memories=[
            new_memory("Is vegan", user_id="u1"),  # already stored for u1
            new_memory("Is vegan", user_id="u2"),  # another scope
            new_memory("Runs marathons", user_id="u1"),
            new_memory("Runs marathons", user_id="u1"),  # repeated in the request
            new_memory("Is vegan", user_id="u1", agent_id="bot"),  # another scope (user + agent)
        ],
    )
    stored = (await stub.CreateMemories(request)).memories
    assert sorted((m.memory, m.scope.user_id, m.scope.agent_id) for m in stored) == [
        ("Is vegan", "u1", "bot"),
        ("Is vegan", "u2", ""),
        ("Runs marathons", "u1", ""),
    ]
    # Without the flag, a verbatim add stores what it is given.
    again = await _create(stub, tenant, "Is vegan", user_id="u1")
    assert len(again) == 1


async def test_concurrent_identical_fact_writes_store_one_memory(stub, tenant) -> None:
    def request() -> pb.CreateMemoriesRequest:
        return pb.CreateMemoriesRequest(
            tenant=tenant, skip_duplicates=True, memories=[new_memory("Owns a cat", user_id="alex")]
        )

    results = await asyncio.gather(*(stub.CreateMemories(request()) for _ in range(12)))
    assert sum(len(result.memories) for result in results) == 1
    listed = await stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page=1, page_size=100))
    assert [m.memory for m in listed.memories] == ["Owns a cat"]
