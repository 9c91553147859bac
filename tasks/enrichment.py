"""Phase 1: enrich the ticket with its company and signing contact, and rename it."""

from __future__ import annotations

from prefect import get_run_logger, task

from models.case import CaseState
from models.crm import Contact, EnrichedTicket, Ticket
from models.rules import ticket_name
from tasks.hubspot_calls import counting_calls
from tasks.policy import system_step
from tasks.runtime import get_runtime
from tasks.ticket_status import due_status, show_status, shown


class TicketNotReady(ValueError):
    """The ticket lacks what the routine needs, and a person must say which company it concerns."""

    def __init__(self, found: str) -> None:
        super().__init__(
            f"{found}; close this case with `reforhandling cancel <case key> --reason ...`, then start it again "
            "with --company <HubSpot company id>"
        )
        self.found = found


@task(name="enrich-ticket", **system_step())
def enrich_ticket(case_key: str) -> EnrichedTicket:
    """Associate the ticket with the company and the signer, and name it `Reforhandling - <company>`."""
    rt = get_runtime()
    case = rt.store.get(case_key)
    with counting_calls(rt.crm) as calls:
        ticket = rt.crm.read_ticket(ticket_id=case.ticket_id)
        # One read of the signer serves both the company question and the contact (never read twice).
        signer = rt.crm.find_contact(email=case.signer_email)
        company_id = case.company_id or company_of(ticket, signer, case.signer_email)
        company = rt.crm.read_company(company_id=company_id)
        # The signer must be a known person: a contact is only created with the name the agent gave.
        contact = rt.crm.find_or_create_contact(
            email=case.signer_email, company_id=company.id, name=case.signer_name or "", known=signer
        )
        # A replayed phase finds the ticket done already and writes nothing.
        if company.id not in ticket.company_ids or contact.id not in ticket.contact_ids:
            rt.crm.associate_ticket(ticket_id=ticket.id, company_id=company.id, contact_id=contact.id)
        # The ticket shows the case started in the rename's own write (a ticket named already: a write of its own).
        status = due_status(rt, case, CaseState.ENRICHED)
        if ticket.name != ticket_name(company.name):
            rt.crm.rename_ticket(ticket_id=ticket.id, name=ticket_name(company.name), status=status)
            shown(rt, case_key, status)
        else:
            show_status(rt, case, CaseState.ENRICHED)
    rt.store.transition(
        case_key,
        CaseState.ENRICHED,
        actor="flow",
        company_id=company.id,
        company_name=company.name,
        details={"contact_id": contact.id, "hubspot_calls": calls()},
    )
    get_run_logger().info(
        "case %s: ticket %s enriched for %s (%d HubSpot requests)", case_key, ticket.id, company.name, calls()
    )
    return EnrichedTicket(ticket=ticket, company=company, contact=contact)


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
