"""Phase 1: enrich the ticket with its company and signing contact, and rename it."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.ports import Crm
from models.case import CaseState
from models.crm import Contact, EnrichedTicket, Ticket
from models.rules import ticket_name
from models.ticket_status import StatusUpdate
from steps.transition import Done, Transition


class TicketNotReady(ValueError):
    """The ticket lacks what the routine needs, and a person must say which company it concerns."""

    def __init__(self, found: str) -> None:
        super().__init__(
            f"{found}; close this case with `reforhandling cancel <case key> --reason ...`, then start it again "
            "with --company <HubSpot company id>"
        )
        self.found = found


@dataclass(frozen=True)
class EnrichTicket:
    ticket_id: str
    signer_email: str
    # The name the agent gave, to create the contact when HubSpot has none with that e-mail.
    signer_name: str = ""
    # The company the agent named, when the ticket and the signer do not tell.
    company_id: str | None = None
    # The case's status, shown on the ticket in the rename's own write (None: shown already).
    status: StatusUpdate | None = None


def enrich_ticket(crm: Crm, request: EnrichTicket) -> Done[EnrichedTicket]:
    """Associate the ticket with the company and the signer, and name it `Reforhandling - <company>`."""
    start = crm.calls
    ticket = crm.read_ticket(ticket_id=request.ticket_id)
    # One read of the signer serves both the company question and the contact (never read twice).
    signer = crm.find_contact(email=request.signer_email)
    company = crm.read_company(company_id=request.company_id or company_of(ticket, signer, request.signer_email))
    # The signer must be a known person: a contact is only created with the name the agent gave.
    contact = crm.find_or_create_contact(
        email=request.signer_email, company_id=company.id, name=request.signer_name, known=signer
    )
    # A replayed phase finds the ticket done already and writes nothing.
    if company.id not in ticket.company_ids or contact.id not in ticket.contact_ids:
        crm.associate_ticket(ticket_id=ticket.id, company_id=company.id, contact_id=contact.id)
    renamed = ticket.name != ticket_name(company.name)
    if renamed:
        crm.rename_ticket(ticket_id=ticket.id, name=ticket_name(company.name), status=request.status)
    transition = Transition(
        CaseState.ENRICHED,
        fields={"company_id": company.id, "company_name": company.name},
        # Renamed: the status rode on the rename; else the task writes it on its own.
        details={"contact_id": contact.id, "hubspot_calls": crm.calls - start, "renamed": renamed},
    )
    return Done(EnrichedTicket(ticket=ticket, company=company, contact=contact), transition)


def company_of(ticket: Ticket, signer: Contact | None, signer_email: str) -> str:
    """The ticket's one company, else the signer's (as read) one company; anything else needs a person to say
    which."""
    if len(ticket.company_ids) == 1:
        return ticket.company_ids[0]
    if ticket.company_ids:
        found = f"ticket {ticket.id} has companies {', '.join(ticket.company_ids)}"
    else:
        if signer is not None and len(signer.company_ids) == 1:
            return signer.company_ids[0]
        companies = ", ".join(signer.company_ids) if signer and signer.company_ids else "none"
        found = f"ticket {ticket.id} has no company and the signer {signer_email} has companies: {companies}"
    raise TicketNotReady(found)
