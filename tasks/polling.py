"""The signature poller's tasks: which cases wait, what their contracts say, and resuming their runs."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from pydantic import BaseModel, ConfigDict

from bootstrap.runtime import Runtime
from models.case import CaseState
from models.contract import Contract, ContractState
from tasks.policy import RETRY_DELAYS, retry_on_transient
from tasks.resuming import resume_signature_wait

# Dealbuilder is asked about this many contracts per request.
BATCH_SIZE = 100


class WaitingCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_key: str
    contract_id: str
    flow_run_id: str
    signing_deadline: date | None


@task(name="read-waiting-cases", cache_policy=NO_CACHE)
def read_waiting_cases(rt: Runtime) -> list[WaitingCase]:
    """The cases whose contract is out for signature, from the case store."""
    return [
        WaitingCase(
            case_key=case.case_key,
            contract_id=case.contract_id,
            flow_run_id=case.flow_run_id,
            signing_deadline=case.signing_deadline,
        )
        for case in rt.store.cases([CaseState.AWAITING_SIGNATURE])
        if case.contract_id and case.flow_run_id
    ]


@task(
    name="read-contract-statuses",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_on_transient,
)
def read_contract_statuses(rt: Runtime, contract_ids: list[str]) -> dict[str, Contract]:
    """Contract statuses from Dealbuilder, BATCH_SIZE per request."""
    contracts = rt.contracts
    found: dict[str, Contract] = {}
    for start in range(0, len(contract_ids), BATCH_SIZE):
        batch = contracts.read_statuses(contract_ids=contract_ids[start : start + BATCH_SIZE])
        found.update({contract_id: contract.without_links() for contract_id, contract in batch.items()})
    return found


@task(name="resume-case", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def resume_case(
    rt: Runtime, waiting: WaitingCase, outcome: ContractState, contract: Contract | None, today: date
) -> bool:
    """Resume the case's run with the contract's outcome; False when the run is not (or no longer) waiting for it."""
    with get_client(sync_client=True) as client:
        return resume_signature_wait(
            case_key=waiting.case_key,
            flow_run_id=waiting.flow_run_id,
            outcome=outcome,
            contract=contract,
            today=today,
            reported_by="poll-signatures",
            client=client,
            store=rt.store,
            logger=get_run_logger(),
        )
