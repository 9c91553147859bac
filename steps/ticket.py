"""Ticket and customer-card writes in the CRM: stage, note, owner, the nedjustering field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from adapters.ports import Crm
from models.field_history import WriteOutcome
from models.ticket_status import StatusUpdate


@dataclass(frozen=True)
class TicketStage:
    ticket_id: str
    stage_label: str
    # The case's status, shown on the ticket in the same write (None: shown already).
    status: StatusUpdate | None = None


def move_ticket(crm: Crm, move: TicketStage, since: datetime | None) -> WriteOutcome:
    """Move the ticket to a stage of its pipeline, by label, with the case's status in the same write."""
    return crm.move_ticket(ticket_id=move.ticket_id, stage_label=move.stage_label, since=since, status=move.status)


@dataclass(frozen=True)
class TicketNote:
    ticket_id: str
    # Found in the note's text by a retry: one note per case and step.
    marker: str
    body: str
    # Only a step tried before can have a note to find (a look-up saved on the first try).
    first_attempt: bool


def write_ticket_note(crm: Crm, note: TicketNote) -> str:
    """Write a note on the ticket unless one with the marker is there; its id."""
    return crm.add_ticket_note(
        ticket_id=note.ticket_id, marker=note.marker, body=note.body, first_attempt=note.first_attempt
    )


@dataclass(frozen=True)
class DownwardAdjustment:
    company_id: str
    # The company property's name (`routine.downward_property`).
    field: str
    removed: int


def set_downward_adjustment(crm: Crm, change: DownwardAdjustment, since: datetime | None) -> WriteOutcome:
    """Fill the company's nedjustering field with the number of licences removed (0 when none were)."""
    return crm.set_company_property(
        company_id=change.company_id, name=change.field, value=str(change.removed), since=since
    )


@dataclass(frozen=True)
class TicketOwner:
    ticket_id: str
    owner_email: str
    # The case's status, shown on the ticket in the same write (None: shown already).
    status: StatusUpdate | None = None


def assign_ticket(crm: Crm, owner: TicketOwner, since: datetime | None) -> WriteOutcome:
    """Hand the ticket to the team that takes it from here, with the case's status in the same write."""
    return crm.assign_ticket(ticket_id=owner.ticket_id, owner_email=owner.owner_email, since=since, status=owner.status)
