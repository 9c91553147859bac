"""The daily reconciliation: where HubSpot, Dealbuilder, Avonova Digital and Prefect drifted from the case store."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, runtime

from config.settings import RoutineSettings
from models.reconcile import Finding, case_findings, superseded, unreadable
from tasks.polling import read_contract_statuses
from tasks.reconcile import observe_case, read_cases_to_reconcile, read_existing_runs, report_drift
from tasks.runtime import routine_settings


@flow(name="reconcile")
def reconcile(now: datetime | None = None) -> int:
    """Compare every open and recently closed case with the systems; report drift, change nothing."""
    routine: RoutineSettings = routine_settings()
    cases = read_cases_to_reconcile(now or datetime.now(UTC))
    contracts = read_contract_statuses([case.contract_id for case in cases if case.contract_id])
    runs = read_existing_runs([case.flow_run_id for case in cases if case.flow_run_id])
    findings: list[Finding] = []
    later = superseded(cases)
    for case in cases:
        contract = contracts.get(case.contract_id) if case.contract_id else None
        # One case whose systems cannot be read must not hide the others' drift.
        state = observe_case(case, contract, case.flow_run_id in runs, return_state=True)
        if state.is_completed():
            findings += case_findings(case, state.result(), routine, is_superseded=case.case_key in later)
        else:
            findings.append(unreadable(case, state.message or "not readable"))
    report_drift(findings, checked=len(cases), run_id=str(runtime.flow_run.id))
    return len(findings)
