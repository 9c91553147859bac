"""The daily reconciliation: where HubSpot, Dealbuilder, Avonova Digital and Prefect drifted from the case store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from prefect import Flow, flow, runtime

from bootstrap.runtime import Runtime, runtime_from_settings
from models.reconcile import Finding, case_findings, superseded, unreadable
from tasks.polling import read_contract_statuses
from tasks.reconcile import observe_case, read_cases_to_reconcile, read_existing_runs, report_drift


def reconcile_flow(make_runtime: Callable[[], Runtime]) -> Flow[..., int]:
    """The `reconcile` flow on the runtime `make_runtime` builds (once per process)."""
    runtime_once = cache(make_runtime)

    def reconcile(now: datetime | None = None) -> int:
        """Compare every open and recently closed case with the systems; report drift, change nothing."""
        return _reconcile(runtime_once(), now)

    reconcile.__qualname__ = "reconcile"
    return flow(name="reconcile")(reconcile)


def _reconcile(rt: Runtime, now: datetime | None) -> int:
    routine = rt.routine
    cases = read_cases_to_reconcile(rt, now or datetime.now(UTC))
    contracts = read_contract_statuses(rt, [case.contract_id for case in cases if case.contract_id])
    runs = read_existing_runs([case.flow_run_id for case in cases if case.flow_run_id])
    findings: list[Finding] = []
    later = superseded(cases)
    for case in cases:
        contract = contracts.get(case.contract_id) if case.contract_id else None
        # One case whose systems cannot be read must not hide the others' drift.
        state = observe_case(rt, case, contract, case.flow_run_id in runs, return_state=True)
        if state.is_completed():
            findings += case_findings(case, state.result(), routine, is_superseded=case.case_key in later)
        else:
            findings.append(unreadable(case, state.message or "not readable"))
    report_drift(rt, findings, checked=len(cases), run_id=str(runtime.flow_run.id))
    return len(findings)


reconcile = reconcile_flow(runtime_from_settings)
