"""Index (org_id, project_id, expiration_date) on memories: get_all's count becomes a covering-index scan.

Listing hides expired memories (`expiration_date IS NULL OR expiration_date >= today`). Without this index the
count of a whole project read every table row for its expiration_date (100k memories on SQLite: ~600 ms, the
bulk of get_all page 1); with it SQLite counts from the index alone (~6-25 ms, same machine and load).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_memories_tenant_expiration", "memories", ["org_id", "project_id", "expiration_date"])


def downgrade() -> None:
    op.drop_index("ix_memories_tenant_expiration", table_name="memories")
