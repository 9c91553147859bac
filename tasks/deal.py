"""Phase 2: the renegotiation deal, its delivery start date once the contract is sent, and its closing stage."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from models.contract import Contract
from models.crm import Deal
from models.rules import delivery_start_date
from steps import deal as steps
from tasks.checked_writes import write_field
from tasks.hubspot_calls import crm_step
from tasks.policy import system_step
from tasks.recording import record


@task(name="create-deal", **system_step())
def create_deal(rt: Runtime, case_key: str, request: steps.CreateDeal) -> Deal:
    """Find or create the deal `<company> - REFORHANDLING` in Assist / Venter på beslutning, on the ticket."""
    done = steps.create_deal(rt.crm, request)
    record(rt, case_key, done.transition)
    deal = done.value
    calls = done.transition.details["hubspot_calls"]
    get_run_logger().info("case %s: deal %s %r (%d HubSpot requests)", case_key, deal.id, deal.name, calls)
    return deal


@task(name="set-deal-licences", **system_step("attempt"))
def set_deal_licences(rt: Runtime, case_key: str, attempt: int, deal_id: str, licences: int) -> None:
    """Keep the deal's amount (the licence count) in step with a corrected draft."""
    change = steps.DealLicences(deal_id=deal_id, licences=licences)
    with crm_step(rt, case_key, "deal-licences", licences=licences) as (crm, _):
        write_field(rt, case_key, f"deal-licences:{attempt}", lambda since: steps.set_deal_licences(crm, change, since))


@task(name="set-delivery-start", **system_step())
def set_delivery_start(
    rt: Runtime, case_key: str, deal_id: str, sent: Contract, sent_on: date, agreed_start: date | None
) -> date:
    """Set the deal's delivery start date to the start the sent contract carries (the agreed start, else the day it
    was sent), so the contract, the deal and the note never disagree, whatever day a retry runs on."""
    start = sent.start_date or delivery_start_date(sent_on, agreed_start)
    change = steps.DeliveryStart(deal_id=deal_id, start=start)
    with crm_step(rt, case_key, "delivery-start", start=start.isoformat()) as (crm, _):
        write_field(rt, case_key, "delivery-start", lambda since: steps.set_delivery_start(crm, change, since))
    return start


@task(name="move-deal", **system_step("step"))
def move_deal(rt: Runtime, case_key: str, step: str, deal_id: str, stage_label: str) -> None:
    """Move the deal to the stage the customer's decision calls for (won or lost); the close date stays."""
    move = steps.DealStage(deal_id=deal_id, stage_label=stage_label)
    with crm_step(rt, case_key, "deal-stage", stage=stage_label) as (crm, _):
        write_field(rt, case_key, f"deal-stage:{step}", lambda since: steps.move_deal(crm, move, since))
