"""What the routine reads from and writes to the CRM (HubSpot), in our own terms."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class Ticket(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    stage: str = ""
    pipeline: str = ""
    owner_id: str | None = None
    company_ids: tuple[str, ...] = ()
    contact_ids: tuple[str, ...] = ()
    url: str = ""


class Company(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    org_number: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    company_ids: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class DealDraft(BaseModel):
    """Every routine field of the renegotiation deal; `case_key` makes the create idempotent."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    name: str
    close_date: date
    delivery_start: date
    licences: int
    agent_email: str
    company_id: str
    contact_id: str
    # The ticket the case started from: the deal is created on it, as from the ticket's own "Deals" card.
    ticket_id: str = ""


class Deal(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    case_key: str
    url: str = ""
    # The deal's amount, which the routine uses for the licence count; None when it was not read or is empty.
    amount: int | None = None
    # Read back by the reconciliation only: the stage's label and the associated tickets (None: not read).
    stage: str | None = None
    ticket_ids: tuple[str, ...] | None = None


class EnrichedTicket(BaseModel):
    """The ticket after phase 1: associated with its company and the signing contact, and renamed."""

    model_config = ConfigDict(frozen=True)

    ticket: Ticket
    company: Company
    contact: Contact
