"""Close a case by hand (`reforhandling cancel`): stop its run, revoke its unsigned contract, say so on the ticket."""

from __future__ import annotations

from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient
from prefect.states import Cancelled

from models.case import CLOSED_STATES, Case, CaseState
from models.contract import ContractState
from reforhandling.wiring import Runtime


class CannotCancel(ValueError):
    """The case is closed already, or its contract is signed (then the case must complete instead)."""


def cancel_case(case_key: str, *, reason: str, runtime: Runtime, client: SyncPrefectClient, actor: str) -> Case:
    """Cancel an open case; each step is safe to repeat if a previous attempt stopped half-way."""
    case = runtime.store.get(case_key)
    if case.state in CLOSED_STATES:
        raise CannotCancel(f"case {case_key} is already {case.state}; nothing to cancel")
    if not reason.strip():
        raise CannotCancel("give a reason with --reason: it goes on the ticket and in the case log")
    if case.contract_id:
        contract = runtime.contracts.read_status(contract_id=case.contract_id)
        if contract.state == ContractState.SIGNED:
            raise CannotCancel(
                f"contract {case.contract_id} of case {case_key} is signed; retry the case's run so it completes"
            )
    if case.flow_run_id:
        run = client.read_flow_run(UUID(case.flow_run_id))
        if run.state is None or not run.state.is_final():
            client.set_flow_run_state(run.id, Cancelled(message=f"cancelled by {actor}: {reason}"), force=True)
    if case.contract_id and contract.state != ContractState.CANCELED:
        runtime.contracts.cancel(contract_id=case.contract_id)
    runtime.crm.add_ticket_note(
        ticket_id=case.ticket_id,
        marker=f"[{case_key}/cancelled]",
        body=f"Reforhandlingen (sak {case_key}) er avbrutt av {actor}. Begrunnelse: {reason.strip()}",
    )
    return runtime.store.transition(case_key, CaseState.CANCELLED, actor=actor, details={"reason": reason})
