"""Notifications and reminders (issue 11): each arrives at the SMTP sandbox once, with a link that opens the case's
run, across replays, a poller restart and two polls racing; the case summary and the board are on the runs."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.states import AwaitingRetry

from flows.poll_signatures import poll_signatures
from models.artifacts import BOARD_KEY, case_artifact_key
from models.case import Case, CaseState
from models.notices import Notice
from tasks.runtime import build_runtime, use_runtime
from tests.flows.conftest import FJORDKRAFT, CaseDriver, approve_and_sign, notices

AGENT = "agent@avonova.example"


def linked_run(driver: CaseDriver, mail: dict[str, Any]) -> UUID:
    """The flow run the mail's link opens: the link must be the UI's run page, in the text and the HTML alike."""
    ui = driver.runtime.settings.prefect.ui_url
    [run_id] = set(re.findall(re.escape(ui) + r"/runs/flow-run/([0-9a-f-]{36})", mail["text"]))
    assert f'href="{ui}/runs/flow-run/{run_id}"' in mail["html"]
    return driver.client.read_flow_run(UUID(run_id)).id


def notified(driver: CaseDriver, case: Case, name: str) -> list[dict[str, Any]]:
    return driver.runtime.store.event_details(case.case_key, f"notified:{name}")


def test_the_agent_is_told_once_per_approval_form_and_the_case_summary_is_on_the_run(driver: CaseDriver) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    assert case.flow_run_id
    [asked] = notices(driver.sandboxes, Notice.APPROVAL_NEEDED)
    assert (asked["to"], linked_run(driver, asked)) == ([AGENT], UUID(case.flow_run_id))
    assert "Fjordkraft Bygg AS" in asked["subject"] and re.search(r"Lisenser etter:\s+55\r?\n", asked["text"])

    # A correction asks again (approval-2); the replay of the run from the top does not repeat approval-1.
    driver.resume(case, approved=False, approver="Ola", licences=50)
    approve_and_sign(driver, case.case_key)

    assert driver.case(case.case_key).state == CaseState.COMPLETED
    steps = sorted(m["message_id"] for m in notices(driver.sandboxes, Notice.APPROVAL_NEEDED))
    assert steps == [f"<{case.case_key}.approval-needed-approval-{n}@reforhandling>" for n in (1, 2)]
    [event] = notified(driver, case, "approval-needed:approval-1")
    assert (event["to"], event["link"]) == (
        AGENT,
        f"{driver.runtime.settings.prefect.ui_url}/runs/flow-run/{case.flow_run_id}",
    )
    artifacts = driver.client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(case.flow_run_id)]))
    )
    summaries = [a for a in artifacts if a.key == case_artifact_key(case.case_key)]
    # One version when drafted, one when completed: replays of the run add none.
    assert len(summaries) == 2
    final = max(summaries, key=lambda a: a.created or datetime.min.replace(tzinfo=UTC))
    assert "| Lisenser | 40 | 50 |" in str(final.data) and "invoice\\_service" in str(final.data)
    assert "[Deal i HubSpot](" in str(final.data)


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
    with use_runtime(build_runtime(settings)):
        driver.poll(now=opened + timedelta(hours=26))

    [reminder] = notices(driver.sandboxes, Notice.APPROVAL_REMINDER)
    assert (reminder["to"], linked_run(driver, reminder)) == ([AGENT], UUID(str(case.flow_run_id)))
    assert "ventet på godkjenning i 1 d 1 h" in reminder["text"]

    # Two pollers at once, each in its own thread with its own flow run.
    later = opened + timedelta(hours=73)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            barrier.wait()
            poll_signatures(now=later)
        except BaseException as error:  # the assertion below shows it
            errors.append(error)

    racers = [threading.Thread(target=poll) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=120)

    assert errors == []
    [escalation] = notices(driver.sandboxes, Notice.APPROVAL_ESCALATION)
    assert escalation["to"] == [settings.notifications.escalation_recipient]
    assert linked_run(driver, escalation) == UUID(str(case.flow_run_id))
    assert len(notices(driver.sandboxes, Notice.APPROVAL_REMINDER)) == 1
    assert [e["to"] for e in notified(driver, case, "approval-escalation:approval-1")] == [
        settings.notifications.escalation_recipient
    ]
    [board] = driver.client.read_latest_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[BOARD_KEY]))
    )
    assert case.case_key in str(board.data) and "approver (agent@avonova.example)" in str(board.data)
    assert f"/runs/flow-run/{case.flow_run_id}" in str(board.data)


def test_a_near_deadline_warns_the_agent_once_and_a_declined_contract_asks_for_a_decision_once(
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
    assert heads_up["to"] == [AGENT] and linked_run(driver, heads_up) == UUID(str(case.flow_run_id))

    driver.sandboxes.dealbuilder.decline(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)
    driver.resume(driver.case(case.case_key), action="extend_and_resend", decided_by="Ingrid")

    assert driver.pause_key(driver.case(case.case_key)) == "signature-2"
    [decision] = notices(driver.sandboxes, Notice.DECISION_NEEDED)
    assert decision["to"] == [AGENT] and "(DECLINED)" in decision["subject"]
    assert linked_run(driver, decision) == UUID(str(case.flow_run_id))


def test_ops_are_told_once_per_failure_with_the_reason_and_the_retry_link(driver: CaseDriver) -> None:
    # A request that changes nothing fails the run: the case needs attention.
    case = driver.start(**FJORDKRAFT, licences=40, price="450")
    assert case.state == CaseState.NEEDS_ATTENTION and case.flow_run_id
    [told] = notices(driver.sandboxes, Notice.NEEDS_ATTENTION)
    assert told["to"] == [driver.runtime.settings.routine.ops_recipient]
    assert "nothing to renegotiate" in told["text"] and "Retry" in told["text"]
    assert linked_run(driver, told) == UUID(case.flow_run_id)

    # Retried without fixing the cause: a second failure, a second mail; the first is not repeated.
    driver.client.set_flow_run_state(UUID(case.flow_run_id), AwaitingRetry(), force=True)
    driver.run(case)

    ids = sorted(m["message_id"] for m in notices(driver.sandboxes, Notice.NEEDS_ATTENTION))
    assert ids == [f"<{case.case_key}.needs-attention-failure-{n}@reforhandling>" for n in (1, 2)]
