"""Beyond one machine (issue 9): a Prefect server on PostgreSQL, the deployments from `deployments/prefect.yaml`
by `prefect deploy`, two real `prefect worker start` processes on the process pool, and ten cases: both workers
take runs, and every case completes once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.settings import temporary_settings

from config.settings import PROJECT_ROOT, Settings
from devtools.prefect_stack import PrefectStack, prefect_env, settings_env
from devtools.soak import SoakReport, count_outcome, drive_cases, start_cases
from reforhandling.prefect_auth import auth_string, client_settings
from sandbox.kit import free_port
from sandbox.stack import SandboxStack
from store.case_store import CaseStore
from tests.conftest import prefect_cli
from tests.postgres import create_database, postgres_server
from tests.processes import stop_process

CASES = 10
POOL = "reforhandling-process"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Settings, SandboxStack, dict[str, str]]]:
    """PostgreSQL for the server and the case store, the sandboxes, a Prefect server; yields the settings, the
    sandboxes and the environment every Prefect process of ours gets."""
    with postgres_server() as postgres, SandboxStack.start(Settings(), free_ports=True) as sandboxes:
        base = Settings(data_dir=tmp_path, database_url=create_database(postgres, "cases"))
        settings = sandboxes.configure(
            base.model_copy(update={"prefect": base.prefect.model_copy(update={"port": free_port()})})
        )
        auth, _ = auth_string(settings, create=True)
        server_db = create_database(postgres, "prefect").replace("+psycopg", "+asyncpg")
        stack = PrefectStack(
            settings, tmp_path / "prefect", tmp_path / "logs", auth=auth, server_database_url=server_db
        )
        env = {
            **os.environ,
            **prefect_env(settings, tmp_path / "prefect", auth=auth, poll_seconds=1),
            **settings_env(settings),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "2",
            "REFORHANDLING_CHECKOUT": str(PROJECT_ROOT),
            "REFORHANDLING_RESULT_STORAGE_BLOCK": "local-file-system/reforhandling-results",
        }
        try:
            stack.start_server()
            with temporary_settings(client_settings(settings)):
                yield settings, sandboxes, env
        finally:
            stack.stop()


def test_two_workers_share_ten_cases_deployed_from_prefect_yaml_and_each_completes_once(
    world: tuple[Settings, SandboxStack, dict[str, str]], tmp_path: Path
) -> None:
    from prefect.filesystems import LocalFileSystem

    settings, sandboxes, env = world
    # The result storage every worker shares: a suspended case resumes on whichever worker picks it up.
    LocalFileSystem(basepath=str(tmp_path / "results")).save("reforhandling-results")
    prefect_cli(env, "work-pool", "create", POOL, "--type", "process")
    prefect_cli(env, "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
    # The deployments say production; here they run on the sandboxes, whose placeholder secrets production refuses.
    with get_client(sync_client=True) as client:
        for name in (settings.prefect.flow_deployment, settings.prefect.poller_deployment, settings.intake.deployment):
            deployment = client.read_deployment_by_name(name)
            job = dict(deployment.job_variables or {})
            job["env"] = {**job.get("env", {}), "REFORHANDLING_PROFILE": "local"}
            client.update_deployment(deployment.id, DeploymentUpdate(job_variables=job))

    logs = [tmp_path / f"worker-{name}.log" for name in ("a", "b")]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", log.stem, "--limit", "3"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for log in logs
    ]
    try:
        store = CaseStore(settings.effective_database_url)
        keys = start_cases(settings, sandboxes, store, CASES)
        report = SoakReport(cases=CASES)
        with get_client(sync_client=True) as client:
            poller = client.read_deployment_by_name(settings.prefect.poller_deployment)
            last_poll = [0.0]

            def poll_now() -> None:
                # The poller's own schedule is 5 minutes; a test asks for a poll every few seconds.
                if time.monotonic() - last_poll[0] > 4:
                    client.create_flow_run_from_deployment(poller.id)
                    last_poll[0] = time.monotonic()

            drive_cases(sandboxes, store, keys, report, deadline=time.monotonic() + 420, each_round=poll_now)
        count_outcome(sandboxes, store, keys, report)
    finally:
        # A worker waits for its runs to finish before it stops: on a loaded machine that can take minutes.
        for worker in workers:
            stop_process(worker, signal.SIGTERM, group=True)

    assert report.problems == [] and report.completed == CASES, report.lines() + report.problems
    assert dict(report.duplicates) == {}
    runs = [set(re.findall(r"flow run '([0-9a-f-]{36})'", log.read_text())) for log in logs]
    assert all(runs), [log.read_text()[-2000:] for log in logs]
