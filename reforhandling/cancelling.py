"""Close a case by hand (`reforhandling cancel`): stop its run, revoke its unsigned contract, close its deal as lost,
say so on the ticket."""

from __future__ import annotations

import time
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient
from prefect.states import Cancelling

from bootstrap.runtime import Runtime
from models.case import CLOSED_STATES, Case, CaseState
from models.contract import ContractState
from models.notes import CANCELLED_NOTE_STEP, note_marker, ops_cancellation_note
from tasks.case_tasks import OPS_CANCEL_PREFIX
from tasks.ticket_status import show_status

# How long a running flow run gets to stop before we give up (the runner kills it on Cancelling).
STOP_TIMEOUT_SECONDS = 60.0


class CannotCancel(ValueError):
    """The case is closed already, its run would not stop, or its contract is signed (then it must complete)."""


def cancel_case(case_key: str, *, reason: str, runtime: Runtime, client: SyncPrefectClient, actor: str) -> Case:
    """Cancel an open case; each step is safe to repeat if a previous attempt stopped half-way."""
    store = runtime.store
    case = store.get(case_key)
    if case.state in CLOSED_STATES:
        raise CannotCancel(f"case {case_key} is already {case.state}; nothing to cancel")
    if not reason.strip():
        raise CannotCancel("give a reason with --reason: it goes on the ticket and in the case log")
    _refuse_if_signed(case, runtime)
    if case.flow_run_id:
        _stop_run(client, UUID(case.flow_run_id), f"{OPS_CANCEL_PREFIX}{actor}: {reason}")
    # The run is stopped now, so nothing sends the contract behind our back; it may still have been signed.
    if case.contract_id and _refuse_if_signed(case, runtime, stopped=True) != ContractState.CANCELED:
        runtime.contracts.cancel(contract_id=case.contract_id)
    if case.deal_id:
        # The customer will not sign: the deal leaves the pipeline's forecast (moving it again is harmless).
        runtime.crm.move_deal(deal_id=case.deal_id, stage_label=runtime.settings.routine.deal_stage_lost)
    note = ops_cancellation_note(
        case_key=case_key, actor=actor, reason=reason, contract_cancelled=bool(case.contract_id)
    )
    # The flow's own closing step, so a note the run wrote before it stopped is found, not written twice.
    runtime.crm.add_ticket_note(ticket_id=case.ticket_id, marker=note_marker(case_key, CANCELLED_NOTE_STEP), body=note)
    # Before the case closes: a failed write leaves it open, and `cancel` again finishes the job.
    show_status(runtime, case, CaseState.CANCELLED)
    return store.transition(case_key, CaseState.CANCELLED, actor=actor, details={"reason": reason})


def _stop_run(client: SyncPrefectClient, run_id: UUID, message: str) -> None:
    """Ask Prefect to cancel the run (a suspended one is cancelled at once, a running one is killed) and wait."""
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    run = client.read_flow_run(run_id)
    if run.state is not None and not run.state.is_final() and not run.state.is_cancelling():
        client.set_flow_run_state(run_id, Cancelling(message=message))
    while run.state is None or not run.state.is_final():
        if time.monotonic() > deadline:
            raise CannotCancel(f"flow run {run_id} did not stop within {STOP_TIMEOUT_SECONDS:.0f}s; try again")
        time.sleep(0.5)
        run = client.read_flow_run(run_id)


def _refuse_if_signed(case: Case, runtime: Runtime, *, stopped: bool = False) -> ContractState | None:
    """The contract's state, unless it is signed: the customer's word, so the case must complete, not be cancelled."""
    if not case.contract_id:
        return None
    state = runtime.contracts.read_status(contract_id=case.contract_id).state
    if state != ContractState.SIGNED:
        return state
    if not stopped:
        raise CannotCancel(f"contract {case.contract_id} of case {case.case_key} is signed; let the case complete")
    # Signed in the moment between the first check and stopping the run: hand it to a person, don't drop it.
    message = (
        f"contract {case.contract_id} was signed while the case was being cancelled and its run is stopped; "
        "Retry the run in the Prefect UI so the case completes"
    )
    runtime.store.transition(
        case.case_key,
        CaseState.NEEDS_ATTENTION,
        actor="reforhandling cancel",
        reason=message,
        attention_from=case.attention_from if case.state is CaseState.NEEDS_ATTENTION else case.state,
        details={"reason": message},
    )
    raise CannotCancel(message)
