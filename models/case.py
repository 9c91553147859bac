"""A renegotiation case as we store it: its states, the legal transitions, and the rows of the case store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


class CaseState(StrEnum):
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


S = CaseState
CLOSED_STATES = frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED})

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.STARTED: frozenset({S.ENRICHED}),
    S.ENRICHED: frozenset({S.DEAL_CREATED}),
    S.DEAL_CREATED: frozenset({S.DRAFTED}),
    S.DRAFTED: frozenset({S.AWAITING_APPROVAL}),
    # A correction re-drafts and asks again; a rejection closes the case.
    S.AWAITING_APPROVAL: frozenset({S.DRAFTED, S.SENT, S.REJECTED}),
    S.SENT: frozenset({S.AWAITING_SIGNATURE}),
    S.AWAITING_SIGNATURE: frozenset({S.SIGNED, S.AWAITING_DECISION}),
    # Declined or expired: a person extends and resends, or cancels; the signer may still sign meanwhile.
    S.AWAITING_DECISION: frozenset({S.SENT, S.CANCELLED, S.SIGNED}),
    S.SIGNED: frozenset({S.AWAITING_LICENCE_CONFIRMATION, S.LICENCES_ADJUSTED}),
    S.AWAITING_LICENCE_CONFIRMATION: frozenset({S.LICENCES_ADJUSTED}),
    S.LICENCES_ADJUSTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    # A retried run puts the case back in the state it failed in (`attention_from`) and goes on from there.
    S.NEEDS_ATTENTION: frozenset(set(CaseState) - CLOSED_STATES - {S.NEEDS_ATTENTION}),
}
# Any open case can fail into NEEDS_ATTENTION, and ops can cancel any open case (`reforhandling cancel`).
for _open in set(CaseState) - CLOSED_STATES:
    TRANSITIONS[_open] = TRANSITIONS[_open] | {S.NEEDS_ATTENTION, S.CANCELLED} - {_open}


class IllegalTransition(ValueError):
    """A case was asked to move to a state its current state does not lead to."""


def check_transition(case_key: str, current: CaseState, new: CaseState) -> None:
    """Raise IllegalTransition unless `current` may move to `new` (staying put is always allowed: replays)."""
    if new == current or new in TRANSITIONS[current]:
        return
    allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (the case is closed)"
    raise IllegalTransition(f"case {case_key}: cannot go from {current} to {new}; allowed from {current}: {allowed}")


def _now() -> datetime:
    return datetime.now(UTC)


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    case_key: str = Field(unique=True, index=True)
    ticket_id: str = Field(index=True)
    # Equal to ticket_id while the case is open, NULL once closed: a unique column that allows one open case per ticket.
    open_ticket_id: str | None = Field(default=None, unique=True)
    company_id: str | None = None
    company_name: str | None = None
    signer_email: str
    # The name the agent gave (`--signer-name`), to create the contact when HubSpot has none with that e-mail.
    signer_name: str | None = None
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


class CaseEvent(SQLModel, table=True):
    """Append-only: what happened to a case, when, and who did it."""

    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_key: str = Field(foreign_key="cases.case_key", index=True)
    at: datetime = Field(default_factory=_now)
    actor: str
    kind: str
    details: str = "{}"  # JSON


class NotificationClaim(SQLModel, table=True):
    """One row per (case, notification): whoever inserts it sends the message, so two pollers or a replay never
    both do. A failed send deletes the row; a claim left unsent past `stale_claim_seconds` may be taken over."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("case_key", "name", name="uq_notifications_case_key_name"),)

    id: int | None = Field(default=None, primary_key=True)
    case_key: str = Field(foreign_key="cases.case_key", index=True)
    name: str  # <what>:<step>, e.g. approval-reminder:approval-2
    claimed_at: datetime = Field(default_factory=_now)
    sent_at: datetime | None = None
