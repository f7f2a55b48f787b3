"""Domain types ↔ memgrid.common.v1 messages, used by every servicer and every client."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from libs import domain
from libs.errors import InvalidArgument
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as metadata_pb2

ROLE_TO_PROTO = {
    domain.Role.USER: common_pb2.ROLE_USER,
    domain.Role.ASSISTANT: common_pb2.ROLE_ASSISTANT,
    domain.Role.SYSTEM: common_pb2.ROLE_SYSTEM,
    domain.Role.TOOL: common_pb2.ROLE_TOOL,
}
PROTO_TO_ROLE = {value: role for role, value in ROLE_TO_PROTO.items()}
EVENT_TO_PROTO = {event: getattr(common_pb2, f"MEMORY_EVENT_{event.name}") for event in domain.MemoryEvent}
PROTO_TO_EVENT = {value: event for event, value in EVENT_TO_PROTO.items()}
ENTITY_TYPE_TO_PROTO = {kind: getattr(common_pb2, f"ENTITY_TYPE_{kind.name}") for kind in domain.EntityType}
PROTO_TO_ENTITY_TYPE = {value: kind for kind, value in ENTITY_TYPE_TO_PROTO.items()}
STATUS_TO_PROTO = {status: getattr(common_pb2, f"EVENT_STATUS_{status.name}") for status in domain.EventStatus}
PROTO_TO_STATUS = {value: status for status, value in STATUS_TO_PROTO.items()}


# --- small values -------------------------------------------------------------------------------


def tenant_to_proto(tenant: domain.Tenant) -> common_pb2.Tenant:
    return common_pb2.Tenant(org_id=tenant.org_id, project_id=tenant.project_id)


def tenant_from_proto(message: common_pb2.Tenant) -> domain.Tenant:
    """The tenant of an internal request; a request without one is rejected."""
    if not message.org_id or not message.project_id:
        raise InvalidArgument("tenant.org_id and tenant.project_id are required", field="tenant")
    return domain.Tenant(org_id=message.org_id, project_id=message.project_id)


def scope_to_proto(scope: domain.Scope) -> common_pb2.Scope:
    return common_pb2.Scope(**scope.as_dict())


def scope_from_proto(message: common_pb2.Scope) -> domain.Scope:
    return domain.Scope(
        user_id=message.user_id or None,
        agent_id=message.agent_id or None,
        app_id=message.app_id or None,
        run_id=message.run_id or None,
    )


def timestamp_to_proto(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return stamp


def timestamp_from_proto(
    stamp: timestamp_pb2.Timestamp, *, present: bool = True, field: str = "timestamp"
) -> datetime | None:
    """None when unset; InvalidArgument naming `field` when outside 0001-01-01..9999-12-31 or nanos invalid."""
    if not present or (stamp.seconds == 0 and stamp.nanos == 0):
        return None
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidArgument(
            f"{field}: not a valid timestamp (seconds={stamp.seconds}, nanos={stamp.nanos})", field=field
        ) from None


def struct_to_proto(data: dict[str, Any] | None) -> struct_pb2.Struct | None:
    if data is None:
        return None
    message = struct_pb2.Struct()
    message.update(data)
    return message


def struct_from_proto(message: struct_pb2.Struct, *, present: bool = True) -> dict[str, Any] | None:
    if not present:
        return None
    return json_format.MessageToDict(message)


def date_from_text(text: str, field: str = "expiration_date") -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(f"{field} must be a date as YYYY-MM-DD, got {text!r}", field=field) from None


def role_to_proto(role: domain.Role | None) -> int:
    return ROLE_TO_PROTO[role] if role else common_pb2.ROLE_UNSPECIFIED


def role_from_proto(value: int) -> domain.Role | None:
    return PROTO_TO_ROLE.get(value)


# --- messages -----------------------------------------------------------------------------------


def message_to_proto(message: domain.Message) -> common_pb2.Message:
    return common_pb2.Message(
        role=ROLE_TO_PROTO[message.role], content=message.content, name=message.name or "", id=message.id or ""
    )


def message_from_proto(message: common_pb2.Message) -> domain.Message:
    return domain.Message(
        role=PROTO_TO_ROLE.get(message.role, domain.Role.USER),
        content=message.content,
        name=message.name or None,
        id=message.id or None,
    )


def memory_to_proto(memory: domain.Memory) -> common_pb2.Memory:
    message = common_pb2.Memory(
        id=memory.id,
        memory=memory.memory,
        hash=memory.hash,
        scope=scope_to_proto(memory.scope),
        categories=memory.categories,
        immutable=memory.immutable,
        expiration_date=memory.expiration_date.isoformat() if memory.expiration_date else "",
        created_at=timestamp_to_proto(memory.created_at),
        updated_at=timestamp_to_proto(memory.updated_at),
        actor_id=memory.actor_id or "",
        role=role_to_proto(memory.role),
        source_message_ids=memory.source_message_ids,
    )
    if memory.metadata is not None:
        message.metadata.CopyFrom(struct_to_proto(memory.metadata))
    return message


def memory_from_proto(message: common_pb2.Memory) -> domain.Memory:
    return domain.Memory(
        id=message.id,
        memory=message.memory,
        hash=message.hash,
        scope=scope_from_proto(message.scope),
        metadata=struct_from_proto(message.metadata, present=message.HasField("metadata")),
        categories=list(message.categories),
        immutable=message.immutable,
        expiration_date=date_from_text(message.expiration_date),
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
        updated_at=timestamp_from_proto(message.updated_at) or datetime.now(UTC),
        actor_id=message.actor_id or None,
        role=role_from_proto(message.role),
        source_message_ids=list(message.source_message_ids),
    )


def change_to_proto(change: domain.MemoryChange) -> common_pb2.MemoryChange:
    return common_pb2.MemoryChange(
        id=change.id,
        memory=change.memory,
        event=EVENT_TO_PROTO[change.event],
        previous_memory=change.previous_memory or "",
        actor_id=change.actor_id or "",
        role=role_to_proto(change.role),
    )


def change_from_proto(message: common_pb2.MemoryChange) -> domain.MemoryChange:
    return domain.MemoryChange(
        id=message.id,
        memory=message.memory,
        event=PROTO_TO_EVENT.get(message.event, domain.MemoryEvent.NONE),
        previous_memory=message.previous_memory or None,
        actor_id=message.actor_id or None,
        role=role_from_proto(message.role),
    )


def history_to_proto(entry: domain.HistoryEntry) -> common_pb2.HistoryEntry:
    message = common_pb2.HistoryEntry(
        id=entry.id,
        memory_id=entry.memory_id,
        old_memory=entry.old_memory or "",
        new_memory=entry.new_memory or "",
        event=EVENT_TO_PROTO[entry.event],
        input=[message_to_proto(item) for item in entry.input],
        scope=scope_to_proto(entry.scope),
        categories=entry.categories,
        actor_id=entry.actor_id or "",
        role=role_to_proto(entry.role),
        is_deleted=entry.is_deleted,
        created_at=timestamp_to_proto(entry.created_at),
        updated_at=timestamp_to_proto(entry.updated_at),
    )
    if entry.metadata is not None:
        message.metadata.CopyFrom(struct_to_proto(entry.metadata))
    return message


def history_from_proto(message: common_pb2.HistoryEntry) -> domain.HistoryEntry:
    return domain.HistoryEntry(
        id=message.id,
        memory_id=message.memory_id,
        old_memory=message.old_memory or None,
        new_memory=message.new_memory or None,
        event=PROTO_TO_EVENT.get(message.event, domain.MemoryEvent.NONE),
        input=[message_from_proto(item) for item in message.input],
        scope=scope_from_proto(message.scope),
        categories=list(message.categories),
        metadata=struct_from_proto(message.metadata, present=message.HasField("metadata")),
        actor_id=message.actor_id or None,
        role=role_from_proto(message.role),
        is_deleted=message.is_deleted,
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
        updated_at=timestamp_from_proto(message.updated_at, present=message.HasField("updated_at")),
    )


def entity_to_proto(entity: domain.Entity) -> common_pb2.Entity:
    message = common_pb2.Entity(
        id=entity.id,
        type=ENTITY_TYPE_TO_PROTO[entity.type],
        name=entity.name,
        memory_count=entity.memory_count,
        created_at=timestamp_to_proto(entity.created_at),
        updated_at=timestamp_to_proto(entity.updated_at),
    )
    if entity.metadata is not None:
        message.metadata.CopyFrom(struct_to_proto(entity.metadata))
    return message


def entity_from_proto(message: common_pb2.Entity) -> domain.Entity:
    return domain.Entity(
        id=message.id,
        type=PROTO_TO_ENTITY_TYPE.get(message.type, domain.EntityType.USER),
        name=message.name,
        memory_count=message.memory_count,
        metadata=struct_from_proto(message.metadata, present=message.HasField("metadata")),
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
        updated_at=timestamp_from_proto(message.updated_at) or datetime.now(UTC),
    )


def event_to_proto(event: domain.Event) -> common_pb2.Event:
    return common_pb2.Event(
        id=event.id,
        event_type=event.event_type,
        status=STATUS_TO_PROTO[event.status],
        results=[change_to_proto(change) for change in event.results],
        error=event.error or "",
        created_at=timestamp_to_proto(event.created_at),
        started_at=timestamp_to_proto(event.started_at),
        completed_at=timestamp_to_proto(event.completed_at),
        latency_ms=event.latency_ms or 0.0,
    )


def event_from_proto(message: common_pb2.Event) -> domain.Event:
    return domain.Event(
        id=message.id,
        event_type=message.event_type,
        status=PROTO_TO_STATUS.get(message.status, domain.EventStatus.PENDING),
        results=[change_from_proto(change) for change in message.results],
        error=message.error or None,
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
        started_at=timestamp_from_proto(message.started_at, present=message.HasField("started_at")),
        completed_at=timestamp_from_proto(message.completed_at, present=message.HasField("completed_at")),
        latency_ms=message.latency_ms or None,
    )


def categories_to_proto(categories: dict[str, str]) -> common_pb2.CategoryList:
    return common_pb2.CategoryList(
        categories=[common_pb2.Category(name=name, description=text) for name, text in categories.items()]
    )


def categories_from_proto(message: common_pb2.CategoryList, *, present: bool = True) -> dict[str, str] | None:
    if not present:
        return None
    return {category.name: category.description for category in message.categories}


def project_to_proto(project: domain.Project) -> common_pb2.Project:
    message = common_pb2.Project(
        org_id=project.tenant.org_id,
        project_id=project.tenant.project_id,
        name=project.name,
        description=project.description,
        custom_instructions=project.custom_instructions,
        settings=struct_to_proto(project.settings),
        created_at=timestamp_to_proto(project.created_at),
        updated_at=timestamp_to_proto(project.updated_at),
    )
    if project.custom_categories is not None:
        message.custom_categories.CopyFrom(categories_to_proto(project.custom_categories))
    return message


def project_from_proto(message: common_pb2.Project) -> domain.Project:
    return domain.Project(
        tenant=domain.Tenant(org_id=message.org_id, project_id=message.project_id),
        name=message.name,
        description=message.description,
        custom_instructions=message.custom_instructions,
        custom_categories=categories_from_proto(
            message.custom_categories, present=message.HasField("custom_categories")
        ),
        settings=struct_from_proto(message.settings) or {},
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
        updated_at=timestamp_from_proto(message.updated_at, present=message.HasField("updated_at")),
    )


def vector_sync_to_proto(sync: domain.VectorSync) -> metadata_pb2.VectorSync:
    return metadata_pb2.VectorSync(
        tenant=tenant_to_proto(sync.tenant), memory_id=sync.memory_id, version=timestamp_to_proto(sync.version)
    )


def vector_sync_from_proto(message: metadata_pb2.VectorSync, index: int) -> domain.VectorSync:
    if not message.memory_id:
        raise InvalidArgument(f"syncs[{index}].memory_id: must not be empty", field=f"syncs[{index}].memory_id")
    if not message.HasField("version"):
        raise InvalidArgument(f"syncs[{index}].version: is required", field=f"syncs[{index}].version")
    field = f"syncs[{index}].version"
    version = timestamp_from_proto(message.version, field=field)
    if version is None:  # set, but to the epoch itself: no memory has that version
        raise InvalidArgument(f"{field}: must be after 1970-01-01T00:00:00Z", field=field)
    return domain.VectorSync(tenant_from_proto(message.tenant), message.memory_id, version)


# --- members ------------------------------------------------------------------------------------

MEMBER_ROLE_TO_PROTO = {role: getattr(common_pb2, f"MEMBER_ROLE_{role.name}") for role in domain.MemberRole}
PROTO_TO_MEMBER_ROLE = {value: role for role, value in MEMBER_ROLE_TO_PROTO.items()}


def member_role_from_proto(value: int, field: str = "role", *, required: bool = True) -> domain.MemberRole | None:
    """The role of a request; unspecified is None, or InvalidArgument naming `field` when required."""
    role = PROTO_TO_MEMBER_ROLE.get(value)
    if role is None and (required or value != common_pb2.MEMBER_ROLE_UNSPECIFIED):
        raise InvalidArgument(f"{field}: must be READER or OWNER", field=field)
    return role


def member_to_proto(member: domain.ProjectMember) -> common_pb2.ProjectMember:
    return common_pb2.ProjectMember(
        email=member.email,
        role=MEMBER_ROLE_TO_PROTO[member.role],
        created_at=timestamp_to_proto(member.created_at),
        updated_at=timestamp_to_proto(member.updated_at),
    )


def member_from_proto(message: common_pb2.ProjectMember) -> domain.ProjectMember:
    return domain.ProjectMember(
        email=message.email,
        role=PROTO_TO_MEMBER_ROLE[message.role],
        created_at=message.created_at.ToDatetime(tzinfo=UTC),
        updated_at=message.updated_at.ToDatetime(tzinfo=UTC),
    )


# --- webhooks -----------------------------------------------------------------------------------

WEBHOOK_EVENT_TO_PROTO = {
    event: getattr(common_pb2, f"WEBHOOK_EVENT_TYPE_{event.name}") for event in domain.WebhookEventType
}
PROTO_TO_WEBHOOK_EVENT = {value: event for event, value in WEBHOOK_EVENT_TO_PROTO.items()}
DELIVERY_STATUS_TO_PROTO = {
    status: getattr(common_pb2, f"WEBHOOK_DELIVERY_STATUS_{status.name}") for status in domain.DeliveryStatus
}
PROTO_TO_DELIVERY_STATUS = {value: status for status, value in DELIVERY_STATUS_TO_PROTO.items()}


def webhook_events_from_proto(values: Any, field: str = "event_types") -> list[domain.WebhookEventType]:
    events = []
    for value in values:
        event = PROTO_TO_WEBHOOK_EVENT.get(value)
        if event is None:
            raise InvalidArgument(
                f"{field}: must be among {', '.join(domain.WebhookEventType)}, got enum value {value}", field=field
            )
        events.append(event)
    return events


def webhook_to_proto(webhook: domain.Webhook) -> common_pb2.Webhook:
    return common_pb2.Webhook(
        webhook_id=webhook.id,
        project_id=webhook.project_id,
        name=webhook.name,
        url=webhook.url,
        event_types=[WEBHOOK_EVENT_TO_PROTO[event] for event in webhook.event_types],
        owner=webhook.owner or "",
        is_active=webhook.is_active,
        created_at=timestamp_to_proto(webhook.created_at),
        updated_at=timestamp_to_proto(webhook.updated_at),
        secret=webhook.secret or "",
    )


def webhook_from_proto(message: common_pb2.Webhook) -> domain.Webhook:
    return domain.Webhook(
        id=message.webhook_id,
        project_id=message.project_id,
        name=message.name,
        url=message.url,
        event_types=[PROTO_TO_WEBHOOK_EVENT[value] for value in message.event_types],
        owner=message.owner or None,
        is_active=message.is_active,
        created_at=message.created_at.ToDatetime(tzinfo=UTC),
        updated_at=message.updated_at.ToDatetime(tzinfo=UTC),
        secret=message.secret or None,
    )


def delivery_attempt_to_proto(attempt: domain.DeliveryAttempt) -> common_pb2.WebhookDeliveryAttempt:
    return common_pb2.WebhookDeliveryAttempt(
        attempt=attempt.attempt,
        at=timestamp_to_proto(attempt.at),
        status_code=attempt.status_code or 0,
        error=attempt.error or "",
        latency_ms=attempt.latency_ms,
    )


def delivery_attempt_from_proto(message: common_pb2.WebhookDeliveryAttempt, field: str) -> domain.DeliveryAttempt:
    if message.attempt < 1:
        raise InvalidArgument(f"{field}.attempt: must be 1 or more", field=f"{field}.attempt")
    at = timestamp_from_proto(message.at, present=message.HasField("at"), field=f"{field}.at")
    if at is None:
        raise InvalidArgument(f"{field}.at: is required", field=f"{field}.at")
    return domain.DeliveryAttempt(
        attempt=message.attempt,
        at=at,
        status_code=message.status_code or None,
        error=message.error or None,
        latency_ms=message.latency_ms,
    )


def delivery_to_proto(delivery: domain.WebhookDelivery) -> common_pb2.WebhookDelivery:
    return common_pb2.WebhookDelivery(
        delivery_id=delivery.id,
        webhook_id=delivery.webhook_id,
        event_type=WEBHOOK_EVENT_TO_PROTO[delivery.event_type],
        memory_id=delivery.memory_id,
        status=DELIVERY_STATUS_TO_PROTO[delivery.status],
        attempts=[delivery_attempt_to_proto(attempt) for attempt in delivery.attempts],
        created_at=timestamp_to_proto(delivery.created_at),
        next_attempt_at=timestamp_to_proto(delivery.next_attempt_at),
    )


def delivery_from_proto(message: common_pb2.WebhookDelivery) -> domain.WebhookDelivery:
    return domain.WebhookDelivery(
        id=message.delivery_id,
        webhook_id=message.webhook_id,
        event_type=PROTO_TO_WEBHOOK_EVENT[message.event_type],
        memory_id=message.memory_id,
        status=PROTO_TO_DELIVERY_STATUS[message.status],
        attempts=[delivery_attempt_from_proto(item, "attempts") for item in message.attempts],
        created_at=message.created_at.ToDatetime(tzinfo=UTC),
        next_attempt_at=timestamp_from_proto(message.next_attempt_at, present=message.HasField("next_attempt_at")),
    )


def due_delivery_to_proto(due: domain.DueDelivery) -> metadata_pb2.DueWebhookDelivery:
    return metadata_pb2.DueWebhookDelivery(
        delivery_id=due.id,
        tenant=tenant_to_proto(due.tenant),
        webhook_id=due.webhook_id,
        url=due.url,
        secret=due.secret,
        body=due.body,
        attempts_made=due.attempts_made,
    )


def due_delivery_from_proto(message: metadata_pb2.DueWebhookDelivery) -> domain.DueDelivery:
    return domain.DueDelivery(
        id=message.delivery_id,
        tenant=tenant_from_proto(message.tenant),
        webhook_id=message.webhook_id,
        url=message.url,
        secret=message.secret,
        body=message.body,
        attempts_made=message.attempts_made,
    )


def attempt_record_to_proto(item: domain.AttemptRecord) -> metadata_pb2.WebhookAttemptRecord:
    return metadata_pb2.WebhookAttemptRecord(
        delivery_id=item.delivery_id,
        attempt=delivery_attempt_to_proto(item.attempt),
        status=DELIVERY_STATUS_TO_PROTO[item.status],
        next_attempt_at=timestamp_to_proto(item.next_attempt_at),
    )


def attempt_record_from_proto(message: metadata_pb2.WebhookAttemptRecord, index: int) -> domain.AttemptRecord:
    field = f"records[{index}]"
    if not message.delivery_id:
        raise InvalidArgument(f"{field}.delivery_id: must not be empty", field=f"{field}.delivery_id")
    status = PROTO_TO_DELIVERY_STATUS.get(message.status)
    if status is None:
        raise InvalidArgument(f"{field}.status: must be PENDING, SUCCEEDED or FAILED", field=f"{field}.status")
    next_at = timestamp_from_proto(
        message.next_attempt_at, present=message.HasField("next_attempt_at"), field=f"{field}.next_attempt_at"
    )
    if status is domain.DeliveryStatus.PENDING and next_at is None:
        raise InvalidArgument(f"{field}.next_attempt_at: is required for PENDING", field=f"{field}.next_attempt_at")
    return domain.AttemptRecord(
        delivery_id=message.delivery_id,
        attempt=delivery_attempt_from_proto(message.attempt, f"{field}.attempt"),
        status=status,
        next_attempt_at=next_at,
    )


# --- the job queue and exports ----------------------------------------------------------------------

JOB_OUTCOME_TO_PROTO = {
    outcome: metadata_pb2.JobOutcome.Value(f"JOB_OUTCOME_{outcome.value}") for outcome in domain.JobOutcome
}
PROTO_TO_JOB_OUTCOME = {value: outcome for outcome, value in JOB_OUTCOME_TO_PROTO.items()}


def job_outcome_from_proto(value: int) -> domain.JobOutcome:
    outcome = PROTO_TO_JOB_OUTCOME.get(value)
    if outcome is None:
        raise InvalidArgument("outcome: must be SUCCEEDED, RETRY or FAILED", field="outcome")
    return outcome


def job_to_proto(job: domain.Job) -> metadata_pb2.Job:
    return metadata_pb2.Job(
        id=job.id,
        tenant=tenant_to_proto(job.tenant),
        kind=job.kind,
        payload=job.payload,
        attempts=job.attempts,
        claim_token=job.claim_token,
        created_at=timestamp_to_proto(job.created_at),
    )


def job_from_proto(message: metadata_pb2.Job) -> domain.Job:
    return domain.Job(
        id=message.id,
        tenant=tenant_from_proto(message.tenant),
        kind=message.kind,
        payload=message.payload,
        attempts=message.attempts,
        claim_token=message.claim_token,
        created_at=timestamp_from_proto(message.created_at) or datetime.now(UTC),
    )
