"""The vector-sync outbox (crash consistency between SQL and Milvus) and idempotency keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
NAME = sa.String(length=255)


def upgrade() -> None:
    op.create_table(
        "vector_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("memory_id", ID, nullable=False),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_vector_outbox"),
    )
    op.create_index("ix_vector_outbox_memory", "vector_outbox", ["org_id", "project_id", "memory_id"])
    op.create_index("ix_vector_outbox_created", "vector_outbox", ["created_at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("key", NAME, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "project_id", "key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_vector_outbox_created", table_name="vector_outbox")
    op.drop_index("ix_vector_outbox_memory", table_name="vector_outbox")
    op.drop_table("vector_outbox")
