"""A case store as the code before migrations made it: `create_all` over the models of 1164bda, one case in it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, create_engine

OLD_CASE_KEY = "RF-5002-1-0ld0ld"
OLD_SIGNER_NAME = "Åse Ødegård"


class CaseState(StrEnum):
    # Copied, not imported: the enum's name and members are part of the old schema (a type on PostgreSQL).
    STARTED = "STARTED"
    ENRICHED = "ENRICHED"
    DEAL_CREATED = "DEAL_CREATED"
    DRAFTED = "DRAFTED"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    SENT = "SENT"
    AWAITING_SIGNATURE = "AWAITING_SIGNATURE"
    AWAITING_DECISION = "AWAITING_DECISION"
    SIGNED = "SIGNED"
    AWAITING_LICENCE_CONFIRMATION = "AWAITING_LICENCE_CONFIRMATION"
    LICENCES_ADJUSTED = "LICENCES_ADJUSTED"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"


def _now() -> datetime:
    return datetime.now(UTC)


class OldTables(SQLModel, registry=registry()):
    """Their own metadata, so today's tables stay out of it."""


class Case(OldTables, table=True):
    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    case_key: str = Field(unique=True, index=True)
    ticket_id: str = Field(index=True)
    open_ticket_id: str | None = Field(default=None, unique=True)
    company_id: str | None = None
    company_name: str | None = None
    signer_email: str
    agent_email: str
    state: CaseState = Field(default=CaseState.STARTED, index=True)
    deal_id: str | None = None
    contract_id: str | None = None
    flow_run_id: str | None = None
    licences_before: int | None = None
    licences_after: int
    price_before: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    price_after: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    start_date: date | None = None
    signing_deadline: date | None = None
    route: str | None = None
    reason: str | None = None
    attention_from: CaseState | None = None
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class CaseEvent(OldTables, table=True):
    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_key: str = Field(foreign_key="cases.case_key", index=True)
    at: datetime = Field(default_factory=_now)
    actor: str
    kind: str
    details: str = "{}"


def create_old_case_store(url: str) -> None:
    """Make the tables as `SQLModel.metadata.create_all` did before migrations (no `signer_name`, no version table),
    holding one open case whose signer name is only in its "opened" event, as the code of then kept it."""
    engine = create_engine(url)
    try:
        OldTables.metadata.create_all(engine)
        with Session(engine) as session:
            session.add(
                Case(
                    case_key=OLD_CASE_KEY,
                    ticket_id="5002",
                    open_ticket_id="5002",
                    signer_email="ny.kontakt@aerligokonomi.example",
                    agent_email="agent@avonova.example",
                    licences_after=54,
                    price_after=Decimal("420.00"),
                )
            )
            opened = {"ticket_id": "5002", "signer_name": OLD_SIGNER_NAME, "licences": 54}
            session.add(CaseEvent(case_key=OLD_CASE_KEY, actor="agent", kind="opened", details=json.dumps(opened)))
            session.commit()
    finally:
        engine.dispose()
