"""Provenance: the ids of the source messages of every memory (a JSON list; NULL for older memories).

A plain ADD COLUMN (no batch rebuild of `memories`), so the full-text triggers of 0005 stay in place.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.add_column("memories", sa.Column("source_message_ids", _json(), nullable=True))


def downgrade() -> None:
    # In place as well (SQLite 3.35+ has DROP COLUMN): no rebuild that would drop the triggers of 0005.
    op.drop_column("memories", "source_message_ids")
