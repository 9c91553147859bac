"""Where a case stands, as the ticket shows it to the agent: the status property and the link to the case's run."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from config.settings import TicketStatusOptions
from models.case import CaseState


class TicketStatus(StrEnum):
    """The stages an agent tells apart on the ticket (the names of `routine.ticket_statuses`' options)."""

    STARTED = "started"
    AWAITING_APPROVAL = "awaiting_approval"
    SENT = "sent"
    SIGNED = "signed"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NEEDS_ATTENTION = "needs_attention"


S, T = CaseState, TicketStatus
_BY_STATE: dict[CaseState, TicketStatus] = {
    S.STARTED: T.STARTED,
    S.ENRICHED: T.STARTED,
    S.DEAL_CREATED: T.STARTED,
    S.DRAFTED: T.STARTED,
    S.AWAITING_APPROVAL: T.AWAITING_APPROVAL,
    S.SENT: T.SENT,
    S.AWAITING_SIGNATURE: T.SENT,
    # Declined or expired: a person must decide to extend and resend or to cancel.
    S.AWAITING_DECISION: T.NEEDS_ATTENTION,
    S.SIGNED: T.SIGNED,
    S.AWAITING_LICENCE_CONFIRMATION: T.SIGNED,
    S.LICENCES_ADJUSTED: T.SIGNED,
    S.COMPLETED: T.COMPLETED,
    S.REJECTED: T.REJECTED,
    S.CANCELLED: T.CANCELLED,
    S.NEEDS_ATTENTION: T.NEEDS_ATTENTION,
}


def ticket_status(state: CaseState) -> TicketStatus:
    """The status the ticket shows for a case in `state`."""
    return _BY_STATE[state]


class StatusUpdate(BaseModel):
    """What the ticket's two properties should hold: the status option and the run's page (empty: no run yet)."""

    model_config = ConfigDict(frozen=True)

    status: TicketStatus
    link: str

    def option(self, options: TicketStatusOptions) -> str:
        """The option written to the status property, as the settings name it."""
        return str(getattr(options, self.status.value))
