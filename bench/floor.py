"""Prefect's floor for the stack benchmarks: a trivial flow with our run phases (suspends and resumes) and as many
task runs per phase as ours, served like ours (`serve`, limit 4, one process per run phase).

Serve it: python -m bench.floor. Start one run as a command would (a new process that imports Prefect and creates
the run, as `reforhandling start` does): python -m bench.floor start CASE 11,7,9 (new tasks per phase)."""

from __future__ import annotations

import sys
from typing import Any, cast

from prefect import flow, serve, task
from prefect.context import TaskRunContext
from prefect.deployments.runner import RunnerDeployment
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput

DEPLOYMENT = "floor/floor"


class Go(RunInput):
    go: bool


def _step_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return f"{parameters['case']}-{parameters['number']}"


@task(persist_result=True, cache_key_fn=_step_key)
def step(case: str, number: int) -> int:
    """Do nothing, as a task run."""
    return number


@flow(name="floor", persist_result=True)
def floor(case: str, tasks: list[int]) -> None:
    """Run `tasks[phase]` new tasks, suspend, and again for each phase (earlier tasks come back cached on every
    resume, as ours do)."""
    number = 0
    for phase, count in enumerate(tasks):
        for _ in range(count):
            step(case, number)
            number += 1
        if phase < len(tasks) - 1:
            suspend_flow_run(wait_for_input=Go, key=f"phase-{phase}", timeout=None)


def new_tasks_per_phase(task_runs: list[int]) -> list[int]:
    """The new tasks each phase must run for the floor to make `task_runs[phase]` task runs in that phase, when
    every phase first replays the tasks of the phases before it (as cached runs)."""
    new: list[int] = []
    for runs in task_runs:
        new.append(max(0, runs - sum(new)))
    return new


def start(case: str, tasks: str) -> None:
    """Create one floor run from its deployment and print its id (the floor's `reforhandling start`)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
        parameters = {"case": case, "tasks": [int(count) for count in tasks.split(",")]}
        print(client.create_flow_run_from_deployment(deployment.id, parameters=parameters).id, flush=True)


# serve starts its children with multiprocessing spawn: without the guard each child would serve again.
if __name__ == "__main__":
    if sys.argv[1:2] == ["start"]:
        start(*sys.argv[2:])
    else:
        serve(cast(RunnerDeployment, floor.to_deployment(name="floor")), limit=4, print_starting_message=False)
