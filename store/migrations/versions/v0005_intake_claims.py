"""The intake claims: one row per move of a ticket to the ready stage, so a ticket is taken in once.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("entered_stage_at", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("case_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "entered_stage_at", name="uq_intake_claims_ticket_entered"),
    )
    op.create_index("ix_intake_claims_ticket_id", "intake_claims", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_intake_claims_ticket_id", table_name="intake_claims")
    op.drop_table("intake_claims")
