"""A person's Resume on the embedded (SQLite) stack is never refused for a locked database (issue 18): 100 resumes
sent as the UI sends them (one POST each, no retry) while 10 cases run through the served deployment, with the
poller and Dealbuilder's webhook resuming them.

The 100 resumed runs are cheap on purpose: runs of a deployment nobody serves, suspended at `approval-1` with the
real approval form's schema, so each resume is the server's whole resume (the form checked, the run rescheduled, the
answer stored) and costs no process. The answers are what the client saw: Prefect's own client would hide a 503 by
retrying it, so the test sends plain HTTP."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import State
from prefect.input.run_input import keyset_from_base_key
from prefect.states import Suspended

from config.settings import Settings
from devtools.embedded_stack import embedded_stack
from devtools.soak import SoakReport, count_outcome, drive_cases, start_cases
from flows.inputs import ContractApproval
from reforhandling.prefect_auth import basic_auth_header
from store.case_store import CaseStore

RESUMES = 100
CASES = 10
AT_ONCE = 5  # people pressing Submit in the same second


# Ten cases through served run phases, 30 process starts: minutes on 2 cores, many more beside other test runs.
@pytest.mark.timeout(1200)
def test_a_hundred_resumes_beside_ten_running_cases_are_never_refused_for_a_locked_database(tmp_path: Path) -> None:
    with embedded_stack(Settings(data_dir=tmp_path), "resumes", poll_seconds=30, webhook=True) as (
        settings,
        sandboxes,
        stack,
    ):
        store = CaseStore(settings.effective_database_url)
        with get_client(sync_client=True) as client:
            waiting = suspended_runs(client, RESUMES)
        keys = start_cases(settings, sandboxes, store, CASES)
        answers: list[tuple[int, str]] = []
        auth = basic_auth_header(stack.auth)

        def resume(run_id: UUID) -> tuple[int, str]:
            response = httpx.post(
                f"{settings.prefect.api_url}/flow_runs/{run_id}/resume",
                json={"run_input": {"approved": True, "approver": "Ola Kundeservice"}},
                headers=auth,
                timeout=60,
            )
            status = response.json().get("status", "") if response.status_code < 300 else response.text[:200]
            return response.status_code, status

        def a_few_people_press_resume() -> None:
            batch = [waiting.pop() for _ in range(min(AT_ONCE, len(waiting)))]
            with ThreadPoolExecutor(AT_ONCE) as pool:
                answers.extend(pool.map(resume, batch))

        report = SoakReport(cases=CASES)
        # One batch a round, while the drive approves and signs the cases (the webhook and the poller resume them).
        drive_cases(
            sandboxes, store, keys, report, deadline=time.monotonic() + 900, each_round=a_few_people_press_resume
        )
        while waiting:  # the cases were quicker than the people: the rest beside the poller alone
            a_few_people_press_resume()
        count_outcome(sandboxes, store, keys, report)
        locked = (stack.log_dir / "server.log").read_text(errors="replace").count("database is locked")

    refused = [answer for answer in answers if answer[0] >= 300]
    assert refused == [], f"{len(refused)} of {RESUMES} refused; server log: {locked} 'database is locked'"
    assert Counter(status for _, status in answers) == {"ACCEPT": RESUMES}
    assert report.problems == [] and report.completed == CASES, report.lines() + report.problems
    assert dict(report.duplicates) == {}
    assert locked == 0, f"the server log holds {locked} 'database is locked'"


def suspended_runs(client: SyncPrefectClient, count: int) -> list[UUID]:
    """`count` runs of an unserved deployment, each suspended at `approval-1` with the approval form's schema."""
    flow_id = client.create_flow_from_name("resume-target")
    deployment_id = client.create_deployment(flow_id=flow_id, name="resume-target")
    keyset = keyset_from_base_key("suspended-approval-1")
    runs = []
    for _ in range(count):
        run_id = client.create_flow_run_from_deployment(deployment_id).id
        ContractApproval.save(keyset, flow_run_id=run_id)
        state: State[None] = Suspended(pause_key="approval-1")
        state.state_details.run_input_keyset = {name: key for name, key in keyset.items()}
        client.set_flow_run_state(run_id, state, force=True)
        runs.append(run_id)
    return runs
