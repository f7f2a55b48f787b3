"""Project settings (name, description, custom instructions and categories, other settings) and feedback.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
NAME = sa.String(length=255)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("name", NAME, nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch.add_column(sa.Column("custom_instructions", sa.Text(), nullable=True))
        batch.add_column(sa.Column("custom_categories", _json(), nullable=True))
        batch.add_column(sa.Column("settings", _json(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "feedback",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("memory_id", ID, nullable=False),
        sa.Column("feedback", sa.String(length=16), nullable=True),
        sa.Column("feedback_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_tenant_memory", "feedback", ["org_id", "project_id", "memory_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_tenant_memory", table_name="feedback")
    op.drop_table("feedback")
    with op.batch_alter_table("projects") as batch:
        for column in ("updated_at", "settings", "custom_categories", "custom_instructions", "description", "name"):
            batch.drop_column(column)
