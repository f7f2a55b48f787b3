"""Retention of the operation logs: indexes to find finished events, jobs and webhook deliveries by age.

The retention pass (services/metadata/retention.py) deletes, across tenants, finished rows older than the
retention, a batch at a time; each batch finds its rows through one of these indexes instead of scanning the
table (the existing indexes start with the tenant, or order by another time).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_events_status_created", "events", ["status", "created_at"]),
    ("ix_jobs_status_updated", "jobs", ["status", "updated_at"]),
    ("ix_webhook_deliveries_status_created", "webhook_deliveries", ["status", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
