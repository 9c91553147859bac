"""The scheduled signature poller: resume every case whose contract was signed, declined or expired; send the
reminders, escalations and deadline heads-ups the waiting cases have earned; refresh the board of open cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache

from prefect import Flow, flow, get_run_logger

from bootstrap.runtime import Runtime, runtime_from_settings
from config.clock import local_today, utc_now
from models.signature import signature_outcome
from tasks.artifacts import publish_case_board
from tasks.notifying import send_reminders
from tasks.polling import read_contract_statuses, read_waiting_cases, resume_case
from tasks.restarting import reschedule_stopped


class ResumeFailed(RuntimeError):
    """Some cases could not be resumed this time; the next poll tries them again."""


class StatusReadFailed(RuntimeError):
    """Dealbuilder's contract statuses could not be read: no case was resumed; the next poll tries again."""


def poll_signatures_flow(make_runtime: Callable[[], Runtime]) -> Flow[..., int]:
    """The `poll-signatures` flow on the runtime `make_runtime` builds (once per process)."""
    runtime_once = cache(make_runtime)

    def poll_signatures(today: date | None = None, now: datetime | None = None) -> int:
        """Read the waiting cases' contract statuses in batches and resume the runs whose contract changed; remind
        whom the waiting cases wait for; refresh the `reforhandling-cases` table. `now`/`today` move the clock
        (tests)."""
        return _poll(runtime_once(), today, now)

    poll_signatures.__qualname__ = "poll_signatures"
    return flow(name="poll-signatures")(poll_signatures)


def _poll(rt: Runtime, today: date | None, now: datetime | None) -> int:
    now = now or utc_now()
    today = today or local_today(rt.routine.timezone, now)
    # A case whose run a stopped worker left behind goes on by itself, on whichever worker is up.
    reschedule_stopped(rt, return_state=True)
    waiting = read_waiting_cases(rt)
    read = read_contract_statuses(rt, [case.contract_id for case in waiting], return_state=True)
    # A failed read must not silence the reminders or leave the board stale: without statuses nothing is resumed
    # (a case past its deadline is not expired on a guess either), and the failure is said in the log, on the board
    # and by this run's own failed state.
    problem = "" if read.is_completed() else f"Dealbuilder status read failed: {read.message}"
    statuses = read.result() if read.is_completed() else {}
    if problem:
        get_run_logger().error("poll-signatures: %s; no case resumed this poll, reminders and the board go on", problem)
    resumed, failed, settled = 0, [], []
    for case in waiting if not problem else []:
        contract = statuses.get(case.contract_id)
        outcome = signature_outcome(contract, deadline=case.signing_deadline, today=today)
        if outcome is None:
            continue
        settled.append(case.case_key)
        # One case that cannot be resumed must not hold up the others.
        state = resume_case(rt, case, outcome, contract, today, return_state=True)
        if state.is_failed():
            failed.append(case.case_key)
        elif state.result():
            resumed += 1
    # Reminders and the board inform; neither may keep the resumes above from being reported.
    # A contract signed, declined or expired just now is past its deadline heads-up, though its run has yet to move.
    reminded = send_reminders(rt, now, today, settled, return_state=True)
    publish_case_board(rt, now, today, problem, return_state=True)
    get_run_logger().info(
        "poll-signatures: %d waiting, %d resumed, %d failed, %s reminders sent",
        len(waiting),
        resumed,
        len(failed),
        reminded.result() if reminded.is_completed() else "no",
    )
    if problem:
        raise StatusReadFailed(f"{problem}; the next poll tries again")
    if failed:
        raise ResumeFailed(f"could not resume {', '.join(failed)}; the next poll tries again (see the task logs)")
    return resumed


poll_signatures = poll_signatures_flow(runtime_from_settings)
