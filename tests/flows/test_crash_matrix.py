"""The crash matrix (issue 9): the flow-run process is SIGKILLed while a write is in flight, or after a create
landed but before its id was recorded; an ops Retry (a forced AwaitingRetry, as the UI's button) then completes
the case with exactly one record of each kind, and nobody is asked twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_LOCAL_STORAGE_PATH
from prefect.states import AwaitingRetry

from config.settings import PROJECT_ROOT
from devtools.prefect_stack import settings_env
from models.case import Case, CaseState
from models.notices import Notice
from models.renegotiation import RenegotiationRequest
from reforhandling.starting import start_case
from sandbox import records
from sandbox.kit import FaultKind, FaultRule, SandboxApp
from sandbox.world import customer_by_ticket
from tests.flows.conftest import CaseDriver, notices
from tests.processes import stop_process

HELD_SECONDS = 3.0


@dataclass(frozen=True)
class Kill:
    """Where the process dies: the sandbox holds the matching request, and the test kills the process then."""

    system: str  # hubspot | dealbuilder | licences
    route: str  # regex on "METHOD path"
    kind: FaultKind  # slow: before the sandbox carries it out; slow_after: carried out, not yet answered
    after: str  # start | approval | signature: what the case has been through when the fault is set
    ticket: str = "5001"
    licences: int = 55


MATRIX = [
    pytest.param(Kill("hubspot", r"^PUT /crm/v4/objects/tickets/", "slow", "start"), id="enrichment"),
    pytest.param(Kill("hubspot", r"^POST /crm/v3/objects/deals$", "slow", "start"), id="deal creation"),
    pytest.param(
        Kill("hubspot", r"^POST /crm/v3/objects/deals$", "slow_after", "start"), id="deal created, id not recorded"
    ),
    pytest.param(Kill("dealbuilder", r"^POST /v1/Documents$", "slow", "start"), id="drafting"),
    pytest.param(
        Kill("dealbuilder", r"^POST /v1/Documents$", "slow_after", "start"), id="draft created, id not recorded"
    ),
    pytest.param(Kill("dealbuilder", r"^POST /v1/Documents/[^/]+/send$", "slow_after", "approval"), id="sending"),
    pytest.param(Kill("licences", r"^PUT /api/v1/customers/", "slow_after", "signature"), id="licence write"),
    pytest.param(
        Kill("hubspot", r"^PATCH /crm/v3/objects/companies/", "slow_after", "signature", "5002", 54),
        id="nedjustering",
    ),
    pytest.param(
        Kill("hubspot", r"^POST /crm/v3/objects/notes$", "slow_after", "signature"), id="note created, not recorded"
    ),
    pytest.param(Kill("hubspot", r"^PATCH /crm/v3/objects/tickets/", "slow", "signature"), id="ticket handover"),
]


@pytest.mark.parametrize("kill", MATRIX)
def test_a_killed_run_retried_by_ops_completes_with_one_record_of_each_kind(driver: CaseDriver, kill: Kill) -> None:
    sandboxes = driver.sandboxes
    app: SandboxApp = getattr(sandboxes, kill.system)
    customer = customer_by_ticket(kill.ticket)
    case = _open(driver, kill.ticket, kill.licences)
    if kill.after != "start":
        driver.run(case)
        _answer(driver, case, approved=True, approver="Ola")
    if kill.after == "signature":
        driver.run(driver.case(case.case_key))
        _sign_and_poll(driver, case)

    app.faults.set([FaultRule(kind=kill.kind, route=kill.route, delay=HELD_SECONDS, count=1)])
    _run_until_killed(driver, driver.case(case.case_key), lambda: any(re.search(kill.route, a) for a in app.arrivals))
    # The held request goes on without the dead process, as a real server's would; ops retry after it is done.
    method, path = kill.route.removeprefix("^").split(" ", 1)
    _wait_for(lambda: app.requests(method=method, path="^" + path) != [], "the held request to finish")
    app.faults.set([])

    driver.client.set_flow_run_state(UUID(str(case.flow_run_id)), AwaitingRetry(), force=True)
    driver.run(driver.case(case.case_key))
    _finish(driver, case)

    case = driver.case(case.case_key)
    assert case.state == CaseState.COMPLETED, case.reason
    assert len(records.deals(sandboxes, case.case_key)) == 1
    [document] = records.documents(sandboxes, case.case_key)
    assert sorted(d["channel"] for d in sandboxes.dealbuilder.deliveries(document["id"])) == ["email", "sms"]
    assert len(records.notes(sandboxes, kill.ticket)) == 1
    assert [c["after"] for c in sandboxes.licences.changes() if c["customerId"] == customer.org_number] == [
        kill.licences
    ]
    asked = {event.kind for event in driver.runtime.store.events(case.case_key) if event.kind.startswith("decision:")}
    assert "decision:approval-2" not in asked


def _open(driver: CaseDriver, ticket: str, licences: int) -> Case:
    customer = customer_by_ticket(ticket)
    request = RenegotiationRequest(
        ticket_id=ticket,
        signer_email=customer.signer_email,
        licences=licences,
        price_per_licence=Decimal("450"),
        agent_email="agent@avonova.example",
    )
    settings = driver.runtime.settings
    return start_case(request, settings=settings, store=driver.runtime.store, client=driver.client, actor="test")


def _answer(driver: CaseDriver, case: Case, **run_input: object) -> None:
    result = driver.client.resume_flow_run(UUID(str(case.flow_run_id)), run_input=run_input)
    assert result.status.value == "ACCEPT", result.details


def _sign_and_poll(driver: CaseDriver, case: Case) -> None:
    contract_id = driver.case(case.case_key).contract_id
    assert contract_id
    driver.sandboxes.dealbuilder.sign(contract_id)
    assert driver.poll() == 1


def _finish(driver: CaseDriver, case: Case) -> None:
    """Play the people and the poller until the case closes."""
    for _ in range(6):
        current = driver.case(case.case_key)
        key = driver.pause_key(current)
        if current.state in (CaseState.COMPLETED, CaseState.NEEDS_ATTENTION):
            return
        if key == "approval-1":
            _answer(driver, current, approved=True, approver="Ola")
        elif key == "signature":
            _sign_and_poll(driver, current)
        else:
            raise AssertionError(f"case {current.case_key} in {current.state}, paused at {key!r}")
        driver.run(driver.case(case.case_key))


def test_a_run_stopped_by_sigterm_while_sending_is_rescheduled_by_the_next_poll_and_nobody_is_asked_again(
    driver: CaseDriver,
) -> None:
    sandboxes = driver.sandboxes
    route = r"^POST /v1/Documents/[^/]+/send$"
    case = _open(driver, "5001", 55)
    driver.run(case)
    _answer(driver, case, approved=True, approver="Ola")
    sandboxes.dealbuilder.faults.set([FaultRule(kind="slow", route=route, delay=HELD_SECONDS, count=1)])
    arrived = lambda: any(re.search(route, a) for a in sandboxes.dealbuilder.arrivals)  # noqa: E731
    _run_until_killed(driver, case, arrived, signal.SIGTERM)
    run_id = UUID(str(case.flow_run_id))
    _wait_for(lambda: driver.client.read_flow_run(run_id).state.is_final(), "the stopped run to report")  # type: ignore[union-attr]
    _wait_for(lambda: sandboxes.dealbuilder.requests(method="POST", path=route.removeprefix("^POST ")) != [], "send")
    sandboxes.dealbuilder.faults.set([])
    # A stop, not a failure: nobody is asked to look at it, and the next poll puts the run back on the schedule.
    assert driver.case(case.case_key).state is CaseState.AWAITING_APPROVAL
    assert driver.poll() == 0
    assert driver.client.read_flow_run(run_id).state.name == "AwaitingRetry"  # type: ignore[union-attr]

    # From the top, with the approval already given: on to the signature, not the approval form again.
    driver.run(driver.case(case.case_key))
    assert driver.pause_key(driver.case(case.case_key)) == "signature"
    _sign_and_poll(driver, case)
    driver.run(driver.case(case.case_key))
    case = driver.case(case.case_key)
    assert case.state == CaseState.COMPLETED, case.reason
    [document] = records.documents(sandboxes, case.case_key)
    assert sorted(d["channel"] for d in sandboxes.dealbuilder.deliveries(document["id"])) == ["email", "sms"]
    assert len(records.deals(sandboxes, case.case_key)) == 1
    kinds = [event.kind for event in driver.runtime.store.events(case.case_key)]
    assert "state:NEEDS_ATTENTION" not in kinds and kinds.count("run-rescheduled") == 1, kinds
    assert [kind for kind in kinds if kind.startswith("decision:approval")] == ["decision:approval-1"]
    assert notices(sandboxes, Notice.NEEDS_ATTENTION) == []
    assert len(notices(sandboxes, Notice.APPROVAL_NEEDED)) == 1


def _run_until_killed(
    driver: CaseDriver, case: Case, arrived: Callable[[], bool], signum: signal.Signals = signal.SIGKILL
) -> None:
    env = {
        **os.environ,
        **settings_env(driver.runtime.settings),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_LOCAL_STORAGE_PATH": str(PREFECT_LOCAL_STORAGE_PATH.value()),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.flows.worker_process", str(case.flow_run_id), case.case_key],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: arrived() or worker.poll() is not None, "the request to arrive")
        assert worker.poll() is None, worker.stderr.read().decode()[-3000:] if worker.stderr else ""
    finally:
        stop_process(worker, signum)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_stage_write_is_read_back_on_retry_and_a_newer_stage_someone_set_is_kept(driver: CaseDriver) -> None:
    """Issue 22: the run dies while HubSpot holds the answer to our ticket-stage PATCH; order/invoice then closes
    the ticket; ops retry. The retried step reads the stage back instead of writing it again: the ticket stays
    closed, the case records it, ops are told once, and the case completes."""
    sandboxes = driver.sandboxes
    case = _open(driver, "5001", 55)
    driver.run(case)
    _answer(driver, case, approved=True, approver="Ola")
    route = r"^PATCH /crm/v3/objects/tickets/"
    sandboxes.hubspot.faults.set([FaultRule(kind="slow_after", route=route, delay=HELD_SECONDS, count=1)])
    before = len(sandboxes.hubspot.arrivals)  # the ticket was renamed before the approval
    _run_until_killed(
        driver,
        driver.case(case.case_key),
        lambda: any(re.search(route, a) for a in sandboxes.hubspot.arrivals[before:]),
    )
    held = "^/crm/v3/objects/tickets/"
    _wait_for(lambda: any(r["fault"] for r in sandboxes.hubspot.requests("PATCH", held)), "the held request")
    sandboxes.hubspot.faults.set([])
    assert records.stage_label(sandboxes, "5001") == "Sendt kontrakt"
    driver.runtime.crm.move_ticket(ticket_id="5001", stage_label="Lukket")  # someone else, past the flow

    driver.client.set_flow_run_state(UUID(str(case.flow_run_id)), AwaitingRetry(), force=True)
    driver.run(driver.case(case.case_key))
    _finish(driver, case)

    case = driver.case(case.case_key)
    assert case.state == CaseState.COMPLETED, case.reason
    assert records.stage_label(sandboxes, "5001") == "Lukket"
    sent_stage = sandboxes.hubspot.requests("PATCH", "^/crm/v3/objects/tickets/5001$")
    assert len([r for r in sent_stage if "hs_pipeline_stage" in (r["body"] or {}).get("properties", {})]) == 2
    [superseded] = driver.runtime.store.event_details(case.case_key, "superseded:ticket-stage:sent")
    assert superseded["kept"] == {"hs_pipeline_stage": "81234571"} and superseded["restored"] is False
    [told] = notices(sandboxes, Notice.WRITE_SUPERSEDED)
    assert told["to"] == [driver.runtime.settings.routine.ops_recipient]
    assert "hs_pipeline_stage" in told["text"]
