"""Project members with roles (READER, OWNER), and a role and optional member on every API key.

Existing keys become OWNER keys without a member, which is what they could do before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = sa.String(length=255)
EMAIL = sa.String(length=254)
ROLE = sa.String(length=16)


def upgrade() -> None:
    op.create_table(
        "project_members",
        sa.Column("org_id", NAME, nullable=False),
        sa.Column("project_id", NAME, nullable=False),
        sa.Column("email", EMAIL, nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "project_id"], ["projects.org_id", "projects.project_id"], name="fk_project_members_projects"
        ),
        sa.PrimaryKeyConstraint("org_id", "project_id", "email", name="pk_project_members"),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("role", ROLE, nullable=False, server_default="OWNER"))
        batch.add_column(sa.Column("member_email", EMAIL, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("member_email")
        batch.drop_column("role")
    op.drop_table("project_members")
