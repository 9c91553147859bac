"""The signer's name on the case (given with `--signer-name`), instead of only in the "opened" event.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("signer_name", sa.String(), nullable=True))
    # Cases opened before this revision have the name only in their "opened" event; enrichment now reads the column,
    # so a case still waiting to be enriched (or retried) keeps the name the agent gave.
    events = sa.table("case_events", sa.column("case_key"), sa.column("kind"), sa.column("details"))
    cases = sa.table("cases", sa.column("case_key"), sa.column("signer_name"))
    bind = op.get_bind()
    opened = bind.execute(sa.select(events.c.case_key, events.c.details).where(events.c.kind == "opened")).all()
    for case_key, details in opened:
        name = json.loads(details).get("signer_name")
        if name:
            bind.execute(sa.update(cases).where(cases.c.case_key == case_key).values(signer_name=name))


def downgrade() -> None:
    op.drop_column("cases", "signer_name")
