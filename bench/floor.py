"""Prefect's floor for bench.overhead: a trivial flow with a given number of run phases (suspends and resumes) and
tasks, served like ours (`serve`, limit 4, one process per run phase). Serve it: python -m bench.floor."""

from __future__ import annotations

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
def floor(case: str, phases: int, tasks_per_phase: int) -> None:
    """Run `tasks_per_phase` tasks, suspend, and again, `phases` times (earlier tasks come back cached)."""
    for phase in range(phases):
        for number in range(tasks_per_phase):
            step(case, phase * tasks_per_phase + number)
        if phase < phases - 1:
            suspend_flow_run(wait_for_input=Go, key=f"phase-{phase}", timeout=None)


# serve starts its children with multiprocessing spawn: without the guard each child would serve again.
if __name__ == "__main__":
    serve(cast(RunnerDeployment, floor.to_deployment(name="floor")), limit=4, print_starting_message=False)
