"""The scheduled signature poller: resume every case whose contract was signed, declined or expired."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger

from config.clock import local_today
from models.signature import signature_outcome
from tasks.polling import read_contract_statuses, read_waiting_cases, resume_case
from tasks.runtime import routine_settings


class ResumeFailed(RuntimeError):
    """Some cases could not be resumed this time; the next poll tries them again."""


@flow(name="poll-signatures")
def poll_signatures(today: date | None = None) -> int:
    """Read the waiting cases' contract statuses in batches and resume the runs whose contract changed."""
    today = today or local_today(routine_settings().timezone)
    waiting = read_waiting_cases()
    statuses = read_contract_statuses([case.contract_id for case in waiting])
    resumed, failed = 0, []
    for case in waiting:
        contract = statuses.get(case.contract_id)
        outcome = signature_outcome(contract, deadline=case.signing_deadline, today=today)
        if outcome is None:
            continue
        # One case that cannot be resumed must not hold up the others.
        state = resume_case(case, outcome, contract, today, return_state=True)
        if state.is_failed():
            failed.append(case.case_key)
        elif state.result():
            resumed += 1
    get_run_logger().info("poll-signatures: %d waiting, %d resumed, %d failed", len(waiting), resumed, len(failed))
    if failed:
        raise ResumeFailed(f"could not resume {', '.join(failed)}; the next poll tries again (see the task logs)")
    return resumed
