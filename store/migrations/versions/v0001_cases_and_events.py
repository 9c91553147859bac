"""Cases and their event log, exactly as `SQLModel.metadata.create_all` made them before migrations (1164bda).

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# The states as of this revision, written out: a later state is a later migration (on PostgreSQL an enum type).
CASE_STATES = (
    "STARTED",
    "ENRICHED",
    "DEAL_CREATED",
    "DRAFTED",
    "AWAITING_APPROVAL",
    "SENT",
    "AWAITING_SIGNATURE",
    "AWAITING_DECISION",
    "SIGNED",
    "AWAITING_LICENCE_CONFIRMATION",
    "LICENCES_ADJUSTED",
    "COMPLETED",
    "REJECTED",
    "CANCELLED",
    "NEEDS_ATTENTION",
)


def upgrade() -> None:
    case_state = sa.Enum(*CASE_STATES, name="casestate")
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_key", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("open_ticket_id", sa.String(), nullable=True),
        sa.Column("company_id", sa.String(), nullable=True),
        sa.Column("company_name", sa.String(), nullable=True),
        sa.Column("signer_email", sa.String(), nullable=False),
        sa.Column("agent_email", sa.String(), nullable=False),
        sa.Column("state", case_state, nullable=False),
        sa.Column("deal_id", sa.String(), nullable=True),
        sa.Column("contract_id", sa.String(), nullable=True),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.Column("licences_before", sa.Integer(), nullable=True),
        sa.Column("licences_after", sa.Integer(), nullable=False),
        sa.Column("price_before", sa.Numeric(12, 2), nullable=True),
        sa.Column("price_after", sa.Numeric(12, 2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("signing_deadline", sa.Date(), nullable=True),
        sa.Column("route", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("attention_from", case_state, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        # Unnamed, as create_all made it: PostgreSQL names it cases_open_ticket_id_key in both kinds of database.
        sa.UniqueConstraint("open_ticket_id"),
    )
    op.create_index("ix_cases_case_key", "cases", ["case_key"], unique=True)
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_ticket_id", "cases", ["ticket_id"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_key", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["case_key"], ["cases.case_key"]),
    )
    op.create_index("ix_case_events_case_key", "case_events", ["case_key"])


def downgrade() -> None:
    op.drop_index("ix_case_events_case_key", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_cases_ticket_id", table_name="cases")
    op.drop_index("ix_cases_state", table_name="cases")
    op.drop_index("ix_cases_case_key", table_name="cases")
    op.drop_table("cases")
    sa.Enum(name="casestate").drop(op.get_bind(), checkfirst=True)
