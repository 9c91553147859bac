"""The ports: what the routine needs from each external system, in our own models."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from models.agreement import Agreement
from models.contract import Contract, ContractDraft, ContractPreview
from models.crm import Company, Contact, Deal, DealDraft, Ticket
from models.mail import MailMessage


class Crm(Protocol):
    """The CRM (HubSpot): tickets, companies, contacts, deals and notes."""

    calls: int  # requests made so far by this adapter, for the ops log and the demo's table

    def read_ticket(self, *, ticket_id: str) -> Ticket: ...

    def read_company(self, *, company_id: str) -> Company: ...

    def find_contact(self, *, email: str) -> Contact | None: ...

    def find_or_create_contact(self, *, email: str, company_id: str, name: str = "") -> Contact: ...

    def associate_ticket(self, *, ticket_id: str, company_id: str, contact_id: str) -> None: ...

    def rename_ticket(self, *, ticket_id: str, name: str) -> None: ...

    def find_or_create_deal(self, *, deal: DealDraft) -> Deal: ...

    def set_deal_delivery_start(self, *, deal_id: str, start: date) -> None: ...

    def set_deal_licences(self, *, deal_id: str, licences: int) -> None: ...

    def move_ticket(self, *, ticket_id: str, stage_label: str) -> None: ...

    def add_ticket_note(self, *, ticket_id: str, marker: str, body: str) -> str:
        """Write a note once: a note carrying `marker` already on the ticket is returned instead."""
        ...

    def set_company_property(self, *, company_id: str, name: str, value: str) -> None: ...

    def assign_ticket(self, *, ticket_id: str, owner_email: str) -> None: ...


class ContractService(Protocol):
    """The contract and e-signature tool (Dealbuilder)."""

    def read_original_agreement(self, *, org_number: str, company_name: str) -> Agreement: ...

    def find_or_create_draft(self, *, draft: ContractDraft) -> Contract: ...

    def update_draft(
        self,
        *,
        contract_id: str,
        licences: int,
        price_per_licence: Decimal,
        signing_deadline: date,
        start_date: date | None = None,
    ) -> Contract: ...

    def preview(self, *, contract_id: str) -> ContractPreview: ...

    def send(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Send by e-mail and SMS; a contract already sent is returned as it is, never sent twice."""
        ...

    def read_status(self, *, contract_id: str) -> Contract: ...

    def read_statuses(self, *, contract_ids: list[str]) -> dict[str, Contract]: ...

    def cancel(self, *, contract_id: str) -> Contract: ...

    def extend_and_resend(self, *, contract_id: str, signing_deadline: date) -> Contract: ...


class LicenceAdmin(Protocol):
    """The licence admin system (Avonova Digital)."""

    # True when a person must set the count by hand and confirm it (no API).
    requires_confirmation: bool

    def read_licences(self, *, customer_id: str) -> int: ...

    def set_licences(self, *, customer_id: str, licences: int, case_key: str) -> int: ...


class Mailer(Protocol):
    """Outgoing e-mail (SMTP)."""

    def send(self, *, message: MailMessage) -> str: ...
