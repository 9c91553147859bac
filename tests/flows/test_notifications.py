"""Reminders, escalation and the ops notice (issue 11): each arrives at the SMTP sandbox once, with a link that opens
the case's run, across a poller restart and two polls racing; the board of open cases is refreshed by each poll.
(The notices the flow sends are checked beside their paths: test_happy_paths, test_decisions, test_waiting_paths.)"""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.objects import State
from prefect.client.schemas.sorting import ArtifactSort
from prefect.states import AwaitingRetry

from bootstrap.runtime import build_runtime
from flows.poll_signatures import poll_signatures_flow
from models.artifacts import BOARD_KEY
from models.case import Case, CaseState
from models.notices import Notice
from models.renegotiation import RenegotiationRequest
from sandbox.kit import FaultRule
from tests.flows.conftest import FJORDKRAFT, CaseDriver, notices

AGENT = "agent@avonova.example"


def notified(driver: CaseDriver, case: Case, name: str) -> list[dict[str, Any]]:
    return driver.runtime.store.event_details(case.case_key, f"notified:{name}")


def test_a_waiting_approval_is_reminded_then_escalated_once_across_a_poller_restart_and_two_polls_racing(
    driver: CaseDriver,
) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    opened = datetime.now(UTC)
    settings = driver.runtime.settings

    driver.poll(now=opened + timedelta(hours=23))
    assert notices(driver.sandboxes, Notice.APPROVAL_REMINDER) == []
    driver.poll(now=opened + timedelta(hours=25))
    # The poller restarts: a new process, nothing in memory; the claims and the events are in the case store.
    restarted = build_runtime(settings)
    poll_signatures_flow(lambda: restarted)(now=opened + timedelta(hours=26))

    [reminder] = notices(driver.sandboxes, Notice.APPROVAL_REMINDER)
    assert (reminder["to"], driver.linked_run(reminder)) == ([AGENT], UUID(str(case.flow_run_id)))
    assert "ventet på godkjenning i 1 d 1 h" in reminder["text"]

    # Two pollers at once, each in its own thread with its own flow run.
    later = opened + timedelta(hours=73)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    poll_signatures = driver.poller()

    def poll() -> None:
        try:
            barrier.wait()
            poll_signatures(now=later)
        except BaseException as error:  # the assertion below shows it
            errors.append(error)

    # A new thread starts without the test's Prefect settings (context variables): each runs in a copy.
    racers = [threading.Thread(target=contextvars.copy_context().run, args=(poll,)) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()

    assert errors == []
    [escalation] = notices(driver.sandboxes, Notice.APPROVAL_ESCALATION)
    assert escalation["to"] == [settings.notifications.escalation_recipient]
    assert driver.linked_run(escalation) == UUID(str(case.flow_run_id))
    assert len(notices(driver.sandboxes, Notice.APPROVAL_REMINDER)) == 1
    assert [e["to"] for e in notified(driver, case, "approval-escalation:approval-1")] == [
        settings.notifications.escalation_recipient
    ]
    board = driver.client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[BOARD_KEY])), sort=ArtifactSort.CREATED_DESC, limit=1
    )[0]
    assert case.case_key in str(board.data) and "approver (agent@avonova.example)" in str(board.data)
    assert f"/runs/flow-run/{case.flow_run_id}" in str(board.data)


def test_a_signing_deadline_two_days_away_warns_the_agent_once(
    driver: CaseDriver,
) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    assert case.signing_deadline and case.contract_id

    driver.poll(today=case.signing_deadline - timedelta(days=3))
    assert notices(driver.sandboxes, Notice.DEADLINE_HEADS_UP) == []
    driver.poll(today=case.signing_deadline - timedelta(days=2))
    driver.poll(today=case.signing_deadline - timedelta(days=1))
    [heads_up] = notices(driver.sandboxes, Notice.DEADLINE_HEADS_UP)
    assert heads_up["to"] == [AGENT] and driver.linked_run(heads_up) == UUID(str(case.flow_run_id))


def test_ops_are_told_once_per_failure_with_the_reason_and_the_retry_link(driver: CaseDriver) -> None:
    # A request that changes nothing fails the run: the case needs attention.
    case = driver.start(**FJORDKRAFT, licences=40, price="450")
    assert case.state == CaseState.NEEDS_ATTENTION and case.flow_run_id
    [told] = notices(driver.sandboxes, Notice.NEEDS_ATTENTION)
    assert told["to"] == [driver.runtime.settings.routine.ops_recipient]
    assert "nothing to renegotiate" in told["text"] and "Retry" in told["text"]
    assert driver.linked_run(told) == UUID(case.flow_run_id)

    # Retried without fixing the cause: a second failure, a second mail; the first is not repeated.
    driver.client.set_flow_run_state(UUID(case.flow_run_id), AwaitingRetry(), force=True)
    driver.run(case)

    ids = sorted(m["message_id"] for m in notices(driver.sandboxes, Notice.NEEDS_ATTENTION))
    assert ids == [f"<{case.case_key}.needs-attention-failure-{n}@reforhandling>" for n in (1, 2)]


def _waiting_in(driver: CaseDriver, state: CaseState, step: str, ticket: str = "5001") -> Case:
    """A case that waits in `state` at `step`, put there through the case store alone (the poller reads no more)."""
    store = driver.runtime.store
    case = store.open_case(
        RenegotiationRequest(
            ticket_id=ticket,
            signer_email=FJORDKRAFT["signer"],
            licences=55,
            price_per_licence=Decimal("450"),
            agent_email=AGENT,
        ),
        actor="test",
    )
    store.transition(case.case_key, CaseState.NEEDS_ATTENTION, actor="test", flow_run_id=str(uuid4()))
    return store.transition(case.case_key, state, actor="flow", details={"step": step})


@pytest.mark.parametrize(
    ("state", "step", "reminder", "escalation"),
    [
        (CaseState.AWAITING_DECISION, "decision-1", Notice.DECISION_REMINDER, Notice.DECISION_ESCALATION),
        (
            CaseState.AWAITING_LICENCE_CONFIRMATION,
            "licences-2",
            Notice.LICENCE_REMINDER,
            Notice.LICENCE_ESCALATION,
        ),
    ],
)
def test_a_decision_or_a_licence_count_left_waiting_is_reminded_then_escalated_once(
    driver: CaseDriver, state: CaseState, step: str, reminder: Notice, escalation: Notice
) -> None:
    case = _waiting_in(driver, state, step)
    opened = datetime.now(UTC)
    settings = driver.runtime.settings

    driver.poll(now=opened + timedelta(hours=25))
    driver.poll(now=opened + timedelta(hours=73))
    driver.poll(now=opened + timedelta(hours=74))

    [reminded] = notices(driver.sandboxes, reminder)
    assert reminded["to"] == [AGENT]
    assert "1 d 1 h" in reminded["text"] and f"/runs/flow-run/{case.flow_run_id}" in reminded["text"]
    [escalated] = notices(driver.sandboxes, escalation)
    assert escalated["to"] == [settings.notifications.escalation_recipient]
    assert [e["to"] for e in notified(driver, case, f"{escalation}:{step}")] == [
        settings.notifications.escalation_recipient
    ]


def test_a_poll_whose_status_read_fails_still_reminds_refreshes_the_board_and_says_what_failed(
    driver: CaseDriver,
) -> None:
    case = _waiting_in(driver, CaseState.AWAITING_APPROVAL, "approval-1")
    # A wrong API key: Dealbuilder refuses every status read, and no retry can help.
    driver.sandboxes.dealbuilder.faults.set([FaultRule(kind="error", status=401, route=r"^GET /v1/Documents$")])
    signing = _waiting_in(driver, CaseState.AWAITING_SIGNATURE, "signature", ticket="5002")
    driver.runtime.store.update(signing.case_key, contract_id="DOC-GONE")

    # The poller's type says int (its parameters are given by name); return_state gives its State.
    state = cast("State[int]", driver.poller()(now=datetime.now(UTC) + timedelta(hours=25), return_state=True))

    assert state.is_failed() and "Dealbuilder status read failed" in str(state.message)
    [reminded] = notices(driver.sandboxes, Notice.APPROVAL_REMINDER)
    assert f"/runs/flow-run/{case.flow_run_id}" in reminded["text"]
    board = driver.client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[BOARD_KEY])), sort=ArtifactSort.CREATED_DESC, limit=1
    )[0]
    assert case.case_key in str(board.data) and signing.case_key in str(board.data)
    assert "Dealbuilder status read failed" in str(board.description)
    assert driver.case(signing.case_key).state == CaseState.AWAITING_SIGNATURE
