"""Phase 1: enrich the ticket with its company and signing contact, and rename it."""

from __future__ import annotations

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from models.crm import EnrichedTicket
from steps.enrichment import EnrichTicket
from steps.enrichment import enrich_ticket as enrich
from tasks.policy import system_step
from tasks.recording import record


@task(name="enrich-ticket", **system_step())
def enrich_ticket(rt: Runtime, case_key: str, request: EnrichTicket) -> EnrichedTicket:
    """Associate the ticket with the company and the signer, and name it `Reforhandling - <company>`."""
    done = enrich(rt.crm, request)
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
