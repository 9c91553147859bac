"""Resuming a run that waits for a signature: the one code path of the signature poller and of Dealbuilder's webhook."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.responses import SetStateStatus

from models.contract import Contract, ContractState
from models.signature import SignatureClaim
from models.waits import is_signature_wait
from store.case_store import CaseStore

Logger = logging.Logger | logging.LoggerAdapter[Any]


def resume_signature_wait(
    *,
    case_key: str,
    flow_run_id: str,
    outcome: ContractState,
    contract: Contract | None,
    today: date,
    reported_by: str,
    client: SyncPrefectClient,
    store: CaseStore,
    logger: Logger,
) -> bool:
    """Resume the case's run with the contract's outcome; False when the run is not (or no longer) waiting for it.

    The case stays AWAITING_SIGNATURE until the resumed run moves it, so a failed resume is simply tried again (by
    the next poll, or the provider's next delivery); Prefect's server refuses to resume a run that is no longer
    suspended and stores one answer per pause, so the poller and the webhook never both get through."""
    signed = outcome is ContractState.SIGNED
    claim = SignatureClaim(
        state=outcome,
        raw_status=contract.raw_status if contract else "",
        # The signing date feeds the 36-month rule: fixed here, so a later replay or retry cannot move it.
        signed_on=((contract.signed_on if contract else None) or today) if signed else None,
        reported_by=reported_by,
    )
    run_input = claim.model_dump(mode="json")
    run = client.read_flow_run(UUID(flow_run_id))
    if not _waiting_for_signature(run):
        logger.info("case %s: run %s is not waiting for a signature now; not resumed", case_key, run.id)
        return False
    try:
        result = client.resume_flow_run(run.id, run_input=run_input)
    except httpx.HTTPStatusError:
        # Two resumes at once: the server keeps one answer per pause and fails the other's insert (PostgreSQL).
        if _waiting_for_signature(client.read_flow_run(run.id)):
            raise
        logger.info("case %s: run %s was resumed by someone else at the same moment", case_key, run.id)
        return False
    if result.status == SetStateStatus.ABORT:
        logger.info("case %s: run %s was resumed by someone else", case_key, run.id)
        return False
    if result.status != SetStateStatus.ACCEPT:
        # E.g. "Run input schema not found" in the instant between a run suspending and storing its form.
        raise RuntimeError(f"case {case_key}: resume of run {run.id} refused: {result.details}")
    store.add_event(case_key, actor=reported_by, kind="resumed", details=run_input)
    logger.info("case %s: run %s resumed with %s by %s", case_key, run.id, outcome, reported_by)
    return True


def _waiting_for_signature(run: FlowRun) -> bool:
    state = run.state
    return state is not None and state.is_paused() and is_signature_wait(state.state_details.pause_key)
