"""Initial schema: memories, history, entities, organisations, projects, api_keys, events.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Written for SQLite and PostgreSQL alike: portable column types only (JSON becomes JSONB on PostgreSQL),
no raw SQL. It does not import the models, so later model changes cannot alter what it creates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(length=64)
NAME = sa.String(length=255)
SHORT = sa.String(length=16)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _tenant() -> list[sa.Column]:
    return [sa.Column("org_id", NAME, nullable=False), sa.Column("project_id", NAME, nullable=False)]


def _scope() -> list[sa.Column]:
    return [sa.Column(name, NAME, nullable=True) for name in ("user_id", "agent_id", "app_id", "run_id")]


def upgrade() -> None:
    op.create_table(
        "memories",
        sa.Column("id", ID, nullable=False),
        *_tenant(),
        *_scope(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("categories", _json(), nullable=False),
        sa.Column("immutable", sa.Boolean(), nullable=False),
        sa.Column("expiration_date", sa.Date(), nullable=True),
        sa.Column("actor_id", NAME, nullable=True),
        sa.Column("role", SHORT, nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_memories"),
    )
    op.create_index("ix_memories_tenant_created", "memories", ["org_id", "project_id", "created_at"])
    for scope in ("user", "agent", "app", "run"):
        op.create_index(
            f"ix_memories_tenant_{scope}", "memories", ["org_id", "project_id", f"{scope}_id", "created_at"]
        )
    op.create_index("ix_memories_tenant_hash", "memories", ["org_id", "project_id", "hash"])

    op.create_table(
        "history",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("memory_id", ID, nullable=False),
        *_tenant(),
        sa.Column("old_memory", sa.Text(), nullable=True),
        sa.Column("new_memory", sa.Text(), nullable=True),
        sa.Column("event", SHORT, nullable=False),
        sa.Column("input", _json(), nullable=False),
        *_scope(),
        sa.Column("categories", _json(), nullable=False),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("actor_id", NAME, nullable=True),
        sa.Column("role", SHORT, nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_history"),
        sa.UniqueConstraint("id", name="uq_history_id"),
    )
    op.create_index("ix_history_tenant_memory", "history", ["org_id", "project_id", "memory_id", "created_at"])

    op.create_table(
        "entities",
        sa.Column("id", ID, nullable=False),
        *_tenant(),
        sa.Column("type", SHORT, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("metadata", _json(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
        sa.UniqueConstraint("org_id", "project_id", "type", "name", name="uq_entities_tenant_type_name"),
    )
    op.create_index("ix_entities_tenant_created", "entities", ["org_id", "project_id", "created_at"])

    op.create_table(
        "organisations",
        sa.Column("id", NAME, nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )
    op.create_table(
        "projects",
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name="fk_projects_org_id_organisations"),
        sa.PrimaryKeyConstraint("org_id", "project_id", name="pk_projects"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", ID, nullable=False),
        *_tenant(),
        sa.Column("name", NAME, nullable=False),
        sa.Column("prefix", SHORT, nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("revoked_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "project_id"], ["projects.org_id", "projects.project_id"], name="fk_api_keys_projects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_key_sha256", "api_keys", ["key_sha256"], unique=True)

    op.create_table(
        "events",
        sa.Column("id", ID, nullable=False),
        *_tenant(),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("status", SHORT, nullable=False),
        sa.Column("results", _json(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("started_at", _time(), nullable=True),
        sa.Column("completed_at", _time(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_tenant_status_created", "events", ["org_id", "project_id", "status", "created_at"])


def downgrade() -> None:
    for table in ("events", "api_keys", "projects", "organisations", "entities", "history", "memories"):
        op.drop_table(table)
