"""Phase 2: the renegotiation deal, its delivery start date once the contract is sent, and its closing stage."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task

from models.case import CaseState
from models.contract import Contract
from models.crm import Deal, DealDraft, EnrichedTicket
from models.rules import deal_close_date, deal_name, delivery_start_date
from tasks.checked_writes import write_field
from tasks.hubspot_calls import counting_calls, crm_step
from tasks.policy import system_step
from tasks.runtime import get_runtime


@task(name="create-deal", **system_step())
def create_deal(case_key: str, enriched: EnrichedTicket, today: date) -> Deal:
    """Find or create the deal `<company> - REFORHANDLING` in Assist / Venter på beslutning, on the ticket."""
    rt = get_runtime()
    case = rt.store.get(case_key)
    draft = DealDraft(
        case_key=case_key,
        name=deal_name(enriched.company.name),
        close_date=deal_close_date(today),
        delivery_start=delivery_start_date(today, case.start_date),
        licences=case.licences_after,
        agent_email=case.agent_email,
        company_id=enriched.company.id,
        contact_id=enriched.contact.id,
        ticket_id=enriched.ticket.id,
    )
    with counting_calls(rt.crm) as calls:
        deal = rt.crm.find_or_create_deal(deal=draft)
    rt.store.transition(
        case_key, CaseState.DEAL_CREATED, actor="flow", deal_id=deal.id, details={"hubspot_calls": calls()}
    )
    get_run_logger().info("case %s: deal %s %r (%d HubSpot requests)", case_key, deal.id, deal.name, calls())
    return deal


@task(name="set-deal-licences", **system_step("attempt"))
def set_deal_licences(case_key: str, attempt: int, deal_id: str, licences: int) -> None:
    """Keep the deal's amount (the licence count) in step with a corrected draft."""
    with crm_step(case_key, "deal-licences", licences=licences) as (crm, _):
        write_field(
            case_key,
            f"deal-licences:{attempt}",
            lambda since: crm.set_deal_licences(deal_id=deal_id, licences=licences, since=since),
        )


@task(name="set-delivery-start", **system_step())
def set_delivery_start(case_key: str, deal_id: str, sent: Contract, sent_on: date) -> date:
    """Set the deal's delivery start date to the start the sent contract carries (the agreed start, else the day it
    was sent), so the contract, the deal and the note never disagree, whatever day a retry runs on."""
    start = sent.start_date or delivery_start_date(sent_on, get_runtime().store.get(case_key).start_date)
    with crm_step(case_key, "delivery-start", start=start.isoformat()) as (crm, _):
        write_field(
            case_key,
            "delivery-start",
            lambda since: crm.set_deal_delivery_start(deal_id=deal_id, start=start, since=since),
        )
    return start


@task(name="move-deal", **system_step("step"))
def move_deal(case_key: str, step: str, deal_id: str, stage_label: str) -> None:
    """Move the deal to the stage the customer's decision calls for (won or lost); the close date stays."""
    with crm_step(case_key, "deal-stage", stage=stage_label) as (crm, _):
        write_field(
            case_key,
            f"deal-stage:{step}",
            lambda since: crm.move_deal(deal_id=deal_id, stage_label=stage_label, since=since),
        )
