"""get_all deep pages: the listing order (created_at, id) in the indexes, and a covering index to page ids from.

Listing is `ORDER BY created_at DESC, id DESC` over unexpired memories. Before this the tenant indexes ended at
created_at, so SQLite sorted every tie group on id in a temporary B-tree and, to skip OFFSET rows, read each
skipped row from the table for its expiration_date: page 1,000 of 100 at 100k memories walked 99,900 table rows
(~150 ms for the query alone). Now:
- ix_memories_tenant_listing (org_id, project_id, created_at, id, expiration_date) replaces
  ix_memories_tenant_created: the page's ids come from this index alone, in order (SEARCH ... USING COVERING
  INDEX, no temporary B-tree); the store then reads just those rows by primary key (a deferred join).
- the scope indexes (user/agent/app/run) end in (created_at, id) too. Without that, SQLite (no statistics)
  preferred scanning the new ordered index for `user_id = ?` over the user index, which needs a sort:
  one user's page went from ~0 to ~50 ms at 100k memories. With both ordered, the more selective one wins.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCOPES = ("user", "agent", "app", "run")


def upgrade() -> None:
    op.create_index(
        "ix_memories_tenant_listing", "memories", ["org_id", "project_id", "created_at", "id", "expiration_date"]
    )
    op.drop_index("ix_memories_tenant_created", table_name="memories")
    for scope in SCOPES:
        op.drop_index(f"ix_memories_tenant_{scope}", table_name="memories")
        op.create_index(
            f"ix_memories_tenant_{scope}", "memories", ["org_id", "project_id", f"{scope}_id", "created_at", "id"]
        )


def downgrade() -> None:
    for scope in SCOPES:
        op.drop_index(f"ix_memories_tenant_{scope}", table_name="memories")
        op.create_index(
            f"ix_memories_tenant_{scope}", "memories", ["org_id", "project_id", f"{scope}_id", "created_at"]
        )
    op.create_index("ix_memories_tenant_created", "memories", ["org_id", "project_id", "created_at"])
    op.drop_index("ix_memories_tenant_listing", table_name="memories")
