"""Phase 1: enrich the ticket with its company and signing contact, and rename it."""

from __future__ import annotations

from prefect import get_run_logger, task

from models.case import CaseState
from models.crm import EnrichedTicket
from models.rules import ticket_name
from reforhandling.wiring import get_runtime
from tasks.hubspot_calls import counting_calls
from tasks.policy import SYSTEM_STEP


class TicketNotReady(ValueError):
    """The ticket lacks what the routine needs, and a person must say which company it concerns."""


@task(name="enrich-ticket", **SYSTEM_STEP)
def enrich_ticket(case_key: str) -> EnrichedTicket:
    """Associate the ticket with the company and the signer, and name it `Reforhandling - <company>`."""
    rt = get_runtime()
    case = rt.store.get(case_key)
    with counting_calls(rt.crm) as calls:
        ticket = rt.crm.read_ticket(ticket_id=case.ticket_id)
        company_id = case.company_id or _only_company(case.ticket_id, ticket.company_ids)
        company = rt.crm.read_company(company_id=company_id)
        contact = rt.crm.find_or_create_contact(email=case.signer_email, company_id=company.id)
        rt.crm.associate_ticket(ticket_id=ticket.id, company_id=company.id, contact_id=contact.id)
        rt.crm.rename_ticket(ticket_id=ticket.id, name=ticket_name(company.name))
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


def _only_company(ticket_id: str, company_ids: tuple[str, ...]) -> str:
    if len(company_ids) == 1:
        return company_ids[0]
    found = f"companies {', '.join(company_ids)}" if company_ids else "no company"
    raise TicketNotReady(
        f"ticket {ticket_id} has {found}; start the case again with --company <HubSpot company id> to say which"
    )
