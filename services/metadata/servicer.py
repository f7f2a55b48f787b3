"""The gRPC edge of the metadata service: proto → domain, call the store, domain → proto."""

from __future__ import annotations

from typing import Any

from libs import mappers
from libs.domain import MemoryExport, ProjectChanges, WebhookChanges
from libs.errors import InvalidArgument
from libs.filters.proto import filter_from_proto, filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc as pb_grpc
from services.metadata.mappers import api_key_to_proto, new_memory_from_proto, patch_from_proto
from services.metadata.store import SqlMetadataStore

Context = Any


def _messages(items: Any) -> list[Any]:
    return [mappers.message_from_proto(item) for item in items]


def _filter(request: Any) -> Any:
    return filter_from_proto(request.filter, has=request.HasField("filter"))


class MetadataServicer(pb_grpc.MetadataServiceServicer):
    def __init__(self, store: SqlMetadataStore) -> None:
        self._store = store

    # --- memories -------------------------------------------------------------------------------

    async def CreateMemories(self, request: pb.CreateMemoriesRequest, context: Context) -> pb.CreateMemoriesResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        memories = [new_memory_from_proto(item, index) for index, item in enumerate(request.memories)]
        stored = await self._store.create_memories(
            tenant, memories, _messages(request.input), skip_duplicates=request.skip_duplicates
        )
        return pb.CreateMemoriesResponse(memories=[mappers.memory_to_proto(memory) for memory in stored])

    async def GetMemories(self, request: pb.GetMemoriesRequest, context: Context) -> pb.GetMemoriesResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        found = await self._store.get_memories(tenant, list(request.memory_ids))
        return pb.GetMemoriesResponse(memories=[mappers.memory_to_proto(memory) for memory in found])

    async def ListMemories(self, request: pb.ListMemoriesRequest, context: Context) -> pb.ListMemoriesResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        memories, total = await self._store.list_memories(
            tenant,
            _filter(request),
            page=request.page,
            page_size=request.page_size,
            show_expired=request.show_expired,
        )
        return pb.ListMemoriesResponse(
            memories=[mappers.memory_to_proto(memory) for memory in memories], total_count=total
        )

    async def FindMemoryIds(self, request: pb.FindMemoryIdsRequest, context: Context) -> pb.FindMemoryIdsResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        ids = await self._store.find_memory_ids(tenant, _filter(request), show_expired=request.show_expired)
        return pb.FindMemoryIdsResponse(memory_ids=ids)

    async def SearchText(self, request: pb.SearchTextRequest, context: Context) -> pb.SearchTextResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        hits = await self._store.search_text(
            tenant, request.query, _filter(request), request.limit, show_expired=request.show_expired
        )
        return pb.SearchTextResponse(hits=[pb.TextHit(memory_id=memory_id, score=score) for memory_id, score in hits])

    async def UpdateMemories(self, request: pb.UpdateMemoriesRequest, context: Context) -> pb.UpdateMemoriesResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        patches = [patch_from_proto(item, index) for index, item in enumerate(request.patches)]
        updated = await self._store.update_memories(tenant, patches, _messages(request.input))
        return pb.UpdateMemoriesResponse(
            memories=[mappers.memory_to_proto(item.memory) for item in updated],
            previous_texts=[item.previous_text for item in updated],
        )

    async def DeleteMemories(self, request: pb.DeleteMemoriesRequest, context: Context) -> pb.DeleteMemoriesResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        deleted = await self._store.delete_memories(
            tenant,
            memory_ids=list(request.memory_ids),
            node=_filter(request),
            all_memories=request.all,
            respect_immutable=request.respect_immutable,
            messages=_messages(request.input),
        )
        return pb.DeleteMemoriesResponse(memories=[mappers.memory_to_proto(memory) for memory in deleted])

    async def ListHistory(self, request: pb.ListHistoryRequest, context: Context) -> pb.ListHistoryResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        entries = await self._store.list_history(tenant, request.memory_id)
        return pb.ListHistoryResponse(entries=[mappers.history_to_proto(entry) for entry in entries])

    # --- entities -------------------------------------------------------------------------------

    async def ListEntities(self, request: pb.ListEntitiesRequest, context: Context) -> pb.ListEntitiesResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        kind = mappers.PROTO_TO_ENTITY_TYPE.get(request.type)
        if kind is None and request.type != common_pb2.ENTITY_TYPE_UNSPECIFIED:
            raise InvalidArgument(f"type: unknown entity type {request.type}", field="type")
        page = await self._store.list_entities(tenant, kind, page=request.page, page_size=request.page_size)
        totals = {kind.value: count for kind, count in page.totals.items()}
        return pb.ListEntitiesResponse(
            entities=[mappers.entity_to_proto(entity) for entity in page.entities],
            total_count=page.total_count,
            total_users=totals.get("user", 0),
            total_agents=totals.get("agent", 0),
            total_apps=totals.get("app", 0),
            total_runs=totals.get("run", 0),
        )

    async def DeleteEntity(self, request: pb.DeleteEntityRequest, context: Context) -> pb.DeleteEntityResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        kind = mappers.PROTO_TO_ENTITY_TYPE.get(request.type)
        if kind is None:
            raise InvalidArgument("type: an entity type (user, agent, app or run) is required", field="type")
        found, deleted = await self._store.delete_entity(tenant, kind, request.name)
        return pb.DeleteEntityResponse(memories=[mappers.memory_to_proto(memory) for memory in deleted], found=found)

    async def CreateEntity(self, request: pb.CreateEntityRequest, context: Context) -> pb.CreateEntityResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        kind = mappers.PROTO_TO_ENTITY_TYPE.get(request.type)
        if kind is None:
            raise InvalidArgument("type: an entity type (user, agent, app or run) is required", field="type")
        metadata = mappers.struct_from_proto(request.metadata, present=request.HasField("metadata"))
        entity = await self._store.create_entity(tenant, kind, request.name, metadata)
        return pb.CreateEntityResponse(entity=mappers.entity_to_proto(entity))

    # --- projects and feedback ------------------------------------------------------------------

    async def GetProject(self, request: pb.GetProjectRequest, context: Context) -> pb.GetProjectResponse:
        project = await self._store.get_project(mappers.tenant_from_proto(request.tenant))
        return pb.GetProjectResponse(project=mappers.project_to_proto(project))

    async def UpdateProject(self, request: pb.UpdateProjectRequest, context: Context) -> pb.UpdateProjectResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        changes = ProjectChanges(
            custom_instructions=request.custom_instructions if request.HasField("custom_instructions") else None,
            custom_categories=mappers.categories_from_proto(
                request.custom_categories, present=request.HasField("custom_categories")
            ),
            settings=mappers.struct_from_proto(request.settings, present=request.HasField("settings")),
            name=request.name if request.HasField("name") else None,
            description=request.description if request.HasField("description") else None,
        )
        project = await self._store.update_project(tenant, changes)
        return pb.UpdateProjectResponse(project=mappers.project_to_proto(project))

    async def RecordFeedback(self, request: pb.RecordFeedbackRequest, context: Context) -> pb.RecordFeedbackResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        if not request.memory_id:
            raise InvalidArgument("memory_id: must not be empty", field="memory_id")
        stored = await self._store.record_feedback(
            tenant, request.memory_id, request.feedback or None, request.feedback_reason or None
        )
        return pb.RecordFeedbackResponse(
            id=stored.id, feedback=stored.feedback or "", feedback_reason=stored.feedback_reason or ""
        )

    # --- events ---------------------------------------------------------------------------------

    async def RecordEvent(self, request: pb.RecordEventRequest, context: Context) -> pb.RecordEventResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        if not request.HasField("event"):
            raise InvalidArgument("event: is required", field="event")
        if request.event.status not in mappers.PROTO_TO_STATUS:
            raise InvalidArgument("event.status: a status is required", field="event.status")
        event = mappers.event_from_proto(request.event)
        stored = await self._store.record_event(tenant, event, keep_created_at=not request.event.HasField("created_at"))
        return pb.RecordEventResponse(event=mappers.event_to_proto(stored))

    async def GetEvent(self, request: pb.GetEventRequest, context: Context) -> pb.GetEventResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        event = await self._store.get_event(tenant, request.event_id)
        return pb.GetEventResponse(event=mappers.event_to_proto(event))

    async def ListEvents(self, request: pb.ListEventsRequest, context: Context) -> pb.ListEventsResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        status = mappers.PROTO_TO_STATUS.get(request.status)
        events, total = await self._store.list_events(tenant, status, page=request.page, page_size=request.page_size)
        return pb.ListEventsResponse(events=[mappers.event_to_proto(event) for event in events], total_count=total)

    # --- API keys -------------------------------------------------------------------------------

    async def AuthenticateApiKey(
        self, request: pb.AuthenticateApiKeyRequest, context: Context
    ) -> pb.AuthenticateApiKeyResponse:
        caller = await self._store.authenticate_api_key(request.api_key)
        return pb.AuthenticateApiKeyResponse(
            tenant=mappers.tenant_to_proto(caller.tenant),
            key_id=caller.key_id,
            role=mappers.MEMBER_ROLE_TO_PROTO[caller.role],
            member_email=caller.member_email or "",
        )

    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: Context) -> pb.CreateApiKeyResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        info, plaintext = await self._store.create_api_key(
            tenant,
            request.name,
            request.api_key,
            role=mappers.member_role_from_proto(request.role, required=False),
            member_email=request.member_email or None,
        )
        return pb.CreateApiKeyResponse(key=api_key_to_proto(info), api_key=plaintext)

    async def ListApiKeys(self, request: pb.ListApiKeysRequest, context: Context) -> pb.ListApiKeysResponse:
        keys = await self._store.list_api_keys(include_revoked=request.include_revoked)
        return pb.ListApiKeysResponse(keys=[api_key_to_proto(info) for info in keys])

    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: Context) -> pb.RevokeApiKeyResponse:
        info = await self._store.revoke_api_key(request.key_id)
        return pb.RevokeApiKeyResponse(key=api_key_to_proto(info))

    # --- consistency ------------------------------------------------------------------------------

    async def ListPendingVectorSyncs(
        self, request: pb.ListPendingVectorSyncsRequest, context: Context
    ) -> pb.ListPendingVectorSyncsResponse:
        syncs = await self._store.list_pending_vector_syncs(request.min_age_seconds, request.limit)
        return pb.ListPendingVectorSyncsResponse(syncs=[mappers.vector_sync_to_proto(sync) for sync in syncs])

    async def AckVectorSyncs(self, request: pb.AckVectorSyncsRequest, context: Context) -> pb.AckVectorSyncsResponse:
        syncs = [mappers.vector_sync_from_proto(item, index) for index, item in enumerate(request.syncs)]
        return pb.AckVectorSyncsResponse(removed=await self._store.ack_vector_syncs(syncs))

    async def BeginIdempotentRequest(
        self, request: pb.BeginIdempotentRequestRequest, context: Context
    ) -> pb.BeginIdempotentRequestResponse:
        claim = await self._store.begin_idempotent_request(
            mappers.tenant_from_proto(request.tenant),
            request.key,
            request.fingerprint,
            lease_seconds=request.lease_seconds,
            retention_seconds=request.retention_seconds,
        )
        return pb.BeginIdempotentRequestResponse(
            state=pb.IdempotencyState.Value(f"IDEMPOTENCY_STATE_{claim.state.value}"),
            result=claim.result or "",
            claim_id=claim.claim_id,
        )

    async def FinishIdempotentRequest(
        self, request: pb.FinishIdempotentRequestRequest, context: Context
    ) -> pb.FinishIdempotentRequestResponse:
        await self._store.finish_idempotent_request(
            mappers.tenant_from_proto(request.tenant), request.key, succeeded=request.succeeded, result=request.result
        )
        return pb.FinishIdempotentRequestResponse()

    # --- members --------------------------------------------------------------------------------

    async def ListMembers(self, request: pb.ListMembersRequest, context: Context) -> pb.ListMembersResponse:
        members = await self._store.list_members(mappers.tenant_from_proto(request.tenant))
        return pb.ListMembersResponse(members=[mappers.member_to_proto(member) for member in members])

    async def AddMember(self, request: pb.AddMemberRequest, context: Context) -> pb.AddMemberResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        member = await self._store.add_member(tenant, request.email, mappers.member_role_from_proto(request.role))
        return pb.AddMemberResponse(member=mappers.member_to_proto(member))

    async def UpdateMember(self, request: pb.UpdateMemberRequest, context: Context) -> pb.UpdateMemberResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        member = await self._store.update_member(tenant, request.email, mappers.member_role_from_proto(request.role))
        return pb.UpdateMemberResponse(member=mappers.member_to_proto(member))

    async def RemoveMember(self, request: pb.RemoveMemberRequest, context: Context) -> pb.RemoveMemberResponse:
        member = await self._store.remove_member(mappers.tenant_from_proto(request.tenant), request.email)
        return pb.RemoveMemberResponse(member=mappers.member_to_proto(member))

    # --- webhooks -------------------------------------------------------------------------------

    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Context) -> pb.CreateWebhookResponse:
        webhook = await self._store.create_webhook(
            mappers.tenant_from_proto(request.tenant),
            name=request.name,
            url=request.url,
            event_types=mappers.webhook_events_from_proto(request.event_types),
            owner=request.owner or None,
        )
        return pb.CreateWebhookResponse(webhook=mappers.webhook_to_proto(webhook))

    async def ListWebhooks(self, request: pb.ListWebhooksRequest, context: Context) -> pb.ListWebhooksResponse:
        found = await self._store.list_webhooks(mappers.tenant_from_proto(request.tenant))
        return pb.ListWebhooksResponse(webhooks=[mappers.webhook_to_proto(webhook) for webhook in found])

    async def UpdateWebhook(self, request: pb.UpdateWebhookRequest, context: Context) -> pb.UpdateWebhookResponse:
        changes = WebhookChanges(
            name=request.name if request.HasField("name") else None,
            url=request.url if request.HasField("url") else None,
            event_types=mappers.webhook_events_from_proto(request.event_types.values)
            if request.HasField("event_types")
            else None,
            is_active=request.is_active if request.HasField("is_active") else None,
        )
        webhook = await self._store.update_webhook(
            mappers.tenant_from_proto(request.tenant), request.webhook_id, changes
        )
        return pb.UpdateWebhookResponse(webhook=mappers.webhook_to_proto(webhook))

    async def DeleteWebhook(self, request: pb.DeleteWebhookRequest, context: Context) -> pb.DeleteWebhookResponse:
        webhook = await self._store.delete_webhook(mappers.tenant_from_proto(request.tenant), request.webhook_id)
        return pb.DeleteWebhookResponse(webhook=mappers.webhook_to_proto(webhook))

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        deliveries, total = await self._store.list_webhook_deliveries(
            mappers.tenant_from_proto(request.tenant), request.webhook_id, request.page, request.page_size
        )
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[mappers.delivery_to_proto(delivery) for delivery in deliveries], total_count=total
        )

    async def ClaimWebhookDeliveries(
        self, request: pb.ClaimWebhookDeliveriesRequest, context: Context
    ) -> pb.ClaimWebhookDeliveriesResponse:
        claimed = await self._store.claim_webhook_deliveries(request.limit, request.lease_seconds)
        return pb.ClaimWebhookDeliveriesResponse(deliveries=[mappers.due_delivery_to_proto(due) for due in claimed])

    async def RecordWebhookAttempts(
        self, request: pb.RecordWebhookAttemptsRequest, context: Context
    ) -> pb.RecordWebhookAttemptsResponse:
        records = [mappers.attempt_record_from_proto(item, index) for index, item in enumerate(request.records)]
        return pb.RecordWebhookAttemptsResponse(recorded=await self._store.record_webhook_attempts(records))

    # --- the job queue and exports ----------------------------------------------------------------

    async def EnqueueJob(self, request: pb.EnqueueJobRequest, context: Context) -> pb.EnqueueJobResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        if not request.HasField("event"):
            raise InvalidArgument("event: is required", field="event")
        event = mappers.event_from_proto(request.event)
        await self._store.enqueue_job(tenant, request.job_id, request.kind, request.payload, event)
        return pb.EnqueueJobResponse()

    async def ClaimJobs(self, request: pb.ClaimJobsRequest, context: Context) -> pb.ClaimJobsResponse:
        claimed = await self._store.claim_jobs(request.limit, request.lease_seconds)
        return pb.ClaimJobsResponse(jobs=[mappers.job_to_proto(job) for job in claimed])

    async def FinishJob(self, request: pb.FinishJobRequest, context: Context) -> pb.FinishJobResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        if not request.HasField("event"):
            raise InvalidArgument("event: is required", field="event")
        finished = await self._store.finish_job(
            tenant,
            request.job_id,
            request.claim_token,
            mappers.job_outcome_from_proto(request.outcome),
            retry_after_seconds=request.retry_after_seconds,
            error=request.error or None,
            event=mappers.event_from_proto(request.event),
        )
        return pb.FinishJobResponse(finished=finished)

    async def CreateExport(self, request: pb.CreateExportRequest, context: Context) -> pb.CreateExportResponse:
        tenant = mappers.tenant_from_proto(request.tenant)
        spec = request.export
        node = filter_from_proto(spec.filter, has=spec.HasField("filter"))
        stored = await self._store.create_export(tenant, spec.id, spec.schema, node)
        return pb.CreateExportResponse(export=_export_to_proto(stored))

    async def GetExport(self, request: pb.GetExportRequest, context: Context) -> pb.GetExportResponse:
        stored = await self._store.get_export(mappers.tenant_from_proto(request.tenant), request.export_id)
        return pb.GetExportResponse(export=_export_to_proto(stored))


def _export_to_proto(export: MemoryExport) -> pb.MemoryExport:
    return pb.MemoryExport(
        id=export.id,
        schema=export.schema,
        filter=filter_to_proto(export.filter),
        created_at=mappers.timestamp_to_proto(export.created_at),
    )
