"""Phase 6: the customer's licence count in Avonova Digital."""

from __future__ import annotations

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from steps.licences import SetLicences
from steps.licences import adjust_licences as adjust
from tasks.policy import system_step
from tasks.recording import record


@task(name="adjust-licences", **system_step())
def adjust_licences(rt: Runtime, case_key: str, customer_id: str, licences: int) -> int:
    """Set the customer's number of licences through the licence system's API."""
    done = adjust(rt.licences, SetLicences(case_key=case_key, customer_id=customer_id, licences=licences))
    record(rt, case_key, done.transition)
    get_run_logger().info("case %s: licences for %s set to %d", case_key, customer_id, done.value)
    return done.value
