"""How case tasks are cached and retried: results keyed by case key and step, retries only for transient faults."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prefect import Task
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import TaskRunContext

from adapters.errors import is_retryable

# Delays between task retries, after the adapters' own short retries have given up.
RETRY_DELAYS: list[float] = [2, 10, 30]

CacheKeyFn = Callable[[TaskRunContext, dict[str, Any]], str]


def case_step_key(*discriminators: str) -> CacheKeyFn:
    """Cache key `<case key>:<task>[:<name>=<value>...]` from the parameters named here (approval-2, signature
    round 2, ...): replays and ops retries of a case reuse the result, a different case never does (not the flow
    run id, so a retried or resumed run finds it too). Naming them means a renamed parameter fails loudly instead
    of silently sharing one result between two steps."""

    def key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
        parts = [str(parameters["case_key"]), context.task.name]
        parts += [f"{name}={parameters[name]}" for name in discriminators]
        return ":".join(parts)

    return key


def retry_on_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry a failed task only when the failure was transient (rate limit, 5xx, timeout)."""
    try:
        state.result()
    except Exception as error:
        retry = is_retryable(error)
        logging.getLogger(__name__).info("task %s failed (%s); retry: %s", task.name, type(error).__name__, retry)
        return retry
    return False


def system_step(*discriminators: str) -> dict[str, Any]:
    """The decorator arguments of a task that talks to an external system on behalf of a case; `discriminators`
    name the parameters that tell two runs of the step apart within one case."""
    return {
        "retries": 3,
        "retry_delay_seconds": RETRY_DELAYS,
        "retry_condition_fn": retry_on_transient,
        "cache_key_fn": case_step_key(*discriminators),
        "persist_result": True,
    }
