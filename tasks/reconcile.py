"""The reconciliation's tasks: read the cases and what every system says about them, and report the drift.

Every read here is a read: nothing is corrected automatically, a person decides what is right."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from adapters.errors import NotFoundError
from bootstrap.runtime import Runtime
from models.case import Case, CaseState
from models.contract import Contract
from models.field_history import moved_back
from models.org_number import customer_org_number
from models.reconcile import (
    SENT_STATES,
    Finding,
    Observed,
    cases_to_reconcile,
    drift_message,
    drift_rows,
    route_owner,
)
from tasks.policy import RETRY_DELAYS, retry_on_transient

DRIFT_ARTIFACT = "reforhandling-drift"
# Prefect answers at most 200 flow runs per read.
RUN_PAGE = 200


@task(name="read-cases-to-reconcile", cache_policy=NO_CACHE)
def read_cases_to_reconcile(rt: Runtime, now: datetime) -> list[Case]:
    """Every open case and every case closed in the last `routine.reconcile_days` days, from the case store."""
    return cases_to_reconcile(rt.store.cases(), now=now, days=rt.settings.routine.reconcile_days)


@task(name="read-existing-runs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def read_existing_runs(flow_run_ids: list[str]) -> set[str]:
    """Which of these flow runs Prefect still has."""
    found: set[str] = set()
    with get_client(sync_client=True) as client:
        for start in range(0, len(flow_run_ids), RUN_PAGE):
            page = [UUID(run_id) for run_id in flow_run_ids[start : start + RUN_PAGE]]
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=page)), limit=RUN_PAGE)
            found.update(str(run.id) for run in runs)
    return found


@task(
    name="observe-case",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_on_transient,
)
def observe_case(rt: Runtime, case: Case, contract: Contract | None, run_exists: bool) -> Observed:
    """What HubSpot and Avonova Digital say about the case now (the contract and the run were read in batches)."""
    ticket = rt.crm.read_ticket(ticket_id=case.ticket_id)
    deal = rt.crm.read_deal(deal_id=case.deal_id) if case.deal_id else None
    owner = route_owner(case, rt.settings.routine)
    digital: int | None = None
    if owner is not None and case.company_id and not rt.licences.requires_confirmation:
        company = rt.crm.read_company(company_id=case.company_id)
        org_number = customer_org_number(
            company.org_number, company=company.name, property_name=rt.settings.routine.org_number_property
        )
        try:
            digital = rt.licences.read_licences(customer_id=org_number)
        except NotFoundError:
            digital = 0
    return Observed(
        ticket_moved_back=_ticket_moved_back(rt, case) if case.state in SENT_STATES | {CaseState.COMPLETED} else None,
        contract_state=contract.state if contract else None,
        contract_licences=contract.licences if contract else None,
        deal_amount=deal.amount if deal else None,
        deal_stage=deal.stage if deal else None,
        deal_ticket_ids=deal.ticket_ids if deal else None,
        digital_licences=digital,
        ticket_owner_id=ticket.owner_id,
        ticket_stage=ticket.stage,
        route_owner_id=rt.crm.owner_id(email=owner) if owner else None,
        run_exists=run_exists,
    )


def _ticket_moved_back(rt: Runtime, case: Case) -> tuple[str, str] | None:
    """From the ticket's stage history: a stage after `Sendt kontrakt` it left for `Sendt kontrakt` again."""
    routine = rt.settings.routine
    back = moved_back(
        rt.crm.ticket_stage_history(ticket_id=case.ticket_id),
        back_to=routine.ticket_stage_sent,
        from_any=routine.ticket_stages_after_sent,
    )
    if not back:
        return None
    left, again = back
    return (
        f"{left.value} at {left.at.isoformat(timespec='seconds')}",
        f"back at {again.value} at {again.at.isoformat(timespec='seconds')}",
    )


@task(name="report-drift", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def report_drift(rt: Runtime, findings: list[Finding], *, checked: int, run_id: str) -> str | None:
    """The table artifact of this run's findings, and one e-mail to ops when there are any; returns its
    Message-ID."""
    summary = f"{len(findings)} findings in {checked} cases checked; nothing was changed."
    create_table_artifact(
        key=DRIFT_ARTIFACT,
        table=drift_rows(findings) or [{"case": "", "company": "", "drift": "none", "expected": "", "found": ""}],
        description=f"Reconciliation: {summary}",
    )
    get_run_logger().info("reconcile: %s", summary)
    if not findings:
        return None
    message = drift_message(findings, recipient=rt.settings.routine.ops_recipient, run_id=run_id, checked=checked)
    return rt.mailer.send(message=message)
