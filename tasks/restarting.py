"""A stop is not a failure: a case run ended by stopping `up` or a worker is put back on Prefect's schedule
(AwaitingRetry, as the UI's Retry does), so the next `up` or another worker carries it on without a person.

Stopping the runner (`serve`) cancels its runs with "Runner is shutting down."; a SIGTERM or SIGINT that reaches a
flow-run process crashes it with "Execution was aborted by a termination signal." (or the runner reports the
exit status of the signal). Those are stops. Anything else (an exception, a SIGKILL, a person's Cancel) is not."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, State
from prefect.client.schemas.responses import OrchestrationResult, SetStateStatus
from prefect.logging import get_logger
from prefect.states import AwaitingRetry

from bootstrap.runtime import Runtime
from models.case import CLOSED_STATES, Case, CaseState
from store.case_store import CaseStore

Logger = logging.Logger | logging.LoggerAdapter[Any]

# What Prefect 3.9 writes on a run its runner or worker stopped (prefect.states.exception_to_crashed_state, the
# runner's CancellationManager.cancel_all, the exit status of SIGTERM/SIGINT in runner._flow_run_executor).
STOP_MESSAGES = (
    "aborted by a termination signal",
    "aborted by an interrupt signal",
    "Runner is shutting down",
    "status code: -15.",
    "status code: 143.",
    "status code: -2.",
    "status code: 130.",
)
INTERRUPTED = "run-interrupted"
RESCHEDULED = "run-rescheduled"
# read_flow_runs answers at most 200 runs per call.
PAGE = 200


def stopped(state: State[Any] | None) -> bool:
    """Whether the run was ended by a stop of its runner or worker rather than by a failure or a person."""
    if state is None or not (state.is_crashed() or state.is_cancelled() or state.is_cancelling()):
        return False
    return any(message in (state.message or "") for message in STOP_MESSAGES)


def record_interruption(case_key: str, flow_run_id: str, state: State[Any], store: CaseStore) -> None:
    """Put the stop in the case's log (once per stop: the crash and the cancellation hooks may both see it)."""
    last = store.events(case_key)[-1:]
    if last and last[0].kind == INTERRUPTED:
        return
    details = {"flow_run_id": flow_run_id, "state": state.name, "message": state.message or ""}
    store.add_event(case_key, actor="flow", kind=INTERRUPTED, details=details)
    logging.getLogger(__name__).warning(
        "case %s: run %s stopped (%s); it is rescheduled when a runner or worker is back", case_key, flow_run_id, state
    )


def reschedule_stopped_runs(
    client: SyncPrefectClient, store: CaseStore, *, orphans: bool, logger: Logger, actor: str
) -> list[str]:
    """Put every open case's stopped run back on the schedule; the keys of the cases whose run was rescheduled.

    With `orphans` (only where no runner can be running them: the local stack's serve, before it starts), runs left
    Pending, Running or Cancelling by a runner killed before it could report are stopped runs too."""
    cases = {
        case.flow_run_id: case
        for case in store.cases()
        if case.flow_run_id and case.state not in CLOSED_STATES and case.state is not CaseState.NEEDS_ATTENTION
    }
    rescheduled = []
    for run in _runs(client, cases):
        case = cases[str(run.id)]
        state = run.state
        if state is None:
            continue
        # A Cancelling run may still be in its runner's hands, unless no runner can be running it.
        ended = stopped(state) and state.is_final()
        left = orphans and (state.is_pending() or state.is_running() or state.is_cancelling())
        if not (ended or left):
            continue
        result: OrchestrationResult[Any] = client.set_flow_run_state(
            run.id, AwaitingRetry(message=f"rescheduled after a stop ({state.name})")
        )
        if result.status != SetStateStatus.ACCEPT:
            logger.warning("case %s: run %s not rescheduled: %s", case.case_key, run.id, result.details)
            continue
        details = {"flow_run_id": str(run.id), "from": state.name, "message": state.message or ""}
        store.add_event(case.case_key, actor=actor, kind=RESCHEDULED, details=details)
        logger.info("case %s: run %s was %s after a stop; rescheduled", case.case_key, run.id, state.name)
        rescheduled.append(case.case_key)
    return rescheduled


def _runs(client: SyncPrefectClient, cases: dict[str, Case]) -> Iterable[FlowRun]:
    ids = [UUID(run_id) for run_id in cases]
    for start in range(0, len(ids), PAGE):
        flow_run_filter = FlowRunFilter(id=FlowRunFilterId(any_=ids[start : start + PAGE]))
        yield from client.read_flow_runs(flow_run_filter=flow_run_filter, limit=PAGE)


@task(name="reschedule-stopped-runs", cache_policy=NO_CACHE)
def reschedule_stopped(rt: Runtime) -> list[str]:
    """Put the runs a stopped runner or worker left behind back on the schedule, for any worker to take."""
    with get_client(sync_client=True) as client:
        return reschedule_stopped_runs(
            client, rt.store, orphans=False, logger=get_run_logger(), actor="poll-signatures"
        )


def reschedule_left_runs(store: CaseStore) -> None:
    """Before the local stack's runner starts: reschedule the runs its last stop interrupted, or left running."""
    logger = get_logger("reforhandling.restarting")
    try:
        with get_client(sync_client=True) as client:
            reschedule_stopped_runs(client, store, orphans=True, logger=logger, actor="reforhandling up")
    except Exception:
        # The poller reschedules the stopped ones on its next round; the runner must start anyway.
        logger.exception("runs interrupted by the last stop could not be rescheduled now")
