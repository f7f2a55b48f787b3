"""The durable job queue of asynchronous adds, and stored export specifications.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
NAME = sa.String(length=255)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", ID, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_status_due", "jobs", ["status", "due_at"])
    op.create_table(
        "memory_exports",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("schema_text", sa.Text(), nullable=False),
        sa.Column("filter_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_memory_exports"),
    )
    op.create_index("ix_memory_exports_tenant", "memory_exports", ["org_id", "project_id"])


def downgrade() -> None:
    op.drop_index("ix_memory_exports_tenant", table_name="memory_exports")
    op.drop_table("memory_exports")
    op.drop_index("ix_jobs_status_due", table_name="jobs")
    op.drop_table("jobs")
