"""What the stack benchmarks share: the local stack with the HubSpot sandbox's limit where wanted, the floor's
serve process beside ours, and what Prefect recorded about a set of runs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from uuid import UUID

from config.settings import PROJECT_ROOT, Settings
from devtools.embedded_stack import embedded_stack
from devtools.prefect_stack import PrefectStack
from sandbox.kit import RollingWindowLimiter
from sandbox.stack import SandboxStack


@contextlib.contextmanager
def local_stack(
    name: str,
    *,
    poll_seconds: int,
    hubspot_limit: int | None = None,
    webhook: bool = False,
    server_database_url: str | None = None,
) -> Iterator[tuple[Settings, SandboxStack, PrefectStack]]:
    """The embedded local stack (`reforhandling demo`'s, with Dealbuilder's webhook receiver as on `up` when
    `webhook`, the Prefect server's database at `server_database_url` if given); `hubspot_limit` None lifts the
    sandbox's rate limit (a benchmark of machine time is not one of riding out 429s)."""
    stack_of = embedded_stack(
        Settings(), name, poll_seconds=poll_seconds, webhook=webhook, server_database_url=server_database_url
    )
    with stack_of as (settings, sandboxes, stack):
        hubspot = sandboxes.hubspot
        hubspot.rate_limit = hubspot_limit or 1_000_000
        hubspot.limiter = RollingWindowLimiter(hubspot.rate_limit, hubspot.rate_window)
        yield settings, sandboxes, stack


@contextlib.contextmanager
def floor_serve(settings: Settings, stack: PrefectStack) -> Iterator[subprocess.Popen[bytes]]:
    """bench.floor served on the same server (this process's Prefect settings point at it)."""
    log = (stack.log_dir / "floor-serve.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.floor"],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        stack.wait_for_deployment("floor/floor")
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()


@dataclass
class RunShape:
    runs: int
    phases: int  # run phases (process starts) over all runs
    task_runs: int


def run_shape(run_ids: list[UUID]) -> RunShape:
    """How many run phases (Running states) and task runs Prefect recorded for these flow runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    phases = task_runs = 0
    with get_client(sync_client=True) as client:
        for run_id in run_ids:
            phases += sum(1 for state in client.read_flow_run_states(run_id) if state.type.value == "RUNNING")
            offset = 0
            while True:
                found = client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])), limit=200, offset=offset
                )
                task_runs += len(found)
                if len(found) < 200:
                    break
                offset += 200
    return RunShape(len(run_ids), phases, task_runs)


def drive_floor(run_ids: list[UUID], *, deadline: float) -> None:
    """Resume every suspended floor run until all are final."""
    from prefect.client.orchestration import get_client

    pending = set(run_ids)
    with get_client(sync_client=True) as client:
        while pending and time.monotonic() < deadline:
            for run_id in list(pending):
                state = client.read_flow_run(run_id).state
                if state is None:
                    continue
                if state.is_final():
                    pending.discard(run_id)
                elif state.is_paused():
                    client.resume_flow_run(run_id, run_input={"go": True})
            time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} floor runs not final in time")


def started_runs(flow_name: str) -> int:
    """How many runs of the flow have started so far (the poller's are what ours pays per poll)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterStartTime

    with get_client(sync_client=True) as client:
        return client.count_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
        )


def until(condition: Callable[[], bool], *, timeout: float) -> None:
    """Poll `condition` every 0.1 s until it holds; past `timeout` seconds the benchmark stops with TimeoutError."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:.0f}s")
        time.sleep(0.1)
