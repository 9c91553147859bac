"""Phase 6: the customer's licence count in Avonova Digital."""

from __future__ import annotations

from prefect import get_run_logger, task

from models.case import CaseState
from tasks.policy import system_step
from tasks.runtime import get_runtime


@task(name="adjust-licences", **system_step())
def adjust_licences(case_key: str, customer_id: str, licences: int) -> int:
    """Set the customer's number of licences through the licence system's API."""
    rt = get_runtime()
    count = rt.licences.set_licences(customer_id=customer_id, licences=licences, case_key=case_key)
    rt.store.transition(case_key, CaseState.LICENCES_ADJUSTED, actor="flow", details={"licences": count, "by": "api"})
    get_run_logger().info("case %s: licences for %s set to %d", case_key, customer_id, count)
    return count
