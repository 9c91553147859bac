"""A Prefect server killed with runs suspended at approval and at signature, then started again on the same data:
every case completes (issue 9). Suspended runs hold no process, so nothing but the server has to come back."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client

from config.settings import Settings
from devtools.embedded_stack import embedded_stack
from devtools.soak import SoakReport, count_outcome, drive_cases, start_cases
from models.case import CaseState
from store.case_store import CaseStore
from tests.processes import stop_process


def test_runs_suspended_at_approval_and_at_signature_complete_after_a_server_kill_and_restart(tmp_path: Path) -> None:
    with embedded_stack(Settings(data_dir=tmp_path), "restart", poll_seconds=2) as (settings, sandboxes, stack):
        store = CaseStore(settings.effective_database_url)
        at_approval, at_signature = start_cases(settings, sandboxes, store, 2)
        with get_client(sync_client=True) as client:
            # The case is marked before the approval notice goes out and the run suspends: wait for the pause itself.
            _wait(lambda: all(_paused(client, store, key) for key in (at_approval, at_signature)))
            run = UUID(str(store.get(at_signature).flow_run_id))
            answer = client.resume_flow_run(run, run_input={"approved": True, "approver": "Ola"})
            assert answer.status.value == "ACCEPT", answer.details
            _wait(lambda: store.get(at_signature).state is CaseState.AWAITING_SIGNATURE)

        # No goodbye: the server dies as on a power cut, then comes back on the same SQLite file.
        server = stack.processes.pop("server")
        stop_process(server, signal.SIGKILL, group=True)
        stack.start_server()

        report = SoakReport(cases=2)
        drive_cases(sandboxes, store, [at_approval, at_signature], report, deadline=time.monotonic() + 240)
        count_outcome(sandboxes, store, [at_approval, at_signature], report)

    assert report.problems == [] and report.completed == 2, report.lines() + report.problems
    assert dict(report.duplicates) == {}


def _wait(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (callable(condition) and condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def _paused(client: SyncPrefectClient, store: CaseStore, case_key: str) -> bool:
    case = store.get(case_key)
    if case.state is not CaseState.AWAITING_APPROVAL or case.flow_run_id is None:
        return False
    state = client.read_flow_run(UUID(case.flow_run_id)).state
    return state is not None and state.is_paused()
