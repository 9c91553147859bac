"""The signature poller's tasks: which cases wait, what their contracts say, and resuming their runs."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.responses import SetStateStatus
from pydantic import BaseModel, ConfigDict

from models.case import CaseState
from models.contract import Contract, ContractState
from tasks.policy import RETRY_DELAYS, retry_on_transient
from tasks.runtime import get_runtime

# Dealbuilder is asked about this many contracts per request.
BATCH_SIZE = 100


class WaitingCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_key: str
    contract_id: str
    flow_run_id: str
    signing_deadline: date | None


@task(name="read-waiting-cases", cache_policy=NO_CACHE)
def read_waiting_cases() -> list[WaitingCase]:
    """The cases whose contract is out for signature, from the case store."""
    return [
        WaitingCase(
            case_key=case.case_key,
            contract_id=case.contract_id,
            flow_run_id=case.flow_run_id,
            signing_deadline=case.signing_deadline,
        )
        for case in get_runtime().store.cases([CaseState.AWAITING_SIGNATURE])
        if case.contract_id and case.flow_run_id
    ]


@task(
    name="read-contract-statuses",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_on_transient,
)
def read_contract_statuses(contract_ids: list[str]) -> dict[str, Contract]:
    """Contract statuses from Dealbuilder, BATCH_SIZE per request."""
    contracts = get_runtime().contracts
    found: dict[str, Contract] = {}
    for start in range(0, len(contract_ids), BATCH_SIZE):
        batch = contracts.read_statuses(contract_ids=contract_ids[start : start + BATCH_SIZE])
        found.update({contract_id: contract.without_links() for contract_id, contract in batch.items()})
    return found


@task(name="resume-case", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def resume_case(waiting: WaitingCase, outcome: ContractState, contract: Contract | None, today: date) -> bool:
    """Resume the case's run with the contract's outcome; False when the run is not (or no longer) waiting for it.

    The case stays AWAITING_SIGNATURE until the resumed run moves it, so a failed resume is simply tried again by
    the next poll; Prefect's server refuses to resume a run that is no longer suspended, so two pollers never both
    get through."""
    logger = get_run_logger()
    signed = outcome is ContractState.SIGNED
    run_input = {
        "state": str(outcome),
        "raw_status": contract.raw_status if contract else "",
        # The signing date feeds the 36-month rule: fixed here, so a later replay or retry cannot move it.
        "signed_on": ((contract.signed_on if contract else None) or today).isoformat() if signed else None,
    }
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(waiting.flow_run_id))
        pause_key = run.state.state_details.pause_key if run.state else None
        if run.state is None or not run.state.is_paused() or not (pause_key or "").startswith("signature"):
            logger.info("case %s: run %s is not waiting for a signature now; not resumed", waiting.case_key, run.id)
            return False
        result = client.resume_flow_run(run.id, run_input=run_input)
    if result.status == SetStateStatus.ABORT:
        logger.info("case %s: run %s was resumed by someone else", waiting.case_key, run.id)
        return False
    if result.status != SetStateStatus.ACCEPT:
        # E.g. "Run input schema not found" in the instant between a run suspending and storing its form.
        raise RuntimeError(f"case {waiting.case_key}: resume of run {run.id} refused: {result.details}")
    get_runtime().store.add_event(waiting.case_key, actor="poll-signatures", kind="resumed", details=run_input)
    logger.info("case %s: run %s resumed with %s", waiting.case_key, run.id, outcome)
    return True
