"""A stop is not a failure (issue 22): a runner shutting down is logged and its runs rescheduled, while a
person's Cancel still asks ops to look, once. (A SIGTERM mid-write: test_crash_matrix; Ctrl-C of `up`:
bench/kill_matrix.py.)"""

from __future__ import annotations

import logging
from decimal import Decimal
from uuid import UUID

from prefect.states import Cancelling, Running

from flows.renegotiation import renegotiate_agreement
from models.case import CaseState
from models.notices import Notice
from models.renegotiation import RenegotiationRequest
from reforhandling.starting import start_case
from tasks.case_tasks import mark_run_cancelled
from tasks.restarting import reschedule_stopped_runs
from tests.flows.conftest import FJORDKRAFT, CaseDriver, notices


def test_a_runner_shutting_down_is_logged_but_a_persons_cancel_needs_attention_and_tells_ops_once(
    driver: CaseDriver,
) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    run = driver.client.read_flow_run(UUID(str(case.flow_run_id)))

    mark_run_cancelled(driver.runtime, renegotiate_agreement, run, Cancelling(message="Runner is shutting down."))
    assert driver.case(case.case_key).state is CaseState.AWAITING_APPROVAL
    assert [e.kind for e in driver.runtime.store.events(case.case_key)][-1] == "run-interrupted"
    assert notices(driver.sandboxes, Notice.NEEDS_ATTENTION) == []

    mark_run_cancelled(driver.runtime, renegotiate_agreement, run, Cancelling(message="Flow run was cancelled."))
    case = driver.case(case.case_key)
    assert case.state is CaseState.NEEDS_ATTENTION and "reforhandling cancel" in (case.reason or "")
    [told] = notices(driver.sandboxes, Notice.NEEDS_ATTENTION)
    assert told["to"] == [driver.runtime.settings.routine.ops_recipient]


def test_a_run_left_running_by_a_killed_runner_is_rescheduled_only_where_no_runner_can_hold_it(
    driver: CaseDriver,
) -> None:
    request = RenegotiationRequest(
        ticket_id=FJORDKRAFT["ticket"],
        signer_email=FJORDKRAFT["signer"],
        licences=55,
        price_per_licence=Decimal("450"),
        agent_email="agent@avonova.example",
    )
    case = start_case(
        request, settings=driver.runtime.settings, store=driver.runtime.store, client=driver.client, actor="t"
    )
    run_id = UUID(str(case.flow_run_id))
    # Picked up, then its runner died without a word (SIGKILL, power cut).
    driver.client.set_flow_run_state(run_id, Running(), force=True)
    logger = logging.getLogger(__name__)

    # The poller, beside live workers, leaves a running run alone; the local stack's serve, before it starts, not.
    assert reschedule_stopped_runs(driver.client, driver.runtime.store, orphans=False, logger=logger, actor="t") == []
    assert reschedule_stopped_runs(driver.client, driver.runtime.store, orphans=True, logger=logger, actor="t") == [
        case.case_key
    ]
    assert driver.client.read_flow_run(run_id).state.name == "AwaitingRetry"  # type: ignore[union-attr]
    driver.run(driver.case(case.case_key))
    assert driver.pause_key(driver.case(case.case_key)) == "approval-1"
