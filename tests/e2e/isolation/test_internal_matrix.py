"""Defence in depth, the second half: the metadata and vectorsearch services themselves never let one tenant's
request touch another tenant's rows or vectors, even when it names them (ids, entity names, event ids,
members). Called directly, bypassing the gateway; every RPC of both descriptors needs a case here.

The extraction service is left out on purpose: it is stateless and holds no tenant data (its tenant is for
logs); `tests/e2e/test_internal_tenant_required.py` checks it refuses requests without one."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2

from libs.filters import parse_filters
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as md
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as vs
from tests.e2e.isolation.world import SHARED_USER, World

Case = Callable[[World], Awaitable[str]]
Code = grpc.StatusCode
SERVICES = {
    "metadata": md.DESCRIPTOR.services_by_name["MetadataService"],
    "vectorsearch": vs.DESCRIPTOR.services_by_name["VectorSearchService"],
}
# Key administration, the vector-sync outbox listing, the webhook dispatcher's claim/record and job claiming have
# no tenant to scope by (see test_internal_tenant_required.py).
TENANTLESS = {
    "AuthenticateApiKey",
    "ListApiKeys",
    "RevokeApiKey",
    "ListPendingVectorSyncs",
    "ClaimWebhookDeliveries",
    "RecordWebhookAttempts",
    "ClaimJobs",
}


def mine(world: World) -> common_pb2.Tenant:
    return world.attacker.tenant


def foreign(world: World) -> list[str]:
    return [memory_id for victim in world.victims for memory_id in victim.memory_ids]


def ids_filter(ids: list[str]) -> common_pb2.Filter:
    return filter_to_proto(parse_filters({"memory_ids": ids}))


async def expect(world: World, service: str, name: str, request: Any, code: Code = Code.OK) -> Any:
    response, got = await world.internal(service, name, request)
    assert got == code, f"{service}.{name}: expected {code.name}, got {got.name}"
    return response


def now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.now(UTC))
    return stamp


# --- metadata -----------------------------------------------------------------------------------------


async def create_memories(world: World) -> str:
    """A memory created under a victim's id is refused; it neither replaces nor joins the victim's row."""
    for memory_id in foreign(world)[:2]:
        request = md.CreateMemoriesRequest(
            tenant=mine(world),
            memories=[md.NewMemory(id=memory_id, text="pwned", scope=common_pb2.Scope(user_id=SHARED_USER))],
        )
        _, code = await world.internal("metadata", "CreateMemories", request)
        assert code not in (Code.OK, Code.INTERNAL, Code.UNKNOWN), code
    return f"victim's id: {code.name}"


async def get_memories(world: World) -> str:
    found = await expect(
        world, "metadata", "GetMemories", md.GetMemoriesRequest(tenant=mine(world), memory_ids=foreign(world))
    )
    assert list(found.memories) == []
    return "victims' ids: none returned"


async def list_memories(world: World) -> str:
    request = md.ListMemoriesRequest(tenant=mine(world), filter=ids_filter(foreign(world)), show_expired=True)
    assert (await expect(world, "metadata", "ListMemories", request)).total_count == 0
    return "victims' ids in a filter: none listed"


async def find_memory_ids(world: World) -> str:
    request = md.FindMemoryIdsRequest(tenant=mine(world), filter=ids_filter(foreign(world)), show_expired=True)
    assert list((await expect(world, "metadata", "FindMemoryIds", request)).memory_ids) == []
    return "victims' ids in a filter: none found"


async def search_text(world: World) -> str:
    """Full-text search for the victims' marker words finds nothing of theirs."""
    for victim in world.victims:
        request = md.SearchTextRequest(tenant=mine(world), query=f"{victim.project.marker} pizza", limit=1000)
        hits = await expect(world, "metadata", "SearchText", request)
        assert not {hit.memory_id for hit in hits.hits} & set(foreign(world))
    return "victims' marker words: none found"


async def update_memories(world: World) -> str:
    patches = [md.MemoryPatch(memory_id=memory_id, text="pwned") for memory_id in foreign(world)]
    request = md.UpdateMemoriesRequest(tenant=mine(world), patches=patches)
    assert list((await expect(world, "metadata", "UpdateMemories", request)).memories) == []
    return "victims' ids: nothing updated"


async def delete_memories(world: World) -> str:
    request = md.DeleteMemoriesRequest(tenant=mine(world), memory_ids=foreign(world))
    assert list((await expect(world, "metadata", "DeleteMemories", request)).memories) == []
    await world.own_memories(1)
    everything = await expect(
        world, "metadata", "DeleteMemories", md.DeleteMemoriesRequest(tenant=mine(world), all=True)
    )
    assert len(everything.memories) >= 1
    return "victims' ids: nothing; all=True: own rows only"


async def list_history(world: World) -> str:
    for memory_id in foreign(world)[:2]:
        await expect(
            world,
            "metadata",
            "ListHistory",
            md.ListHistoryRequest(tenant=mine(world), memory_id=memory_id),
            Code.NOT_FOUND,
        )
    return "victims' ids: NOT_FOUND"


async def list_entities(world: World) -> str:
    await expect(world, "metadata", "ListEntities", md.ListEntitiesRequest(tenant=mine(world), page_size=1000))
    return "own entities only"


async def create_entity(world: World) -> str:
    for victim in world.victims:
        request = md.CreateEntityRequest(
            tenant=mine(world), type=common_pb2.ENTITY_TYPE_USER, name=victim.project.private_user
        )
        await expect(world, "metadata", "CreateEntity", request)
    return "victims' names: own entities only"


async def delete_entity(world: World) -> str:
    for victim in world.victims:
        request = md.DeleteEntityRequest(
            tenant=mine(world), type=common_pb2.ENTITY_TYPE_USER, name=victim.project.hidden_user
        )
        assert not (await expect(world, "metadata", "DeleteEntity", request)).found
    return "victims' user: not found"


async def get_project(world: World) -> str:
    project = (await expect(world, "metadata", "GetProject", md.GetProjectRequest(tenant=mine(world)))).project
    assert (project.org_id, project.project_id) == (world.attacker.org_id, world.attacker.project_id)
    return "own project only"


async def update_project(world: World) -> str:
    await expect(
        world, "metadata", "UpdateProject", md.UpdateProjectRequest(tenant=mine(world), custom_instructions="x")
    )
    return "own project only"


async def record_feedback(world: World) -> str:
    for memory_id in foreign(world)[:2]:
        request = md.RecordFeedbackRequest(tenant=mine(world), memory_id=memory_id, feedback="NEGATIVE")
        await expect(world, "metadata", "RecordFeedback", request, Code.NOT_FOUND)
    return "victims' ids: NOT_FOUND"


async def record_event(world: World) -> str:
    """An event recorded under a victim's event id is refused; the victim's event stays as it was."""
    for victim in world.victims:
        event = common_pb2.Event(
            id=victim.event_ids[0],
            event_type="ADD",
            status=common_pb2.EVENT_STATUS_FAILED,
            error="pwned",
            created_at=now(),
        )
        request = md.RecordEventRequest(tenant=mine(world), event=event)
        await expect(world, "metadata", "RecordEvent", request, Code.ALREADY_EXISTS)
    return "victims' event ids: ALREADY_EXISTS"


async def get_event(world: World) -> str:
    for victim in world.victims:
        request = md.GetEventRequest(tenant=mine(world), event_id=victim.event_ids[0])
        await expect(world, "metadata", "GetEvent", request, Code.NOT_FOUND)
    return "victims' ids: NOT_FOUND"


async def list_events(world: World) -> str:
    await expect(world, "metadata", "ListEvents", md.ListEventsRequest(tenant=mine(world), page_size=1000))
    return "own events only"


async def create_api_key(world: World) -> str:
    for victim in world.victims:
        # Neither a victim's member nor a victim's key can be claimed from another tenant.
        request = md.CreateApiKeyRequest(tenant=mine(world), member_email=victim.project.member_email)
        await expect(world, "metadata", "CreateApiKey", request, Code.NOT_FOUND)
        request = md.CreateApiKeyRequest(tenant=mine(world), api_key=victim.project.key)
        await expect(world, "metadata", "CreateApiKey", request, Code.ALREADY_EXISTS)
    return "victims' member / key: refused"


async def ack_vector_syncs(world: World) -> str:
    """Acknowledging the victims' memory ids under one's own tenant removes none of their outbox entries."""
    syncs = [md.VectorSync(tenant=mine(world), memory_id=memory_id, version=now()) for memory_id in foreign(world)]
    response = await expect(world, "metadata", "AckVectorSyncs", md.AckVectorSyncsRequest(syncs=syncs))
    assert response.removed == 0
    return "victims' ids: nothing removed"


async def begin_idempotent_request(world: World) -> str:
    """Idempotency keys are per project: a key another project used is a fresh claim here, with no result."""
    for victim in world.victims:
        request = md.BeginIdempotentRequestRequest(
            tenant=mine(world), key=f"key-of-{victim.project.tenant.org_id}", fingerprint="f", lease_seconds=5
        )
        response = await expect(world, "metadata", "BeginIdempotentRequest", request)
        assert response.result == ""
    return "own key namespace"


async def finish_idempotent_request(world: World) -> str:
    request = md.FinishIdempotentRequestRequest(tenant=mine(world), key="key-of-nobody", succeeded=True, result="{}")
    await expect(world, "metadata", "FinishIdempotentRequest", request)
    return "own key namespace"


async def list_members(world: World) -> str:
    await expect(world, "metadata", "ListMembers", md.ListMembersRequest(tenant=mine(world)))
    return "own members only"


async def add_member(world: World) -> str:
    email = f"attacker-{uuid.uuid4().hex[:8]}@example.com"
    request = md.AddMemberRequest(tenant=mine(world), email=email, role=common_pb2.MEMBER_ROLE_OWNER)
    await expect(world, "metadata", "AddMember", request)
    return "own project only"


def victims_member(name: str, build: Callable[[common_pb2.Tenant, str], Any]) -> Case:
    async def case(world: World) -> str:
        for victim in world.victims:
            await expect(world, "metadata", name, build(mine(world), victim.project.member_email), Code.NOT_FOUND)
        return "victims' member: NOT_FOUND"

    return case


async def create_webhook(world: World) -> str:
    request = md.CreateWebhookRequest(
        tenant=mine(world),
        name="pwned",
        url="http://127.0.0.1:9/pwned",
        event_types=[common_pb2.WEBHOOK_EVENT_TYPE_MEMORY_ADD],
    )
    response = await expect(world, "metadata", "CreateWebhook", request)
    assert response.webhook.project_id == world.attacker.project_id
    return "own project only"


async def list_webhooks(world: World) -> str:
    response = await expect(world, "metadata", "ListWebhooks", md.ListWebhooksRequest(tenant=mine(world)))
    assert not {hook.webhook_id for hook in response.webhooks} & {v.webhook_ids[0] for v in world.victims}
    return "own webhooks only"


def foreign_webhook(name: str, build: Callable[[common_pb2.Tenant, str], Any]) -> Case:
    async def case(world: World) -> str:
        for victim in world.victims:
            await expect(world, "metadata", name, build(mine(world), victim.webhook_ids[0]), Code.NOT_FOUND)
        return "foreign webhook id: NOT_FOUND"

    return case


# --- the job queue and exports ------------------------------------------------------------------------


async def enqueue_job(world: World) -> str:
    """A job (and its event) under a victim's event id is refused; the victim's event stays as it was."""
    for victim in world.victims:
        event_id = victim.event_ids[0]
        event = common_pb2.Event(
            id=event_id, event_type="ADD", status=common_pb2.EVENT_STATUS_PENDING, created_at=now()
        )
        request = md.EnqueueJobRequest(tenant=mine(world), job_id=event_id, kind="ADD", payload="{}", event=event)
        await expect(world, "metadata", "EnqueueJob", request, Code.ALREADY_EXISTS)
    return "victims' event ids: ALREADY_EXISTS"


async def finish_job(world: World) -> str:
    """Finishing a victim's event id as a job of the own tenant changes nothing."""
    for victim in world.victims:
        event_id = victim.event_ids[0]
        event = common_pb2.Event(id=event_id, event_type="ADD", status=common_pb2.EVENT_STATUS_FAILED, created_at=now())
        request = md.FinishJobRequest(
            tenant=mine(world),
            job_id=event_id,
            claim_token="forged",
            outcome=md.JOB_OUTCOME_FAILED,
            error="pwned",
            event=event,
        )
        response = await expect(world, "metadata", "FinishJob", request)
        assert not response.finished
    return "victims' event ids: not finished"


async def create_export(world: World) -> str:
    spec = md.MemoryExport(id=str(uuid.uuid4()), schema="", filter=ids_filter(foreign(world)))
    await expect(world, "metadata", "CreateExport", md.CreateExportRequest(tenant=mine(world), export=spec))
    return "own project only"


async def get_export(world: World) -> str:
    """A victim's export (created here by the victim: exports are not part of its snapshot) is NOT_FOUND."""
    for victim in world.victims:
        spec = md.MemoryExport(id=str(uuid.uuid4()), schema='{"properties": {"memory": {}}}')
        await expect(
            world, "metadata", "CreateExport", md.CreateExportRequest(tenant=victim.project.tenant, export=spec)
        )
        request = md.GetExportRequest(tenant=mine(world), export_id=spec.id)
        await expect(world, "metadata", "GetExport", request, Code.NOT_FOUND)
    return "victims' export ids: NOT_FOUND"


# --- vectorsearch -------------------------------------------------------------------------------------


async def upsert_vectors(world: World) -> str:
    """Vectors under a victim's memory ids are refused (ids are unique across tenants)."""
    items = [
        vs.VectorItem(memory_id=memory_id, text="pwned", scope=common_pb2.Scope(user_id=SHARED_USER))
        for memory_id in foreign(world)[:2]
    ]
    _, code = await world.internal(
        "vectorsearch", "UpsertVectors", vs.UpsertVectorsRequest(tenant=mine(world), items=items)
    )
    assert code not in (Code.OK, Code.INTERNAL, Code.UNKNOWN), code
    return f"victims' ids: {code.name}"


async def delete_vectors(world: World) -> str:
    await expect(
        world, "vectorsearch", "DeleteVectors", vs.DeleteVectorsRequest(tenant=mine(world), memory_ids=foreign(world))
    )
    return "victims' ids: nothing deleted"


async def search_vectors(world: World) -> str:
    request = vs.SearchVectorsRequest(
        tenant=mine(world),
        queries=["alice likes pizza"],
        top_k=100,
        candidate_ids=foreign(world),
        restrict_to_candidates=True,
    )
    hits = await expect(world, "vectorsearch", "SearchVectors", request)
    assert [list(query.hits) for query in hits.results] == [[]]
    everything = await expect(
        world,
        "vectorsearch",
        "SearchVectors",
        vs.SearchVectorsRequest(tenant=mine(world), queries=["alice likes pizza"], top_k=1000),
    )
    assert not {hit.memory_id for query in everything.results for hit in query.hits} & set(foreign(world))
    return "victims' ids as candidates: no hits"


INTERNAL_MATRIX: dict[str, Case] = {
    "MetadataService.CreateMemories": create_memories,
    "MetadataService.GetMemories": get_memories,
    "MetadataService.ListMemories": list_memories,
    "MetadataService.FindMemoryIds": find_memory_ids,
    "MetadataService.UpdateMemories": update_memories,
    "MetadataService.DeleteMemories": delete_memories,
    "MetadataService.ListHistory": list_history,
    "MetadataService.ListEntities": list_entities,
    "MetadataService.CreateEntity": create_entity,
    "MetadataService.DeleteEntity": delete_entity,
    "MetadataService.GetProject": get_project,
    "MetadataService.UpdateProject": update_project,
    "MetadataService.RecordFeedback": record_feedback,
    "MetadataService.RecordEvent": record_event,
    "MetadataService.GetEvent": get_event,
    "MetadataService.ListEvents": list_events,
    "MetadataService.CreateApiKey": create_api_key,
    "MetadataService.ListMembers": list_members,
    "MetadataService.SearchText": search_text,
    "MetadataService.AckVectorSyncs": ack_vector_syncs,
    "MetadataService.BeginIdempotentRequest": begin_idempotent_request,
    "MetadataService.FinishIdempotentRequest": finish_idempotent_request,
    "MetadataService.AddMember": add_member,
    "MetadataService.UpdateMember": victims_member(
        "UpdateMember", lambda t, e: md.UpdateMemberRequest(tenant=t, email=e, role=common_pb2.MEMBER_ROLE_OWNER)
    ),
    "MetadataService.RemoveMember": victims_member(
        "RemoveMember", lambda t, e: md.RemoveMemberRequest(tenant=t, email=e)
    ),
    "MetadataService.CreateWebhook": create_webhook,
    "MetadataService.ListWebhooks": list_webhooks,
    "MetadataService.UpdateWebhook": foreign_webhook(
        "UpdateWebhook", lambda t, i: md.UpdateWebhookRequest(tenant=t, webhook_id=i, is_active=False)
    ),
    "MetadataService.DeleteWebhook": foreign_webhook(
        "DeleteWebhook", lambda t, i: md.DeleteWebhookRequest(tenant=t, webhook_id=i)
    ),
    "MetadataService.ListWebhookDeliveries": foreign_webhook(
        "ListWebhookDeliveries", lambda t, i: md.ListWebhookDeliveriesRequest(tenant=t, webhook_id=i)
    ),
    "MetadataService.EnqueueJob": enqueue_job,
    "MetadataService.FinishJob": finish_job,
    "MetadataService.CreateExport": create_export,
    "MetadataService.GetExport": get_export,
    "VectorSearchService.UpsertVectors": upsert_vectors,
    "VectorSearchService.DeleteVectors": delete_vectors,
    "VectorSearchService.SearchVectors": search_vectors,
}


def test_every_internal_rpc_is_in_the_matrix() -> None:
    rpcs = {
        f"{service.name}.{method.name}"
        for service in SERVICES.values()
        for method in service.methods
        if method.name not in TENANTLESS
    }
    assert rpcs == set(INTERNAL_MATRIX)


@pytest.mark.parametrize("name", sorted(INTERNAL_MATRIX))
async def test_internal_rpc(name: str, run_case) -> None:
    await run_case("internal", name, INTERNAL_MATRIX[name])
