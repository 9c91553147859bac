"""Tasks and hooks that only touch the case store: attach the run, mark waiting states, record decisions, flag
a failed run for ops and put a retried one back where it failed."""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from uuid import UUID

from prefect import Flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State

from bootstrap.runtime import Runtime
from models.board import waits_for
from models.case import CLOSED_STATES, Case, CaseState
from models.notices import Due, Notice
from models.renegotiation import Terms
from tasks.artifacts import write_case_summary
from tasks.notifying import notify_once
from tasks.policy import case_step_key
from tasks.restarting import record_interruption, stopped
from tasks.ticket_status import show_status

# How `reforhandling cancel` words the state it cancels a run with: the case is being closed, not left to ops.
OPS_CANCEL_PREFIX = "cancelled by "


@task(name="attach-run", cache_policy=NO_CACHE)
def attach_run(rt: Runtime, case_key: str, flow_run_id: str) -> Case:
    """Record the flow run that carries the case (the poller resumes that run)."""
    store = rt.store
    case = store.get(case_key)
    if case.flow_run_id == flow_run_id:
        return case
    store.add_event(case_key, actor="flow", kind="run-attached", details={"flow_run_id": flow_run_id})
    return store.update(case_key, flow_run_id=flow_run_id)


@task(name="reopen-case", cache_policy=NO_CACHE)
def reopen_case(rt: Runtime, case_key: str) -> Case:
    """After an ops retry, put a NEEDS_ATTENTION case back in the state it failed in, so the run goes on from there."""
    store = rt.store
    case = store.get(case_key)
    if case.state is not CaseState.NEEDS_ATTENTION or case.attention_from is None:
        return case
    reopened = store.transition(
        case_key, case.attention_from, actor="flow", reason=None, attention_from=None, details={"retried": True}
    )
    show_status(rt, reopened)
    return reopened


@task(name="snapshot-terms", cache_key_fn=case_step_key("attempt"), persist_result=True)
def snapshot_terms(rt: Runtime, case_key: str, attempt: int) -> Terms:
    """The licences and price the case asks for when its run first reads them, kept: a replay must not see the
    corrections a later approval round wrote to the case. The flow asks for attempt 1 only and carries the terms on
    through the corrections; `attempt` stays in the key so that runs suspended before that find their snapshot."""
    case = rt.store.get(case_key)
    return Terms(licences=case.licences_after, price_per_licence=case.price_after)


@task(name="mark-case", cache_key_fn=case_step_key("step"), persist_result=True)
def mark_case(rt: Runtime, case_key: str, step: str, state: CaseState, details: dict[str, Any] | None = None) -> Case:
    """Move the case to a waiting or closing state (once per step) and refresh its summary artifact; `details` go to
    the event, and `route` also onto the case."""
    details = {"step": step, **(details or {})}
    fields = {"route": details["route"]} if "route" in details else {}
    case = rt.store.transition(case_key, state, actor="flow", details=details, **fields)
    show_status(rt, case)
    # The run page's log says whom it waits for now (its summary artifact too).
    waiting = waits_for(case, rt.today())
    get_run_logger().info("case %s is %s; waits for %s", case_key, state, waiting)
    _summarise(rt, case, step)
    return case


def _summarise(rt: Runtime, case: Case, step: str, flow_run_id: UUID | None = None) -> None:
    """Refresh the case's summary artifact (what it waits for now); like a notice, it informs and stops nothing."""
    try:
        write_case_summary(rt, case, step, flow_run_id=flow_run_id)
    except Exception:
        logging.getLogger(__name__).exception("case %s: summary artifact for %s not published", case.case_key, step)


@task(name="record-decision", cache_key_fn=case_step_key("step"), persist_result=True)
def record_decision(rt: Runtime, case_key: str, step: str, decided_by: str, decision: dict[str, Any]) -> None:
    """Put a person's decision (who, what) in the case's event log."""
    rt.store.add_event(case_key, actor=decided_by or "unknown", kind=f"decision:{step}", details=decision)


@task(name="record-refusal", cache_key_fn=case_step_key("step"), persist_result=True)
def record_refusal(rt: Runtime, case_key: str, step: str, actor: str, problems: list[str]) -> None:
    """Put a refused resume (who, why) in the case's event log; the run asks or waits again."""
    details = {"problems": problems}
    rt.store.add_event(case_key, actor=actor or "unknown", kind=f"refused:{step}", details=details)
    logging.getLogger(__name__).warning("case %s: %s by %r refused: %s", case_key, step, actor, "; ".join(problems))


@task(name="hold-for-attention", cache_policy=NO_CACHE)
def hold_for_attention(rt: Runtime, case_key: str, reason: str, flow_run_id: str) -> bool:
    """Flag the case NEEDS_ATTENTION with the reason and mail ops, without failing the run: data the rules cannot
    decide on (a person looks, nothing is written meanwhile). Not cached: an ops retry meets the same data again."""
    if not _flag_case(rt, case_key, reason):
        return False
    _tell_ops_of(rt, case_key, reason, flow_run_id)
    return True


def _flag(rt: Runtime, flow_run: FlowRun, reason: str) -> bool:
    return _flag_case(rt, str(flow_run.parameters.get("case_key", "")), reason)


def _flag_case(rt: Runtime, case_key: str, reason: str) -> bool:
    logger = logging.getLogger(__name__)
    try:
        store = rt.store
        case = store.get(case_key)
        if case.state in CLOSED_STATES:
            return False
        came_from = case.attention_from if case.state is CaseState.NEEDS_ATTENTION else case.state
        flagged = store.transition(
            case_key,
            CaseState.NEEDS_ATTENTION,
            actor="flow",
            reason=reason,
            attention_from=came_from,
            details={"reason": reason, "from": str(came_from)},
        )
    except Exception:
        logger.exception("case %s: could not be flagged NEEDS_ATTENTION: %s", case_key, reason)
        return False
    try:
        show_status(rt, flagged)
    except Exception:
        # Often HubSpot itself is why the run failed: the case is flagged and ops are told either way.
        logger.exception("case %s: the ticket does not show that it needs attention", case_key)
    logger.error("case %s needs attention: %s", case_key, reason)
    return True


def _tell_ops(rt: Runtime, flow_run: FlowRun, reason: str) -> None:
    _tell_ops_of(rt, str(flow_run.parameters.get("case_key", "")), reason, str(flow_run.id))


def _tell_ops_of(rt: Runtime, case_key: str, reason: str, flow_run_id: str) -> None:
    """One mail to ops per failure: the failure's number (how often the case was flagged) names its claim."""
    try:
        failures = len(rt.store.events(case_key, kind=f"state:{CaseState.NEEDS_ATTENTION}"))
        due = Due(Notice.NEEDS_ATTENTION, f"failure-{failures}")
        notify_once(rt, case_key, due, actor="flow", detail=reason, flow_run_id=flow_run_id)
    except Exception:
        # The case is flagged (`reforhandling cases`, the board); the mail is the extra.
        logging.getLogger(__name__).exception("case %s: ops could not be told of the failure", case_key)


def mark_needs_attention(rt: Runtime, flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Flow failure and crash hook: flag the case for ops with the reason, so `reforhandling cases` shows it, and
    mail ops the reason and the run's Retry link, and put both in the case's summary artifact on the run; a run ended
    by a stop is only logged (it is rescheduled)."""
    if _interrupted(rt, flow_run, state):
        return
    reason = (state.message or state.name or "failed")[:900]
    if _flag(rt, flow_run, f"{reason}. Fix the cause, then Retry the run in the Prefect UI."):
        _tell_ops(rt, flow_run, reason)
        with contextlib.suppress(Exception):  # _summarise logs its own failure; reading the case may fail too
            _summarise(rt, rt.store.get(str(flow_run.parameters.get("case_key", ""))), "failed", flow_run.id)


def mark_run_cancelled(rt: Runtime, flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Flow cancellation hook: a run cancelled in Prefect leaves the case and its contract for a person to close,
    and ops are told; a runner shutting down is a stop (rescheduled), and `reforhandling cancel` closes the case
    itself."""
    if _interrupted(rt, flow_run, state):
        return
    if flow_run.state is not None and (flow_run.state.message or "").startswith(OPS_CANCEL_PREFIX):
        return
    case_key = str(flow_run.parameters.get("case_key", ""))
    reason = f"the run was cancelled in Prefect; `reforhandling cancel {case_key}` revokes the contract and closes it"
    if _flag(rt, flow_run, reason):
        _tell_ops(rt, flow_run, reason)


def _interrupted(rt: Runtime, flow_run: FlowRun, state: State[Any]) -> bool:
    """Whether a stop of the runner or worker ended the run; if so, the case's log says so."""
    if not stopped(state):
        return False
    case_key = str(flow_run.parameters.get("case_key", ""))
    try:
        record_interruption(case_key, str(flow_run.id), state, rt.store)
    except Exception:
        # The run is rescheduled from its Prefect state alone; the log entry is the extra.
        logging.getLogger(__name__).exception("case %s: the stop of run %s was not recorded", case_key, flow_run.id)
    return True
