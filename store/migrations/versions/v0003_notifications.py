"""The notification claims: one row per (case, notification), so a reminder is sent once across pollers.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["case_key"], ["cases.case_key"]),
        sa.UniqueConstraint("case_key", "name", name="uq_notifications_case_key_name"),
    )
    op.create_index("ix_notifications_case_key", "notifications", ["case_key"])


def downgrade() -> None:
    op.drop_index("ix_notifications_case_key", table_name="notifications")
    op.drop_table("notifications")
