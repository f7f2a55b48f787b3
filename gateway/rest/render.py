"""Domain objects → the JSON shapes the Mem0 SDKs expect (snake_case, ISO-8601 times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.commands import EntitySummary, ProjectStats
from libs import domain


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def memory_json(memory: domain.Memory, score: float | None = None, fields: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": memory.id,
        "memory": memory.memory,
        "user_id": memory.scope.user_id,
        "agent_id": memory.scope.agent_id,
        "app_id": memory.scope.app_id,
        "run_id": memory.scope.run_id,
        "hash": memory.hash,
        "metadata": memory.metadata,
        "categories": memory.categories,
        "immutable": memory.immutable,
        "expiration_date": memory.expiration_date.isoformat() if memory.expiration_date else None,
        "created_at": _iso(memory.created_at),
        "updated_at": _iso(memory.updated_at),
    }
    if memory.actor_id:
        data["actor_id"] = memory.actor_id
    if memory.role:
        data["role"] = memory.role.value
    data["source_message_ids"] = memory.source_message_ids
    if score is not None:
        data["score"] = round(score, 6)
    if fields:
        keep = {"id", *fields}
        data = {key: value for key, value in data.items() if key in keep}
    return data


def change_json(change: domain.MemoryChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": change.id,
        "memory": change.memory,
        "event": change.event.value,
        "data": {"memory": change.memory},
    }
    if change.previous_memory is not None:
        data["previous_memory"] = change.previous_memory
    if change.actor_id:
        data["actor_id"] = change.actor_id
    if change.role:
        data["role"] = change.role.value
    return data


def history_json(entry: domain.HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "memory_id": entry.memory_id,
        "input": [{"role": m.role.value, "content": m.content} for m in entry.input],
        # Provenance of the change: the ids of its input messages (Mem0's `input` items keep their shape).
        "source_message_ids": [m.id for m in entry.input if m.id],
        "old_memory": entry.old_memory,
        "new_memory": entry.new_memory,
        "event": entry.event.value,
        "user_id": entry.scope.user_id,
        "agent_id": entry.scope.agent_id,
        "app_id": entry.scope.app_id,
        "run_id": entry.scope.run_id,
        "categories": entry.categories,
        "metadata": entry.metadata,
        "actor_id": entry.actor_id,
        "role": entry.role.value if entry.role else None,
        "is_deleted": entry.is_deleted,
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
    }


def entity_json(entity: domain.Entity, owner: str) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "type": entity.type.value,
        "total_memories": entity.memory_count,
        "owner": owner,
        "organization": owner,
        "metadata": entity.metadata,
        "created_at": _iso(entity.created_at),
        "updated_at": _iso(entity.updated_at),
    }


def event_json(event: domain.Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "event_type": event.event_type,
        "status": event.status.value,
        "payload": None,
        "metadata": None,
        "results": [change_json(change) for change in event.results],
        "error": event.error,
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.completed_at or event.started_at or event.created_at),
        "started_at": _iso(event.started_at),
        "completed_at": _iso(event.completed_at),
        "latency": event.latency_ms,
    }


def project_json(project: domain.Project, fields: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": project.tenant.project_id,
        "project_id": project.tenant.project_id,
        "org_id": project.tenant.org_id,
        "name": project.name,
        "description": project.description,
        "custom_instructions": project.custom_instructions or None,
        "custom_categories": [{name: text} for name, text in (project.custom_categories or {}).items()],
        **project.settings,
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
    }
    if fields:
        data = {key: data.get(key) for key in fields}
    return data


def member_json(member: domain.ProjectMember) -> dict[str, Any]:
    """A project member as Mem0 lists it (`username` is the e-mail, memgrid has no separate user names)."""
    return {
        "email": member.email,
        "username": member.email,
        "role": str(member.role),
        "created_at": member.created_at.isoformat(),
        "updated_at": member.updated_at.isoformat(),
    }


def webhook_json(webhook: domain.Webhook) -> dict[str, Any]:
    """A webhook as Mem0 returns it; `secret` only in the answer to create."""
    data: dict[str, Any] = {
        "webhook_id": webhook.id,
        "name": webhook.name,
        "url": webhook.url,
        "event_types": [str(event) for event in webhook.event_types],
        "owner": webhook.owner,
        "is_active": webhook.is_active,
        "project": webhook.project_id,
        "created_at": webhook.created_at.isoformat(),
        "updated_at": webhook.updated_at.isoformat(),
    }
    if webhook.secret:
        data["secret"] = webhook.secret
    return data


def delivery_json(delivery: domain.WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_type": str(delivery.event_type),
        "memory_id": delivery.memory_id,
        "status": str(delivery.status),
        "attempts": [
            {
                "attempt": attempt.attempt,
                "at": attempt.at.isoformat(),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "latency_ms": attempt.latency_ms,
            }
            for attempt in delivery.attempts
        ],
        "created_at": delivery.created_at.isoformat(),
        "next_attempt_at": _iso(delivery.next_attempt_at),
    }


def export_json(
    export_id: str | None, created_at: datetime | None, memories: list[domain.Memory], fields: list[str] | None
) -> dict[str, Any]:
    return {
        "id": export_id,
        "status": "SUCCEEDED",
        "created_at": _iso(created_at),
        "count": len(memories),
        "memories": [memory_json(memory, fields=fields) for memory in memories],
    }


def entity_summary_json(summary: EntitySummary) -> dict[str, Any]:
    return {
        "entity_type": summary.kind.value,
        "entity_id": summary.name,
        "memory_count": summary.memory_count,
        "recent_memories": [memory_json(memory) for memory in summary.recent],
    }


def stats_json(stats: ProjectStats) -> dict[str, Any]:
    return {
        "total_memories": stats.total_memories,
        "total_entities": sum(stats.entities.values()),
        **{f"total_{kind.value}s": count for kind, count in stats.entities.items()},
        "events": {
            "total": sum(stats.events_by_status.values()),
            "by_status": {status.value: count for status, count in stats.events_by_status.items()},
        },
    }
