"""memgrid.memory.v1.MemoryService: proto → orchestrator commands → proto. Same semantics as REST."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc

from gateway.auth import Authenticator, owner_of, writer_tenant
from gateway.commands import (
    DEFAULT_KEYWORD_SEARCH,
    DEFAULT_PAGE_SIZE,
    DEFAULT_THRESHOLD,
    DEFAULT_TOP_K,
    AddCommand,
    ListCommand,
    SearchCommand,
)
from gateway.exports import export_fields
from gateway.limits import InputLimits
from gateway.orchestrator import Orchestrator
from gateway.rest import render
from libs import domain
from libs.domain import MemoryPatch
from libs.errors import InvalidArgument
from libs.filters import FilterNode
from libs.filters.parser import parse_datetime
from libs.filters.proto import filter_from_proto
from libs.mappers import (
    MEMBER_ROLE_TO_PROTO,
    PROTO_TO_ENTITY_TYPE,
    PROTO_TO_STATUS,
    categories_from_proto,
    change_to_proto,
    date_from_text,
    delivery_to_proto,
    entity_to_proto,
    event_to_proto,
    history_to_proto,
    member_role_from_proto,
    member_to_proto,
    memory_to_proto,
    message_from_proto,
    project_to_proto,
    scope_from_proto,
    struct_from_proto,
    struct_to_proto,
    webhook_events_from_proto,
    webhook_to_proto,
)
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc

# How often WatchEvent looks at the event, and the statuses that end the stream.
WATCH_POLL_SECONDS = 0.1
FINAL_EVENT_STATUSES = (common_pb2.EVENT_STATUS_SUCCEEDED, common_pb2.EVENT_STATUS_FAILED)


def _page(page: int, page_size: int) -> tuple[int, int]:
    """0 (unset) means the default; the orchestrator checks the ranges."""
    return page or 1, page_size or DEFAULT_PAGE_SIZE


def _unix(seconds: int) -> datetime | None:
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidArgument(f"timestamp: not a valid unix time, got {seconds}", field="timestamp") from None


class MemoryServicer(pb2_grpc.MemoryServiceServicer):
    def __init__(self, orchestrator: Orchestrator, authenticator: Authenticator, limits: InputLimits) -> None:
        self._orchestrator = orchestrator
        self._authenticator = authenticator
        self._max_filter_depth = limits.max_filter_depth

    def _filter(self, message: common_pb2.Filter, *, has: bool) -> FilterNode | None:
        return filter_from_proto(message, has=has, max_depth=self._max_filter_depth)

    async def _caller(self, context: grpc.aio.ServicerContext) -> domain.Caller:
        header = next((value for key, value in context.invocation_metadata() or () if key == "authorization"), None)
        return await self._authenticator.caller_for(header)

    async def _tenant(self, context: grpc.aio.ServicerContext) -> domain.Tenant:
        """The caller's project, for RPCs that only read."""
        return (await self._caller(context)).tenant

    async def _writer(self, context: grpc.aio.ServicerContext) -> domain.Tenant:
        """The caller's project, for RPCs that change something (PERMISSION_DENIED for READER keys)."""
        return writer_tenant(await self._caller(context))

    async def Ping(self, request: pb2.PingRequest, context: grpc.aio.ServicerContext) -> pb2.PingResponse:
        caller = await self._caller(context)
        return pb2.PingResponse(
            status="ok",
            org_id=caller.tenant.org_id,
            project_id=caller.tenant.project_id,
            user_email=caller.member_email or "",
            role=MEMBER_ROLE_TO_PROTO[caller.role],
        )

    async def AddMemories(
        self, request: pb2.AddMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.AddMemoriesResponse:
        tenant = await self._writer(context)
        command = AddCommand(
            messages=[message_from_proto(m) for m in request.messages],
            scope=scope_from_proto(request.scope),
            metadata=struct_from_proto(request.metadata, present=request.HasField("metadata")),
            infer=request.infer if request.HasField("infer") else True,
            immutable=request.immutable,
            expiration_date=date_from_text(request.expiration_date),
            created_at=_unix(request.timestamp),
            custom_instructions=request.custom_instructions,
            custom_categories=dict(request.custom_categories),
            includes=request.includes,
            excludes=request.excludes,
            categories=list(request.categories),
        )
        if request.async_mode:
            event_id = await self._orchestrator.add_async(tenant, command, idempotency_key=request.request_id or None)
            return pb2.AddMemoriesResponse(status=common_pb2.EVENT_STATUS_PENDING, event_id=event_id)
        outcome = await self._orchestrator.add(tenant, command, idempotency_key=request.request_id or None)
        return pb2.AddMemoriesResponse(
            status=common_pb2.EVENT_STATUS_SUCCEEDED,
            event_id=outcome.event_id,
            results=[change_to_proto(change) for change in outcome.changes],
        )

    async def SearchMemories(
        self, request: pb2.SearchMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.SearchMemoriesResponse:
        tenant = await self._tenant(context)
        top_k = request.top_k or DEFAULT_TOP_K
        threshold = request.threshold if request.HasField("threshold") else DEFAULT_THRESHOLD
        if not 0.0 <= threshold <= 1.0:
            raise InvalidArgument(f"threshold: must be between 0 and 1, got {threshold}", field="threshold")
        command = SearchCommand(
            query=request.query,
            filter=self._filter(request.filter, has=request.HasField("filter")),
            top_k=top_k,
            threshold=threshold,
            categories=list(request.categories),
            show_expired=request.show_expired,
            keyword_search=request.keyword_search if request.HasField("keyword_search") else DEFAULT_KEYWORD_SEARCH,
            rerank=request.rerank,
            reference_date=parse_datetime(request.reference_date, "reference_date").date()
            if request.reference_date
            else None,
        )
        hits = await self._orchestrator.search(tenant, command)
        return pb2.SearchMemoriesResponse(
            results=[common_pb2.ScoredMemory(memory=memory_to_proto(h.memory), score=h.score) for h in hits]
        )

    async def ListMemories(
        self, request: pb2.ListMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ListMemoriesResponse:
        tenant = await self._tenant(context)
        page, page_size = _page(request.page, request.page_size)
        result = await self._orchestrator.list_memories(
            tenant,
            ListCommand(
                filter=self._filter(request.filter, has=request.HasField("filter")),
                page=page,
                page_size=page_size,
                show_expired=request.show_expired,
            ),
        )
        return pb2.ListMemoriesResponse(
            memories=[memory_to_proto(m) for m in result.memories],
            total_count=result.total_count,
            page=result.page,
            page_size=result.page_size,
        )

    async def GetMemory(
        self, request: pb2.GetMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb2.GetMemoryResponse:
        tenant = await self._tenant(context)
        memory = await self._orchestrator.get_memory(tenant, _memory_id(request.memory_id))
        return pb2.GetMemoryResponse(memory=memory_to_proto(memory))

    async def UpdateMemory(
        self, request: pb2.UpdateMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb2.UpdateMemoryResponse:
        tenant = await self._writer(context)
        expiration = request.WhichOneof("expiration")
        command = MemoryPatch(
            memory_id=_memory_id(request.memory_id),
            text=request.text if request.HasField("text") else None,
            metadata=struct_from_proto(request.metadata, present=request.HasField("metadata")),
            expiration_date=date_from_text(request.expiration_date) if expiration == "expiration_date" else None,
            clear_expiration_date=expiration == "clear_expiration_date" and request.clear_expiration_date,
            created_at=_unix(request.timestamp),
        )
        memory = await self._orchestrator.update_memory(tenant, command)
        return pb2.UpdateMemoryResponse(memory=memory_to_proto(memory))

    async def DeleteMemory(
        self, request: pb2.DeleteMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb2.DeleteMemoryResponse:
        tenant = await self._writer(context)
        deleted = await self._orchestrator.delete_memory(tenant, _memory_id(request.memory_id))
        return pb2.DeleteMemoryResponse(message="Memory deleted successfully!", deleted_count=deleted)

    async def DeleteAllMemories(
        self, request: pb2.DeleteAllMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.DeleteAllMemoriesResponse:
        tenant = await self._writer(context)
        node = self._filter(request.filter, has=request.HasField("filter"))
        deleted = await self._orchestrator.delete_all(tenant, node)
        return pb2.DeleteAllMemoriesResponse(message="Memories deleted successfully!", deleted_count=deleted)

    async def GetMemoryHistory(
        self, request: pb2.GetMemoryHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb2.GetMemoryHistoryResponse:
        tenant = await self._tenant(context)
        entries = await self._orchestrator.history(tenant, _memory_id(request.memory_id))
        return pb2.GetMemoryHistoryResponse(entries=[history_to_proto(e) for e in entries])

    async def BatchUpdateMemories(
        self, request: pb2.BatchUpdateMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.BatchUpdateMemoriesResponse:
        tenant = await self._writer(context)
        commands = [
            MemoryPatch(
                memory_id=u.memory_id,
                text=u.text if u.HasField("text") else None,
                metadata=struct_from_proto(u.metadata, present=u.HasField("metadata")),
            )
            for u in request.updates
        ]
        updated = await self._orchestrator.batch_update(tenant, commands, idempotency_key=request.request_id or None)
        return pb2.BatchUpdateMemoriesResponse(
            message=f"Successfully updated {updated} memories", updated_count=updated
        )

    async def BatchDeleteMemories(
        self, request: pb2.BatchDeleteMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.BatchDeleteMemoriesResponse:
        tenant = await self._writer(context)
        deleted = await self._orchestrator.batch_delete(
            tenant, list(request.memory_ids), idempotency_key=request.request_id or None
        )
        return pb2.BatchDeleteMemoriesResponse(
            message=f"Successfully deleted {deleted} memories", deleted_count=deleted
        )

    async def ListEntities(
        self, request: pb2.ListEntitiesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ListEntitiesResponse:
        tenant = await self._tenant(context)
        page, page_size = _page(request.page, request.page_size)
        result = await self._orchestrator.list_entities(tenant, PROTO_TO_ENTITY_TYPE.get(request.type), page, page_size)
        return pb2.ListEntitiesResponse(
            entities=[entity_to_proto(e) for e in result.entities],
            total_count=result.total_count,
            total_users=result.totals.get(domain.EntityType.USER, 0),
            total_agents=result.totals.get(domain.EntityType.AGENT, 0),
            total_apps=result.totals.get(domain.EntityType.APP, 0),
            total_runs=result.totals.get(domain.EntityType.RUN, 0),
        )

    async def DeleteEntity(
        self, request: pb2.DeleteEntityRequest, context: grpc.aio.ServicerContext
    ) -> pb2.DeleteEntityResponse:
        tenant = await self._writer(context)
        kind = _entity_type(request.type)
        deleted = await self._orchestrator.delete_entity(tenant, kind, _required(request.name, "name"))
        return pb2.DeleteEntityResponse(message="Entity deleted successfully.", deleted_count=deleted)

    async def ResetProject(
        self, request: pb2.ResetProjectRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ResetProjectResponse:
        tenant = await self._writer(context)
        deleted = await self._orchestrator.reset(tenant)
        return pb2.ResetProjectResponse(
            message="Project reset. All memories and entities deleted.", deleted_count=deleted
        )

    async def GetEvent(self, request: pb2.GetEventRequest, context: grpc.aio.ServicerContext) -> pb2.GetEventResponse:
        tenant = await self._tenant(context)
        event = await self._orchestrator.get_event(tenant, _required(request.event_id, "event_id"))
        return pb2.GetEventResponse(event=event_to_proto(event))

    async def ListEvents(
        self, request: pb2.ListEventsRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ListEventsResponse:
        tenant = await self._tenant(context)
        page, page_size = _page(request.page, request.page_size)
        events, total = await self._orchestrator.list_events(
            tenant, PROTO_TO_STATUS.get(request.status), page, page_size
        )
        return pb2.ListEventsResponse(events=[event_to_proto(e) for e in events], total_count=total)

    async def WatchEvent(
        self, request: pb2.WatchEventRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb2.WatchEventResponse]:
        """The event now, then each change of it, until it is SUCCEEDED or FAILED (or the deadline ends)."""
        tenant = await self._tenant(context)
        event_id = _required(request.event_id, "event_id")
        sent = None
        while True:
            message = event_to_proto(await self._orchestrator.get_event(tenant, event_id))
            if message != sent:
                yield pb2.WatchEventResponse(event=message)
                sent = message
            if message.status in FINAL_EVENT_STATUSES:
                return
            await asyncio.sleep(WATCH_POLL_SECONDS)

    async def SubmitFeedback(
        self, request: pb2.SubmitFeedbackRequest, context: grpc.aio.ServicerContext
    ) -> pb2.SubmitFeedbackResponse:
        tenant = await self._writer(context)
        if request.feedback not in pb2.Feedback.values():
            raise InvalidArgument(
                f"feedback: unknown value {request.feedback} (known: {', '.join(pb2.Feedback.keys())})",
                field="feedback",
            )
        value = pb2.Feedback.Name(request.feedback).removeprefix("FEEDBACK_") if request.feedback else None
        stored = await self._orchestrator.feedback(
            tenant, _memory_id(request.memory_id), value, request.feedback_reason or None
        )
        return pb2.SubmitFeedbackResponse(
            id=stored.id,
            feedback=pb2.Feedback.Value(f"FEEDBACK_{stored.feedback}") if stored.feedback else 0,
            feedback_reason=stored.feedback_reason or "",
        )

    async def CreateEntity(
        self, request: pb2.CreateEntityRequest, context: grpc.aio.ServicerContext
    ) -> pb2.CreateEntityResponse:
        tenant = await self._writer(context)
        kind = _entity_type(request.type)
        metadata = struct_from_proto(request.metadata, present=request.HasField("metadata"))
        entity = await self._orchestrator.create_entity(tenant, kind, request.name, metadata)
        return pb2.CreateEntityResponse(entity=entity_to_proto(entity))

    async def GetProject(
        self, request: pb2.GetProjectRequest, context: grpc.aio.ServicerContext
    ) -> pb2.GetProjectResponse:
        tenant = await self._tenant(context)
        return pb2.GetProjectResponse(project=project_to_proto(await self._orchestrator.get_project(tenant)))

    async def UpdateProject(
        self, request: pb2.UpdateProjectRequest, context: grpc.aio.ServicerContext
    ) -> pb2.UpdateProjectResponse:
        tenant = await self._writer(context)
        changes = domain.ProjectChanges(
            custom_instructions=request.custom_instructions if request.HasField("custom_instructions") else None,
            custom_categories=categories_from_proto(
                request.custom_categories, present=request.HasField("custom_categories")
            ),
            settings=struct_from_proto(request.settings, present=request.HasField("settings")),
            name=request.name if request.HasField("name") else None,
            description=request.description if request.HasField("description") else None,
        )
        project = await self._orchestrator.update_project(tenant, changes)
        return pb2.UpdateProjectResponse(project=project_to_proto(project))

    async def CreateExport(
        self, request: pb2.CreateExportRequest, context: grpc.aio.ServicerContext
    ) -> pb2.CreateExportResponse:
        tenant = await self._writer(context)
        node = self._filter(request.filter, has=request.HasField("filter"))
        export = await self._orchestrator.create_export(tenant, request.schema, node)
        return pb2.CreateExportResponse(message="Memory export request received.", id=export.id)

    async def GetExport(
        self, request: pb2.GetExportRequest, context: grpc.aio.ServicerContext
    ) -> pb2.GetExportResponse:
        tenant = await self._tenant(context)
        export, memories = await self._orchestrator.get_export(tenant, _required(request.export_id, "export_id"))
        data = render.export_json(export.id, export.created_at, memories, export_fields(export.schema))
        return pb2.GetExportResponse(id=export.id, status=common_pb2.EVENT_STATUS_SUCCEEDED, data=struct_to_proto(data))

    async def ListMembers(
        self, request: pb2.ListMembersRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ListMembersResponse:
        tenant = await self._tenant(context)
        members = await self._orchestrator.list_members(tenant)
        return pb2.ListMembersResponse(members=[member_to_proto(member) for member in members])

    async def AddMember(
        self, request: pb2.AddMemberRequest, context: grpc.aio.ServicerContext
    ) -> pb2.AddMemberResponse:
        tenant = await self._writer(context)
        role = member_role_from_proto(request.role, required=False) or domain.MemberRole.READER
        member = await self._orchestrator.add_member(tenant, _required(request.email, "email"), role)
        return pb2.AddMemberResponse(member=member_to_proto(member))

    async def UpdateMember(
        self, request: pb2.UpdateMemberRequest, context: grpc.aio.ServicerContext
    ) -> pb2.UpdateMemberResponse:
        tenant = await self._writer(context)
        role = member_role_from_proto(request.role)
        member = await self._orchestrator.update_member(tenant, _required(request.email, "email"), role)
        return pb2.UpdateMemberResponse(member=member_to_proto(member))

    async def RemoveMember(
        self, request: pb2.RemoveMemberRequest, context: grpc.aio.ServicerContext
    ) -> pb2.RemoveMemberResponse:
        tenant = await self._writer(context)
        member = await self._orchestrator.remove_member(tenant, _required(request.email, "email"))
        return pb2.RemoveMemberResponse(member=member_to_proto(member))

    # --- webhooks ---------------------------------------------------------------------------

    async def ListWebhooks(
        self, request: pb2.ListWebhooksRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ListWebhooksResponse:
        webhooks = await self._orchestrator.list_webhooks(await self._tenant(context))
        return pb2.ListWebhooksResponse(webhooks=[webhook_to_proto(webhook) for webhook in webhooks])

    async def CreateWebhook(
        self, request: pb2.CreateWebhookRequest, context: grpc.aio.ServicerContext
    ) -> pb2.CreateWebhookResponse:
        caller = await self._caller(context)
        tenant = writer_tenant(caller)
        webhook = await self._orchestrator.create_webhook(
            tenant,
            name=_required(request.name, "name"),
            url=_required(request.url, "url"),
            event_types=webhook_events_from_proto(request.event_types),
            owner=owner_of(caller),
        )
        return pb2.CreateWebhookResponse(webhook=webhook_to_proto(webhook))

    async def UpdateWebhook(
        self, request: pb2.UpdateWebhookRequest, context: grpc.aio.ServicerContext
    ) -> pb2.UpdateWebhookResponse:
        tenant = await self._writer(context)
        changes = domain.WebhookChanges(
            name=request.name if request.HasField("name") else None,
            url=request.url if request.HasField("url") else None,
            event_types=webhook_events_from_proto(request.event_types.values)
            if request.HasField("event_types")
            else None,
            is_active=request.is_active if request.HasField("is_active") else None,
        )
        webhook = await self._orchestrator.update_webhook(tenant, _required(request.webhook_id, "webhook_id"), changes)
        return pb2.UpdateWebhookResponse(webhook=webhook_to_proto(webhook))

    async def DeleteWebhook(
        self, request: pb2.DeleteWebhookRequest, context: grpc.aio.ServicerContext
    ) -> pb2.DeleteWebhookResponse:
        tenant = await self._writer(context)
        webhook = await self._orchestrator.delete_webhook(tenant, _required(request.webhook_id, "webhook_id"))
        return pb2.DeleteWebhookResponse(webhook=webhook_to_proto(webhook))

    async def ListWebhookDeliveries(
        self, request: pb2.ListWebhookDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ListWebhookDeliveriesResponse:
        tenant = await self._tenant(context)
        page, page_size = _page(request.page, request.page_size)
        deliveries, total = await self._orchestrator.list_webhook_deliveries(
            tenant, _required(request.webhook_id, "webhook_id"), page, page_size
        )
        return pb2.ListWebhookDeliveriesResponse(
            deliveries=[delivery_to_proto(delivery) for delivery in deliveries], total_count=total
        )


def _required(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(f"{field}: must not be empty", field=field)
    return value


def _entity_type(value: int) -> domain.EntityType:
    kind = PROTO_TO_ENTITY_TYPE.get(value)
    if kind is None:
        raise InvalidArgument("type: must be USER, AGENT, APP or RUN", field="type")
    return kind


def _memory_id(value: str) -> str:
    return _required(value, "memory_id")
