"""Typed clients of the three internal services: domain types in, domain types out, deadlines on every call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import grpc

from libs import domain
from libs.domain import Candidate, Fact, MemoryAction, MemoryPatch, NewMemory, VectorHit, VectorRecord
from libs.filters import FilterNode
from libs.filters.proto import filter_from_proto, filter_to_proto
from libs.mappers import (
    ENTITY_TYPE_TO_PROTO,
    JOB_OUTCOME_TO_PROTO,
    MEMBER_ROLE_TO_PROTO,
    PROTO_TO_EVENT,
    PROTO_TO_MEMBER_ROLE,
    STATUS_TO_PROTO,
    WEBHOOK_EVENT_TO_PROTO,
    attempt_record_to_proto,
    categories_to_proto,
    delivery_from_proto,
    due_delivery_from_proto,
    entity_from_proto,
    event_from_proto,
    event_to_proto,
    history_from_proto,
    job_from_proto,
    member_from_proto,
    memory_from_proto,
    message_to_proto,
    project_from_proto,
    role_from_proto,
    role_to_proto,
    scope_to_proto,
    struct_to_proto,
    tenant_from_proto,
    tenant_to_proto,
    timestamp_from_proto,
    timestamp_to_proto,
    vector_sync_from_proto,
    vector_sync_to_proto,
    webhook_from_proto,
)
from libs.rpc.client import call
from libs.rpc.deadline import timeout_within
from memgrid.extraction.v1 import extraction_service_pb2 as ex_pb2
from memgrid.extraction.v1 import extraction_service_pb2_grpc as ex_grpc
from memgrid.metadata.v1 import metadata_service_pb2 as md_pb2
from memgrid.metadata.v1 import metadata_service_pb2_grpc as md_grpc
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as vs_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2_grpc as vs_grpc

# Ids per DeleteVectors call (the service takes at most 10,000).
VECTOR_DELETE_CHUNK = 5000

# Calls that may be repeated without changing the outcome, so the channel retries them on UNAVAILABLE. Creating,
# updating or deleting records, recording events and claiming idempotency keys are not retried: a repeat could
# write twice or see its own claim.
METADATA_IDEMPOTENT = tuple(
    f"memgrid.metadata.v1.MetadataService/{method}"
    for method in (
        "GetMemories",
        "ListMemories",
        "FindMemoryIds",
        "ListHistory",
        "ListEntities",
        "GetProject",
        "GetEvent",
        "ListEvents",
        "AuthenticateApiKey",
        "ListApiKeys",
        "ListPendingVectorSyncs",
        "AckVectorSyncs",
        "ListWebhooks",
        "ListWebhookDeliveries",
        # A repeat records nothing: an attempt is recorded only once per attempt number.
        "RecordWebhookAttempts",
        "FinishIdempotentRequest",
        "GetExport",
    )
)
# Vectors are written by memory id: upserting or deleting again gives the same state.
VECTORSEARCH_IDEMPOTENT = tuple(
    f"memgrid.vectorsearch.v1.VectorSearchService/{method}"
    for method in ("UpsertVectors", "DeleteVectors", "SearchVectors")
)

# --- clients ------------------------------------------------------------------------------------


class MetadataClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = md_grpc.MetadataServiceStub(channel)
        self._timeout = timeout

    async def create_memories(
        self,
        tenant: domain.Tenant,
        memories: Sequence[NewMemory],
        messages: Sequence[domain.Message],
        *,
        skip_duplicates: bool = False,
    ) -> list[domain.Memory]:
        request = md_pb2.CreateMemoriesRequest(
            tenant=tenant_to_proto(tenant),
            input=[message_to_proto(m) for m in messages],
            skip_duplicates=skip_duplicates,
        )
        for memory in memories:
            item = request.memories.add(
                id=memory.id,
                text=memory.text,
                scope=scope_to_proto(memory.scope),
                categories=memory.categories or [],
                immutable=memory.immutable,
                expiration_date=memory.expiration_date.isoformat() if memory.expiration_date else "",
                actor_id=memory.actor_id or "",
                role=role_to_proto(memory.role),
                source_message_ids=memory.source_message_ids,
            )
            if memory.metadata is not None:
                item.metadata.CopyFrom(struct_to_proto(memory.metadata))
            if memory.created_at is not None:
                item.created_at.CopyFrom(timestamp_to_proto(memory.created_at))
        response = await call(self._stub.CreateMemories(request, timeout=timeout_within(self._timeout)))
        return [memory_from_proto(m) for m in response.memories]

    async def get_memories(self, tenant: domain.Tenant, ids: Sequence[str]) -> list[domain.Memory]:
        if not ids:
            return []
        request = md_pb2.GetMemoriesRequest(tenant=tenant_to_proto(tenant), memory_ids=list(ids))
        response = await call(self._stub.GetMemories(request, timeout=timeout_within(self._timeout)))
        return [memory_from_proto(m) for m in response.memories]

    async def list_memories(
        self, tenant: domain.Tenant, node: FilterNode | None, page: int, page_size: int, show_expired: bool
    ) -> tuple[list[domain.Memory], int]:
        request = md_pb2.ListMemoriesRequest(
            tenant=tenant_to_proto(tenant), page=page, page_size=page_size, show_expired=show_expired
        )
        if node is not None:
            request.filter.CopyFrom(filter_to_proto(node))
        response = await call(self._stub.ListMemories(request, timeout=timeout_within(self._timeout)))
        return [memory_from_proto(m) for m in response.memories], response.total_count

    async def find_memory_ids(self, tenant: domain.Tenant, node: FilterNode, show_expired: bool) -> list[str]:
        request = md_pb2.FindMemoryIdsRequest(
            tenant=tenant_to_proto(tenant), filter=filter_to_proto(node), show_expired=show_expired
        )
        response = await call(self._stub.FindMemoryIds(request, timeout=timeout_within(self._timeout)))
        return list(response.memory_ids)

    async def search_text(
        self, tenant: domain.Tenant, query: str, node: FilterNode | None, limit: int, show_expired: bool
    ) -> list[VectorHit]:
        """Full-text hits (relevance > 0, best first) among the memories matching `node`."""
        request = md_pb2.SearchTextRequest(
            tenant=tenant_to_proto(tenant),
            query=query,
            filter=filter_to_proto(node),
            limit=limit,
            show_expired=show_expired,
        )
        response = await call(self._stub.SearchText(request, timeout=self._timeout))
        return [VectorHit(memory_id=hit.memory_id, score=hit.score) for hit in response.hits]

    async def update_memories(
        self, tenant: domain.Tenant, patches: Sequence[MemoryPatch], messages: Sequence[domain.Message] = ()
    ) -> list[tuple[domain.Memory, str]]:
        """The updated memories, each with its text before the change."""
        request = md_pb2.UpdateMemoriesRequest(
            tenant=tenant_to_proto(tenant), input=[message_to_proto(m) for m in messages]
        )
        for patch in patches:
            item = request.patches.add(
                memory_id=patch.memory_id,
                respect_immutable=patch.respect_immutable,
                add_source_message_ids=patch.add_source_message_ids,
            )
            if patch.text is not None:
                item.text = patch.text
            if patch.metadata is not None:
                item.metadata.CopyFrom(struct_to_proto(patch.metadata))
            if patch.clear_expiration_date:
                item.clear_expiration_date = True
            elif patch.expiration_date:
                item.expiration_date = patch.expiration_date.isoformat()
            if patch.created_at is not None:
                item.created_at.CopyFrom(timestamp_to_proto(patch.created_at))
        response = await call(self._stub.UpdateMemories(request, timeout=timeout_within(self._timeout)))
        return [
            (memory_from_proto(memory), previous)
            for memory, previous in zip(response.memories, response.previous_texts, strict=False)
        ]

    async def delete_memories(
        self,
        tenant: domain.Tenant,
        *,
        ids: Sequence[str] = (),
        node: FilterNode | None = None,
        everything: bool = False,
        respect_immutable: bool = False,
        messages: Sequence[domain.Message] = (),
    ) -> list[domain.Memory]:
        request = md_pb2.DeleteMemoriesRequest(
            tenant=tenant_to_proto(tenant),
            memory_ids=list(ids),
            all=everything,
            respect_immutable=respect_immutable,
            input=[message_to_proto(m) for m in messages],
        )
        if node is not None:
            request.filter.CopyFrom(filter_to_proto(node))
        response = await call(self._stub.DeleteMemories(request, timeout=timeout_within(self._timeout)))
        return [memory_from_proto(m) for m in response.memories]

    async def list_history(self, tenant: domain.Tenant, memory_id: str) -> list[domain.HistoryEntry]:
        request = md_pb2.ListHistoryRequest(tenant=tenant_to_proto(tenant), memory_id=memory_id)
        response = await call(self._stub.ListHistory(request, timeout=timeout_within(self._timeout)))
        return [history_from_proto(entry) for entry in response.entries]

    async def list_entities(
        self, tenant: domain.Tenant, kind: domain.EntityType | None, page: int, page_size: int
    ) -> domain.EntityPage:
        request = md_pb2.ListEntitiesRequest(
            tenant=tenant_to_proto(tenant),
            type=ENTITY_TYPE_TO_PROTO[kind] if kind else 0,
            page=page,
            page_size=page_size,
        )
        response = await call(self._stub.ListEntities(request, timeout=timeout_within(self._timeout)))
        return domain.EntityPage(
            entities=[entity_from_proto(e) for e in response.entities],
            total_count=response.total_count,
            totals={
                domain.EntityType.USER: response.total_users,
                domain.EntityType.AGENT: response.total_agents,
                domain.EntityType.APP: response.total_apps,
                domain.EntityType.RUN: response.total_runs,
            },
        )

    async def delete_entity(
        self, tenant: domain.Tenant, kind: domain.EntityType, name: str
    ) -> tuple[bool, list[domain.Memory]]:
        request = md_pb2.DeleteEntityRequest(tenant=tenant_to_proto(tenant), type=ENTITY_TYPE_TO_PROTO[kind], name=name)
        response = await call(self._stub.DeleteEntity(request, timeout=timeout_within(self._timeout)))
        return response.found, [memory_from_proto(m) for m in response.memories]

    async def create_entity(
        self, tenant: domain.Tenant, kind: domain.EntityType, name: str, metadata: dict | None
    ) -> domain.Entity:
        request = md_pb2.CreateEntityRequest(tenant=tenant_to_proto(tenant), type=ENTITY_TYPE_TO_PROTO[kind], name=name)
        if metadata is not None:
            request.metadata.CopyFrom(struct_to_proto(metadata))
        response = await call(self._stub.CreateEntity(request, timeout=timeout_within(self._timeout)))
        return entity_from_proto(response.entity)

    async def get_project(self, tenant: domain.Tenant) -> domain.Project:
        request = md_pb2.GetProjectRequest(tenant=tenant_to_proto(tenant))
        response = await call(self._stub.GetProject(request, timeout=timeout_within(self._timeout)))
        return project_from_proto(response.project)

    async def update_project(self, tenant: domain.Tenant, changes: domain.ProjectChanges) -> domain.Project:
        request = md_pb2.UpdateProjectRequest(tenant=tenant_to_proto(tenant))
        if changes.custom_instructions is not None:
            request.custom_instructions = changes.custom_instructions
        if changes.custom_categories is not None:
            request.custom_categories.CopyFrom(categories_to_proto(changes.custom_categories))
        if changes.settings is not None:
            request.settings.CopyFrom(struct_to_proto(changes.settings))
        if changes.name is not None:
            request.name = changes.name
        if changes.description is not None:
            request.description = changes.description
        response = await call(self._stub.UpdateProject(request, timeout=timeout_within(self._timeout)))
        return project_from_proto(response.project)

    async def record_feedback(
        self, tenant: domain.Tenant, memory_id: str, feedback: str | None, reason: str | None
    ) -> domain.Feedback:
        request = md_pb2.RecordFeedbackRequest(
            tenant=tenant_to_proto(tenant), memory_id=memory_id, feedback=feedback or "", feedback_reason=reason or ""
        )
        response = await call(self._stub.RecordFeedback(request, timeout=timeout_within(self._timeout)))
        return domain.Feedback(
            id=response.id,
            memory_id=memory_id,
            feedback=response.feedback or None,
            feedback_reason=response.feedback_reason or None,
        )

    async def record_event(self, tenant: domain.Tenant, event: domain.Event) -> None:
        request = md_pb2.RecordEventRequest(tenant=tenant_to_proto(tenant), event=event_to_proto(event))
        await call(self._stub.RecordEvent(request, timeout=timeout_within(self._timeout)))

    async def get_event(self, tenant: domain.Tenant, event_id: str) -> domain.Event:
        request = md_pb2.GetEventRequest(tenant=tenant_to_proto(tenant), event_id=event_id)
        response = await call(self._stub.GetEvent(request, timeout=timeout_within(self._timeout)))
        return event_from_proto(response.event)

    async def list_events(
        self, tenant: domain.Tenant, status: domain.EventStatus | None, page: int, page_size: int
    ) -> tuple[list[domain.Event], int]:
        request = md_pb2.ListEventsRequest(
            tenant=tenant_to_proto(tenant),
            status=STATUS_TO_PROTO[status] if status else 0,
            page=page,
            page_size=page_size,
        )
        response = await call(self._stub.ListEvents(request, timeout=timeout_within(self._timeout)))
        return [event_from_proto(e) for e in response.events], response.total_count

    async def list_pending_vector_syncs(self, min_age_seconds: float, limit: int) -> list[domain.VectorSync]:
        request = md_pb2.ListPendingVectorSyncsRequest(min_age_seconds=min_age_seconds, limit=limit)
        response = await call(self._stub.ListPendingVectorSyncs(request, timeout=timeout_within(self._timeout)))
        return [vector_sync_from_proto(item, index) for index, item in enumerate(response.syncs)]

    async def ack_vector_syncs(self, syncs: Sequence[domain.VectorSync]) -> int:
        request = md_pb2.AckVectorSyncsRequest(syncs=[vector_sync_to_proto(sync) for sync in syncs])
        response = await call(self._stub.AckVectorSyncs(request, timeout=timeout_within(self._timeout)))
        return response.removed

    async def begin_idempotent_request(
        self, tenant: domain.Tenant, key: str, fingerprint: str, lease_seconds: float
    ) -> domain.IdempotencyClaim:
        request = md_pb2.BeginIdempotentRequestRequest(
            tenant=tenant_to_proto(tenant), key=key, fingerprint=fingerprint, lease_seconds=lease_seconds
        )
        response = await call(self._stub.BeginIdempotentRequest(request, timeout=timeout_within(self._timeout)))
        state = md_pb2.IdempotencyState.Name(response.state).removeprefix("IDEMPOTENCY_STATE_")
        return domain.IdempotencyClaim(domain.IdempotencyState(state), response.claim_id, response.result or None)

    async def finish_idempotent_request(
        self, tenant: domain.Tenant, key: str, *, succeeded: bool, result: str = ""
    ) -> None:
        request = md_pb2.FinishIdempotentRequestRequest(
            tenant=tenant_to_proto(tenant), key=key, succeeded=succeeded, result=result
        )
        await call(self._stub.FinishIdempotentRequest(request, timeout=timeout_within(self._timeout)))

    # --- the job queue and exports ---------------------------------------------------------------

    async def enqueue_job(
        self, tenant: domain.Tenant, job_id: str, kind: str, payload: str, event: domain.Event
    ) -> None:
        request = md_pb2.EnqueueJobRequest(
            tenant=tenant_to_proto(tenant), job_id=job_id, kind=kind, payload=payload, event=event_to_proto(event)
        )
        await call(self._stub.EnqueueJob(request, timeout=timeout_within(self._timeout)))

    async def claim_jobs(self, limit: int, lease_seconds: float) -> list[domain.Job]:
        request = md_pb2.ClaimJobsRequest(limit=limit, lease_seconds=lease_seconds)
        response = await call(self._stub.ClaimJobs(request, timeout=timeout_within(self._timeout)))
        return [job_from_proto(job) for job in response.jobs]

    async def finish_job(
        self,
        job: domain.Job,
        outcome: domain.JobOutcome,
        event: domain.Event,
        *,
        retry_after_seconds: float = 0.0,
        error: str | None = None,
    ) -> bool:
        request = md_pb2.FinishJobRequest(
            tenant=tenant_to_proto(job.tenant),
            job_id=job.id,
            claim_token=job.claim_token,
            outcome=JOB_OUTCOME_TO_PROTO[outcome],
            retry_after_seconds=retry_after_seconds,
            error=error or "",
            event=event_to_proto(event),
        )
        response = await call(self._stub.FinishJob(request, timeout=timeout_within(self._timeout)))
        return response.finished

    async def create_export(
        self, tenant: domain.Tenant, export_id: str, schema: str, node: FilterNode | None
    ) -> domain.MemoryExport:
        spec = md_pb2.MemoryExport(id=export_id, schema=schema, filter=filter_to_proto(node))
        request = md_pb2.CreateExportRequest(tenant=tenant_to_proto(tenant), export=spec)
        response = await call(self._stub.CreateExport(request, timeout=timeout_within(self._timeout)))
        return _export_from_proto(response.export)

    async def get_export(self, tenant: domain.Tenant, export_id: str) -> domain.MemoryExport:
        request = md_pb2.GetExportRequest(tenant=tenant_to_proto(tenant), export_id=export_id)
        response = await call(self._stub.GetExport(request, timeout=timeout_within(self._timeout)))
        return _export_from_proto(response.export)

    async def authenticate(self, api_key: str) -> domain.Caller:
        request = md_pb2.AuthenticateApiKeyRequest(api_key=api_key)
        response = await call(self._stub.AuthenticateApiKey(request, timeout=timeout_within(self._timeout)))
        return domain.Caller(
            tenant=tenant_from_proto(response.tenant),
            role=PROTO_TO_MEMBER_ROLE.get(response.role, domain.MemberRole.READER),
            key_id=response.key_id,
            member_email=response.member_email or None,
        )

    async def list_members(self, tenant: domain.Tenant) -> list[domain.ProjectMember]:
        request = md_pb2.ListMembersRequest(tenant=tenant_to_proto(tenant))
        response = await call(self._stub.ListMembers(request, timeout=timeout_within(self._timeout)))
        return [member_from_proto(member) for member in response.members]

    async def add_member(self, tenant: domain.Tenant, email: str, role: domain.MemberRole) -> domain.ProjectMember:
        request = md_pb2.AddMemberRequest(tenant=tenant_to_proto(tenant), email=email, role=MEMBER_ROLE_TO_PROTO[role])
        response = await call(self._stub.AddMember(request, timeout=timeout_within(self._timeout)))
        return member_from_proto(response.member)

    async def update_member(self, tenant: domain.Tenant, email: str, role: domain.MemberRole) -> domain.ProjectMember:
        request = md_pb2.UpdateMemberRequest(
            tenant=tenant_to_proto(tenant), email=email, role=MEMBER_ROLE_TO_PROTO[role]
        )
        response = await call(self._stub.UpdateMember(request, timeout=timeout_within(self._timeout)))
        return member_from_proto(response.member)

    async def remove_member(self, tenant: domain.Tenant, email: str) -> domain.ProjectMember:
        request = md_pb2.RemoveMemberRequest(tenant=tenant_to_proto(tenant), email=email)
        response = await call(self._stub.RemoveMember(request, timeout=timeout_within(self._timeout)))
        return member_from_proto(response.member)

    async def create_api_key(self, tenant: domain.Tenant, name: str, api_key: str = "") -> tuple[str, str]:
        """Returns (key_id, plaintext key)."""
        request = md_pb2.CreateApiKeyRequest(tenant=tenant_to_proto(tenant), name=name, api_key=api_key)
        response = await call(self._stub.CreateApiKey(request, timeout=timeout_within(self._timeout)))
        return response.key.key_id, response.api_key

    # --- webhooks ---

    async def create_webhook(
        self,
        tenant: domain.Tenant,
        *,
        name: str,
        url: str,
        event_types: Sequence[domain.WebhookEventType],
        owner: str | None,
    ) -> domain.Webhook:
        request = md_pb2.CreateWebhookRequest(
            tenant=tenant_to_proto(tenant),
            name=name,
            url=url,
            event_types=[WEBHOOK_EVENT_TO_PROTO[event] for event in event_types],
            owner=owner or "",
        )
        response = await call(self._stub.CreateWebhook(request, timeout=timeout_within(self._timeout)))
        return webhook_from_proto(response.webhook)

    async def list_webhooks(self, tenant: domain.Tenant) -> list[domain.Webhook]:
        request = md_pb2.ListWebhooksRequest(tenant=tenant_to_proto(tenant))
        response = await call(self._stub.ListWebhooks(request, timeout=timeout_within(self._timeout)))
        return [webhook_from_proto(webhook) for webhook in response.webhooks]

    async def update_webhook(
        self, tenant: domain.Tenant, webhook_id: str, changes: domain.WebhookChanges
    ) -> domain.Webhook:
        request = md_pb2.UpdateWebhookRequest(
            tenant=tenant_to_proto(tenant),
            webhook_id=webhook_id,
            name=changes.name,
            url=changes.url,
            is_active=changes.is_active,
        )
        if changes.event_types is not None:
            request.event_types.values.extend(WEBHOOK_EVENT_TO_PROTO[event] for event in changes.event_types)
            request.event_types.SetInParent()
        response = await call(self._stub.UpdateWebhook(request, timeout=timeout_within(self._timeout)))
        return webhook_from_proto(response.webhook)

    async def delete_webhook(self, tenant: domain.Tenant, webhook_id: str) -> domain.Webhook:
        request = md_pb2.DeleteWebhookRequest(tenant=tenant_to_proto(tenant), webhook_id=webhook_id)
        response = await call(self._stub.DeleteWebhook(request, timeout=timeout_within(self._timeout)))
        return webhook_from_proto(response.webhook)

    async def list_webhook_deliveries(
        self, tenant: domain.Tenant, webhook_id: str, page: int, page_size: int
    ) -> tuple[list[domain.WebhookDelivery], int]:
        request = md_pb2.ListWebhookDeliveriesRequest(
            tenant=tenant_to_proto(tenant), webhook_id=webhook_id, page=page, page_size=page_size
        )
        response = await call(self._stub.ListWebhookDeliveries(request, timeout=timeout_within(self._timeout)))
        return [delivery_from_proto(item) for item in response.deliveries], response.total_count

    async def claim_webhook_deliveries(self, limit: int, lease_seconds: float) -> list[domain.DueDelivery]:
        request = md_pb2.ClaimWebhookDeliveriesRequest(limit=limit, lease_seconds=lease_seconds)
        response = await call(self._stub.ClaimWebhookDeliveries(request, timeout=timeout_within(self._timeout)))
        return [due_delivery_from_proto(item) for item in response.deliveries]

    async def record_webhook_attempts(self, records: Sequence[domain.AttemptRecord]) -> int:
        request = md_pb2.RecordWebhookAttemptsRequest(records=[attempt_record_to_proto(item) for item in records])
        response = await call(self._stub.RecordWebhookAttempts(request, timeout=timeout_within(self._timeout)))
        return response.recorded


class VectorSearchClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = vs_grpc.VectorSearchServiceStub(channel)
        self._timeout = timeout

    async def upsert(self, tenant: domain.Tenant, items: Sequence[VectorRecord]) -> None:
        if not items:
            return
        request = vs_pb2.UpsertVectorsRequest(tenant=tenant_to_proto(tenant))
        for item in items:
            request.items.add(
                memory_id=item.memory_id,
                text=item.text,
                scope=scope_to_proto(item.scope),
                created_at=timestamp_to_proto(item.created_at),
                updated_at=timestamp_to_proto(item.updated_at),
                categories=item.categories,
            )
        await call(self._stub.UpsertVectors(request, timeout=timeout_within(self._timeout)))

    async def delete(self, tenant: domain.Tenant, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), VECTOR_DELETE_CHUNK):
            request = vs_pb2.DeleteVectorsRequest(
                tenant=tenant_to_proto(tenant), memory_ids=list(ids[start : start + VECTOR_DELETE_CHUNK])
            )
            await call(self._stub.DeleteVectors(request, timeout=timeout_within(self._timeout)))

    async def search(
        self,
        tenant: domain.Tenant,
        queries: Sequence[str],
        node: FilterNode | None,
        top_k: int,
        candidate_ids: Sequence[str] | None = None,
    ) -> list[list[VectorHit]]:
        request = vs_pb2.SearchVectorsRequest(tenant=tenant_to_proto(tenant), queries=list(queries), top_k=top_k)
        if node is not None:
            request.filter.CopyFrom(filter_to_proto(node))
        if candidate_ids is not None:
            request.candidate_ids.extend(candidate_ids)
            request.restrict_to_candidates = True
        response = await call(self._stub.SearchVectors(request, timeout=timeout_within(self._timeout)))
        return [[VectorHit(hit.memory_id, hit.score) for hit in result.hits] for result in response.results]


class ExtractionClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = ex_grpc.ExtractionServiceStub(channel)
        self._timeout = timeout

    async def extract_facts(
        self,
        tenant: domain.Tenant,
        messages: Sequence[domain.Message],
        scope: domain.Scope,
        *,
        custom_instructions: str = "",
        custom_categories: dict[str, str] | None = None,
        includes: str = "",
        excludes: str = "",
        recent_memories: Sequence[str] = (),
    ) -> list[Fact]:
        request = ex_pb2.ExtractFactsRequest(
            tenant=tenant_to_proto(tenant),
            messages=[message_to_proto(m) for m in messages],
            scope=scope_to_proto(scope),
            custom_instructions=custom_instructions,
            custom_categories=custom_categories or {},
            includes=includes,
            excludes=excludes,
            recent_memories=list(recent_memories),
        )
        response = await call(self._stub.ExtractFacts(request, timeout=timeout_within(self._timeout)))
        return [
            Fact(f.text, role_from_proto(f.attributed_to), list(f.categories), forget=f.forget) for f in response.facts
        ]

    async def reconcile(
        self, tenant: domain.Tenant, facts: Sequence[Fact], candidates: Sequence[Candidate]
    ) -> list[MemoryAction]:
        request = ex_pb2.ReconcileMemoriesRequest(tenant=tenant_to_proto(tenant))
        for fact in facts:
            request.facts.add(
                text=fact.text,
                attributed_to=role_to_proto(fact.attributed_to),
                categories=fact.categories,
                forget=fact.forget,
            )
        for candidate in candidates:
            request.candidates.add(
                memory_id=candidate.memory_id,
                text=candidate.text,
                score=candidate.score,
                immutable=candidate.immutable,
                fact_index=candidate.fact_index,
            )
        response = await call(self._stub.ReconcileMemories(request, timeout=timeout_within(self._timeout)))
        return [
            MemoryAction(PROTO_TO_EVENT.get(a.event, domain.MemoryEvent.NONE), a.memory_id, a.text, a.fact_index)
            for a in response.actions
        ]


def _export_from_proto(message: md_pb2.MemoryExport) -> domain.MemoryExport:
    return domain.MemoryExport(
        id=message.id,
        schema=message.schema,
        filter=filter_from_proto(message.filter, has=message.HasField("filter")),
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
    )
