"""Phase 1: enrich the ticket with its company and signing contact, and rename it."""

from __future__ import annotations

from dataclasses import replace

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from models.case import CaseState
from models.crm import EnrichedTicket
from steps.enrichment import EnrichTicket
from steps.enrichment import enrich_ticket as enrich
from tasks.policy import system_step
from tasks.recording import record
from tasks.ticket_status import due_status, show_status, shown


@task(name="enrich-ticket", **system_step())
def enrich_ticket(rt: Runtime, case_key: str, request: EnrichTicket) -> EnrichedTicket:
    """Associate the ticket with the company and the signer, and name it `Reforhandling - <company>`."""
    case = rt.store.get(case_key)
    # The ticket shows the case started in the rename's own write (a ticket named already: a write of its own).
    status = due_status(rt, case, CaseState.ENRICHED)
    done = enrich(rt.crm, replace(request, status=status))
    if done.transition.details["renamed"]:
        shown(rt, case_key, status)
    else:
        show_status(rt, case, CaseState.ENRICHED)
    record(rt, case_key, done.transition)
    enriched = done.value
    get_run_logger().info(
        "case %s: ticket %s enriched for %s (%d HubSpot requests)",
        case_key,
        enriched.ticket.id,
        enriched.company.name,
        done.transition.details["hubspot_calls"],
    )
    return enriched
