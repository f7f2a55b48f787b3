"""SQLAlchemy 2 declarative models of the metadata database. Schema changes go through migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (containment, indexes), JSON (text) elsewhere. SQL NULL for None.
JsonValue = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

ID_LENGTH = 64
NAME_LENGTH = 255
EMAIL_LENGTH = 254
ROLE_LENGTH = 16
EVENT_TYPE_LENGTH = 64


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend keeps.

    SQLite stores naive text, so values are converted to UTC and stripped of their zone before they are
    bound; PostgreSQL keeps timestamptz.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Schema objects only migrations know: the full-text index of memory texts (migration 0005: an FTS5 table with
# its shadow tables and key table on SQLite; migration 0014: on PostgreSQL a generated tsvector column and its
# index). Schema comparison skips them.
MIGRATION_ONLY_PREFIXES = ("memory_fts", "text_tsv", "ix_memories_text_tsv")


def include_in_schema_comparison(_object: Any, name: str | None, _type: str, _reflected: bool, _other: Any) -> bool:
    return not (name or "").startswith(MIGRATION_ONLY_PREFIXES)


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _id() -> Mapped[str]:
    return mapped_column(sa.String(ID_LENGTH), primary_key=True)


def _tenant_column() -> Mapped[str]:
    return mapped_column(sa.String(NAME_LENGTH), nullable=False)


def _scope_column() -> Mapped[str | None]:
    return mapped_column(sa.String(NAME_LENGTH), nullable=True)


class MemoryRow(Base):
    __tablename__ = "memories"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    user_id: Mapped[str | None] = _scope_column()
    agent_id: Mapped[str | None] = _scope_column()
    app_id: Mapped[str | None] = _scope_column()
    run_id: Mapped[str | None] = _scope_column()
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    hash: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JsonValue, nullable=True)
    categories: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    immutable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    expiration_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH), nullable=True)
    role: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Provenance: ids of the source messages (a JSON list); NULL for memories stored before migration 0007.
    source_message_ids: Mapped[list[str] | None] = mapped_column(JsonValue, nullable=True)

    __table_args__ = (
        # The listing order (created_at, id) ends every tenant index; get_all pages ids from the covering
        # listing index, then reads those rows by primary key (migration 0011).
        sa.Index("ix_memories_tenant_listing", "org_id", "project_id", "created_at", "id", "expiration_date"),
        sa.Index("ix_memories_tenant_user", "org_id", "project_id", "user_id", "created_at", "id"),
        sa.Index("ix_memories_tenant_agent", "org_id", "project_id", "agent_id", "created_at", "id"),
        sa.Index("ix_memories_tenant_app", "org_id", "project_id", "app_id", "created_at", "id"),
        sa.Index("ix_memories_tenant_run", "org_id", "project_id", "run_id", "created_at", "id"),
        sa.Index("ix_memories_tenant_hash", "org_id", "project_id", "hash"),
        # Lets get_all count unexpired memories from the index alone (migration 0008).
        sa.Index("ix_memories_tenant_expiration", "org_id", "project_id", "expiration_date"),
    )


class HistoryRow(Base):
    __tablename__ = "history"

    # Insertion order, the tiebreak of "oldest first".
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False, unique=True)
    memory_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    old_memory: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    new_memory: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    event: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    input: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, nullable=False)
    user_id: Mapped[str | None] = _scope_column()
    agent_id: Mapped[str | None] = _scope_column()
    app_id: Mapped[str | None] = _scope_column()
    run_id: Mapped[str | None] = _scope_column()
    categories: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JsonValue, nullable=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH), nullable=True)
    role: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    is_deleted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (sa.Index("ix_history_tenant_memory", "org_id", "project_id", "memory_id", "created_at"),)


class EntityRow(Base):
    __tablename__ = "entities"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), nullable=False)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JsonValue, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("org_id", "project_id", "type", "name", name="uq_entities_tenant_type_name"),
        sa.Index("ix_entities_tenant_created", "org_id", "project_id", "created_at"),
    )


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ProjectRow(Base):
    __tablename__ = "projects"

    org_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), sa.ForeignKey("organisations.id"), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH), nullable=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    custom_instructions: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # {name: description}; NULL means the Mem0 default categories.
    custom_categories: Mapped[dict[str, str] | None] = mapped_column(JsonValue, nullable=True)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JsonValue, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class FeedbackRow(Base):
    """Feedback on memories: stored for the operator (export, analysis); no retrieval path reads it."""

    __tablename__ = "feedback"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    memory_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    feedback: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    feedback_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (sa.Index("ix_feedback_tenant_memory", "org_id", "project_id", "memory_id"),)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    key_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The key's own role (READER or OWNER), used when it has no member.
    role: Mapped[str] = mapped_column(sa.String(ROLE_LENGTH), nullable=False, server_default="OWNER")
    # The member the key was created for; the member's current role then applies.
    member_email: Mapped[str | None] = mapped_column(sa.String(EMAIL_LENGTH), nullable=True)

    __table_args__ = (
        sa.Index("ix_api_keys_key_sha256", "key_sha256", unique=True),
        sa.ForeignKeyConstraint(
            ["org_id", "project_id"], ["projects.org_id", "projects.project_id"], name="fk_api_keys_projects"
        ),
    )


class ProjectMemberRow(Base):
    """A person with a role in a project (Mem0 project members)."""

    __tablename__ = "project_members"

    org_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(EMAIL_LENGTH), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(ROLE_LENGTH), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["org_id", "project_id"], ["projects.org_id", "projects.project_id"], name="fk_project_members_projects"
        ),
    )


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    event_type: Mapped[str] = mapped_column(sa.String(EVENT_TYPE_LENGTH), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, nullable=False)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(sa.Float, nullable=True)

    __table_args__ = (
        sa.Index("ix_events_tenant_status_created", "org_id", "project_id", "status", "created_at"),
        # Retention (retention.py): finished events by age, across tenants.
        sa.Index("ix_events_status_created", "status", "created_at"),
    )


class VectorOutboxRow(Base):
    """The vector-sync outbox: written in the same transaction as every memory change, removed once the gateway
    has brought the vector store in line. What remains after a crash is what the reconciler redoes."""

    __tablename__ = "vector_outbox"

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    memory_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    # The memory's updated_at when the change was written; acknowledgements remove this version and older.
    version: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_vector_outbox_memory", "org_id", "project_id", "memory_id"),
        sa.Index("ix_vector_outbox_created", "created_at"),
    )


class IdempotencyKeyRow(Base):
    """A client's idempotency key: claimed while its request runs, then holding the result to replay."""

    __tablename__ = "idempotency_keys"

    org_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # This use of the key (see BeginIdempotentRequestResponse.claim_id).
    claim_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    # True once the request succeeded and `result` holds what to replay.
    completed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    result: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # When the claim was taken or renewed; a running claim older than its lease is abandoned.
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # created_at + the request's retention: forgotten after that, and deleted by the retention pass. NULL for keys
    # written before migration 0013 (their retention was not kept: deleted after the longest one, a year).
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (sa.Index("ix_idempotency_keys_expires", "expires_at"),)


class WebhookRow(Base):
    """A project's webhook: where memory events are POSTed, signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), nullable=False)
    url: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # Event type names (memory_add, ...).
    event_types: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    owner: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH), nullable=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    # The HMAC signing key. Kept in the clear: signing needs it (unlike API keys, which are only compared).
    secret: Mapped[str] = mapped_column(sa.String(NAME_LENGTH), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (sa.Index("ix_webhooks_org_id_project_id", "org_id", "project_id"),)


class WebhookDeliveryRow(Base):
    """One event for one webhook: written in the same transaction as the memory change, then POSTed (and
    retried) by the gateway's dispatcher; kept afterwards as the delivery log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    webhook_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(EVENT_TYPE_LENGTH), nullable=False)
    memory_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    # The exact JSON body POSTed on every attempt (the signature covers it).
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # One object per attempt: attempt, at, status_code, error, latency_ms.
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # When a dispatcher may (next) take it; pushed forward by a lease while one is POSTing. NULL when done.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
        sa.Index("ix_webhook_deliveries_status_created", "status", "created_at"),
    )


class JobRow(Base):
    """The durable job queue (asynchronous adds): PENDING → RUNNING (claimed, with a lease) → DONE/FAILED.

    A RUNNING job whose lease has expired (its worker died) is due again; `claim_token` names the current claim
    so a worker that lost its lease cannot finish the job."""

    __tablename__ = "jobs"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    kind: Mapped[str] = mapped_column(sa.String(EVENT_TYPE_LENGTH), nullable=False)
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # When a PENDING job may be claimed (later than created_at after a failed attempt: the backoff).
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH), nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_jobs_status_due", "status", "due_at"),
        sa.Index("ix_jobs_status_updated", "status", "updated_at"),
    )


class MemoryExportRow(Base):
    """An export's specification; its memories are read (with the filter) when the export is fetched."""

    __tablename__ = "memory_exports"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _tenant_column()
    project_id: Mapped[str] = _tenant_column()
    schema_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The filter as google.protobuf JSON of memgrid.common.v1.Filter; empty for all memories.
    filter_json: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (sa.Index("ix_memory_exports_tenant", "org_id", "project_id"),)
