"""How case tasks are cached and retried: results keyed by case key and step, retries only for transient faults."""

from __future__ import annotations

import logging
from typing import Any

from prefect import Task
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import TaskRunContext

from adapters.errors import is_retryable

# Delays between task retries, after the adapters' own short retries have given up.
RETRY_DELAYS: list[float] = [2, 10, 30]

# Parameters that tell two runs of the same step apart within one case (approval-2, signature round 2, ...).
_DISCRIMINATORS = ("attempt", "round", "step")


def case_step_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Cache key `<case key>:<task>[:<attempt/round/step>]`: replays and ops retries of a case reuse the result,
    a different case never does (not the flow run id, so a retried or resumed run finds it too)."""
    parts = [str(parameters["case_key"]), context.task.name]
    parts += [f"{name}={parameters[name]}" for name in _DISCRIMINATORS if name in parameters]
    return ":".join(parts)


def retry_on_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry a failed task only when the failure was transient (rate limit, 5xx, timeout)."""
    try:
        state.result()
    except Exception as error:
        retry = is_retryable(error)
        logging.getLogger(__name__).info("task %s failed (%s); retry: %s", task.name, type(error).__name__, retry)
        return retry
    return False


# The decorator arguments of every task that talks to an external system on behalf of a case.
SYSTEM_STEP: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_on_transient,
    "cache_key_fn": case_step_key,
    "persist_result": True,
}
