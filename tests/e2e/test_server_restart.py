"""A Prefect server killed with runs suspended at approval and at signature, then started again on the same data:
every case completes (issue 9). Suspended runs hold no process, so nothing but the server has to come back."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client

from config.settings import Settings
from devtools.embedded_stack import embedded_stack
from devtools.soak import SoakReport, count_outcome, drive_cases, start_cases
from models.case import CaseState
from store.case_store import CaseStore
from tests.processes import DRIVE_BOUND_SECONDS, PROCESS_TEST_TIMEOUT, stop_process
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT)


def test_runs_suspended_at_approval_and_at_signature_complete_after_a_server_kill_and_restart(tmp_path: Path) -> None:
    with embedded_stack(Settings(data_dir=tmp_path), "restart", poll_seconds=2) as (settings, sandboxes, stack):
        store = CaseStore(settings.effective_database_url)
        at_approval, at_signature = start_cases(settings, sandboxes, store, 2)
        with get_client(sync_client=True) as client:
            # The case is marked before the approval notice goes out and the run suspends, and the run stores its form
            # just after its state turns Suspended: wait until the Resume dialog could show it.
            cases = (at_approval, at_signature)
            wait_until(lambda: all(_form_ready(client, store, key) for key in cases), "both forms")
            run = UUID(str(store.get(at_signature).flow_run_id))
            answer = client.resume_flow_run(run, run_input={"approved": True, "approver": "Ola"})
            assert answer.status.value == "ACCEPT", answer.details
            wait_until(lambda: store.get(at_signature).state is CaseState.AWAITING_SIGNATURE, "the contract sent")

        # No goodbye: the server dies as on a power cut, then comes back on the same SQLite file.
        server = stack.processes.pop("server")
        stop_process(server, signal.SIGKILL, group=True)
        stack.start_server()

        report = SoakReport(cases=2)
        drive_cases(
            sandboxes,
            store,
            [at_approval, at_signature],
            report,
            deadline=time.monotonic() + DRIVE_BOUND_SECONDS,
        )
        count_outcome(sandboxes, store, [at_approval, at_signature], report)

    assert report.problems == [] and report.completed == 2, report.lines() + report.problems
    assert dict(report.duplicates) == {}


def _form_ready(client: SyncPrefectClient, store: CaseStore, case_key: str) -> bool:
    case = store.get(case_key)
    if case.state is not CaseState.AWAITING_APPROVAL or case.flow_run_id is None:
        return False
    state = client.read_flow_run(UUID(case.flow_run_id)).state
    keyset = state.state_details.run_input_keyset if state is not None and state.is_paused() else None
    if not keyset:
        return False
    try:
        client.read_flow_run_input(UUID(case.flow_run_id), keyset["schema"])
    except httpx.HTTPStatusError:
        return False
    return True
