"""Idempotency keys keep when they expire, so the retention pass can delete them.

A key is forgotten after the retention its request gave (24 h by default), but the row stayed, with the result it
replays (the memories it wrote). `expires_at` is created_at + that retention; keys written before this migration
keep NULL and are deleted after the longest retention (a year). Indexed for the retention pass.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_idempotency_keys_expires", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires", table_name="idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("expires_at")
