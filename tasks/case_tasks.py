"""Tasks that only touch the case store: attach the run, mark a waiting state, record a person's decision."""

from __future__ import annotations

import logging
from typing import Any

from prefect import Flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State

from models.case import Case, CaseState
from reforhandling.wiring import get_runtime
from tasks.policy import case_step_key


@task(name="load-case", cache_policy=NO_CACHE)
def load_case(case_key: str) -> Case:
    """Read the case as stored now."""
    return get_runtime().store.get(case_key)


@task(name="attach-run", cache_key_fn=case_step_key, persist_result=True)
def attach_run(case_key: str, flow_run_id: str) -> Case:
    """Record the flow run that carries the case."""
    store = get_runtime().store
    store.add_event(case_key, actor="flow", kind="run-attached", details={"flow_run_id": flow_run_id})
    return store.update(case_key, flow_run_id=flow_run_id)


@task(name="mark-case", cache_key_fn=case_step_key, persist_result=True)
def mark_case(case_key: str, step: str, state: CaseState, details: dict[str, Any] | None = None) -> Case:
    """Move the case to a waiting or closing state (once per step); `details` go to the event, and `route` also
    onto the case."""
    details = {"step": step, **(details or {})}
    fields = {"route": details["route"]} if "route" in details else {}
    return get_runtime().store.transition(case_key, state, actor="flow", details=details, **fields)


@task(name="record-decision", cache_key_fn=case_step_key, persist_result=True)
def record_decision(case_key: str, step: str, decided_by: str, decision: dict[str, Any]) -> None:
    """Put a person's decision (who, what) in the case's event log."""
    get_runtime().store.add_event(case_key, actor=decided_by or "unknown", kind=f"decision:{step}", details=decision)


def mark_needs_attention(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Flow failure hook: flag the case for ops with the reason, so `reforhandling cases` shows it."""
    case_key = str(flow_run.parameters.get("case_key", ""))
    reason = (state.message or state.name or "failed")[:1000]
    logger = logging.getLogger(__name__)
    try:
        store = get_runtime().store
        store.transition(case_key, CaseState.NEEDS_ATTENTION, actor="flow", reason=reason, details={"reason": reason})
    except Exception:
        logger.exception("case %s: could not be flagged NEEDS_ATTENTION after the run failed: %s", case_key, reason)
    else:
        logger.error(
            "case %s needs attention: %s. Fix the cause, then Retry the run in the Prefect UI.", case_key, reason
        )
