"""The ports: what the routine needs from each external system, in our own models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from models.agreement import Agreement
from models.contract import Contract, ContractDraft, ContractPreview
from models.crm import Company, Contact, Deal, DealDraft, Ticket
from models.field_history import FieldChange, WriteOutcome
from models.intake import IntakeTicket
from models.mail import MailMessage
from models.ticket_status import StatusUpdate


class Crm(Protocol):
    """The CRM (HubSpot): tickets, companies, contacts, deals and notes.

    Updates of fields are checked writes (`adapters/checked_writes.py`): one whose answer was lost is read back
    before it is written again, and a newer value someone else set is kept, as the WriteOutcome says. `since`: an
    earlier attempt of the same write began then (a retry or a replay), so it is read back before it is written."""

    @property
    def calls(self) -> int:
        """Requests made so far by this adapter, for the ops log and the demo's table."""
        ...

    def read_ticket(self, *, ticket_id: str) -> Ticket:
        """The ticket with its associated companies and contacts."""
        ...

    def read_company(self, *, company_id: str) -> Company:
        """The company (customer card) with its organisation number and address."""
        ...

    def find_contact(self, *, email: str) -> Contact | None:
        """The contact with this e-mail and its companies, or None."""
        ...

    def find_or_create_contact(
        self, *, email: str, company_id: str, name: str = "", known: Contact | None = None
    ) -> Contact:
        """The contact with this e-mail (`known`: as just read by find_contact, not read again), created and
        associated with the company when missing."""
        ...

    def associate_ticket(self, *, ticket_id: str, company_id: str, contact_id: str) -> None:
        """Associate the ticket with the company and the contact (idempotent)."""
        ...

    def rename_ticket(self, *, ticket_id: str, name: str, status: StatusUpdate | None = None) -> None:
        """Give the ticket a new name (and, in the same write, the case's status)."""
        ...

    def find_or_create_deal(self, *, deal: DealDraft) -> Deal:
        """The deal carrying this case key, or a new one with every routine field; never two."""
        ...

    def set_deal_delivery_start(self, *, deal_id: str, start: date, since: datetime | None = None) -> WriteOutcome:
        """Set the deal's delivery start date."""
        ...

    def set_deal_licences(self, *, deal_id: str, licences: int, since: datetime | None = None) -> WriteOutcome:
        """Set the deal's amount, which the routine uses for the licence count."""
        ...

    def move_deal(self, *, deal_id: str, stage_label: str, since: datetime | None = None) -> WriteOutcome:
        """Move the deal to the stage with this label in the routine's deal pipeline (its close date stays)."""
        ...

    def move_ticket(
        self, *, ticket_id: str, stage_label: str, since: datetime | None = None, status: StatusUpdate | None = None
    ) -> WriteOutcome:
        """Move the ticket to the stage with this label in its pipeline (and, in the same write, the case's status)."""
        ...

    def set_ticket_status(self, *, ticket_id: str, status: StatusUpdate, since: datetime | None = None) -> WriteOutcome:
        """Show where the case stands on the ticket: its status property and the link to its run."""
        ...

    def ticket_stage_history(self, *, ticket_id: str) -> list[FieldChange]:
        """Every stage the ticket has stood at, by label, oldest first."""
        ...

    def add_ticket_note(self, *, ticket_id: str, marker: str, body: str, first_attempt: bool = False) -> str:
        """Write a note once: a note carrying `marker` already on the ticket is returned instead (`first_attempt`:
        the caller recorded that no earlier attempt was made, so there is nothing to look for)."""
        ...

    def set_company_property(
        self, *, company_id: str, name: str, value: str, since: datetime | None = None
    ) -> WriteOutcome:
        """Set one property on the company card."""
        ...

    def assign_ticket(
        self, *, ticket_id: str, owner_email: str, since: datetime | None = None, status: StatusUpdate | None = None
    ) -> WriteOutcome:
        """Make the owner with this e-mail the ticket's owner (and, in the same write, the case's status)."""
        ...

    def read_deal(self, *, deal_id: str) -> Deal:
        """The deal with its amount (the routine's licence count), its stage and its tickets."""
        ...

    def owner_id(self, *, email: str) -> str:
        """The id of the owner (user) with this e-mail, as a ticket's owner field holds it."""
        ...


class TicketIntake(Protocol):
    """Where cases start: the tickets an agent moved to the ready stage, and what each one asks for."""

    @property
    def calls(self) -> int:
        """Requests made so far by this adapter."""
        ...

    def ready_stage_id(self) -> str:
        """The id of the ready stage, as a webhook event's propertyValue holds it (from the portal cache)."""
        ...

    def ready_tickets(self) -> list[str]:
        """Ids of the tickets standing at the ready stage (one request)."""
        ...

    def read_ticket(self, *, ticket_id: str) -> IntakeTicket:
        """The ticket's stage, since when, its owner's e-mail and its renegotiation fields (one request)."""
        ...


class ContractService(Protocol):
    """The contract and e-signature tool (Dealbuilder)."""

    def signed_agreements(self, *, org_number: str) -> list[Agreement]:
        """Every signed agreement of the customer (9-digit org number) that holds the Assist licence line."""
        ...

    def find_or_create_draft(self, *, draft: ContractDraft) -> Contract:
        """The contract carrying this case key, or a new draft from the template; never two."""
        ...

    def update_draft(
        self,
        *,
        contract_id: str,
        licences: int,
        price_per_licence: Decimal,
        signing_deadline: date,
        start_date: date | None = None,
        since: datetime | None = None,
    ) -> WriteOutcome:
        """Change a draft's licences, price, deadline and (optionally) start date, checked as the CRM's updates are
        (without a history: a draft changed by someone else since the write began is kept)."""
        ...

    def preview(self, *, contract_id: str) -> ContractPreview:
        """The draft as the provider holds it (lines, signer, dates) and its preview link."""
        ...

    def send(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Send by e-mail and SMS; a contract already sent is returned as it is, never sent twice."""
        ...

    def read_status(self, *, contract_id: str) -> Contract:
        """The contract as the provider reports it now."""
        ...

    def read_statuses(self, *, contract_ids: list[str]) -> dict[str, Contract]:
        """Many contracts in as few requests as the provider allows."""
        ...

    def cancel(self, *, contract_id: str) -> Contract:
        """Revoke the contract so it can no longer be signed."""
        ...

    def extend_and_resend(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Give the contract a new deadline and send it again (after a decline or an expiry)."""
        ...


class LicenceAdmin(Protocol):
    """The licence admin system (Avonova Digital)."""

    # True when a person must set the count by hand and confirm it (no API).
    requires_confirmation: bool

    def read_licences(self, *, customer_id: str) -> int:
        """The customer's current number of licences."""
        ...

    def set_licences(self, *, customer_id: str, licences: int, case_key: str) -> int:
        """Set the customer's number of licences; returns the count now in force."""
        ...


class Mailer(Protocol):
    """Outgoing e-mail (SMTP)."""

    def send(self, *, message: MailMessage) -> str:
        """Send the message; returns its Message-ID."""
        ...


class PortalCache(Protocol):
    """What a CRM portal's configuration resolved to (pipelines, options, owners), kept across processes."""

    def get(self, key: str) -> tuple[Any, datetime] | None:
        """The JSON value stored under `key` and when it was fetched, or None."""
        ...

    def put(self, key: str, value: Any) -> None:
        """Store a freshly fetched JSON value under `key`."""
        ...


class RateBudget(Protocol):
    """The request budget an external system grants us, shared by every process that talks to it."""

    def take(self) -> None:
        """Wait until one more request fits the budget."""
        ...
