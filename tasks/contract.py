"""Phases 3-5: the current agreement, the contract draft, its preview, sending, and what follows a refusal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prefect import get_run_logger, task

from models.agreement import Agreement
from models.case import CaseState
from models.contract import Contract, ContractPreview, ContractState
from models.crm import Company, Deal, EnrichedTicket
from models.drafting import renegotiation_draft
from models.rules import delivery_start_date, signing_deadline
from reforhandling.wiring import get_runtime
from tasks.policy import SYSTEM_STEP


@task(name="read-agreement", **SYSTEM_STEP)
def read_agreement(case_key: str, company: Company) -> Agreement:
    """Read the customer's current agreement and keep its licences and price as the case's before-values."""
    rt = get_runtime()
    agreement = rt.contracts.read_original_agreement(org_number=company.org_number, company_name=company.name)
    rt.store.update(case_key, licences_before=agreement.licences, price_before=agreement.price_per_licence)
    rt.store.add_event(
        case_key,
        actor="flow",
        kind="agreement",
        details={"contract_id": agreement.contract_id, "signed_on": agreement.signed_on.isoformat()},
    )
    return agreement


@task(name="draft-contract", **SYSTEM_STEP)
def draft_contract(case_key: str, enriched: EnrichedTicket, deal: Deal, agreement: Agreement, today: date) -> Contract:
    """Find or create the draft from the renegotiation template, filled from the current agreement."""
    rt = get_runtime()
    case = rt.store.get(case_key)
    draft = renegotiation_draft(
        rt.settings.routine,
        case_key=case_key,
        deal_id=deal.id,
        agreement=agreement,
        signer=enriched.contact,
        company_name=enriched.company.name,
        licences=case.licences_after,
        price_per_licence=case.price_after,
        agreed_start=case.start_date,
        today=today,
    )
    contract = rt.contracts.find_or_create_draft(draft=draft)
    rt.store.transition(
        case_key,
        CaseState.DRAFTED,
        actor="flow",
        contract_id=contract.id,
        signing_deadline=draft.signing_deadline,
        details={"contract_id": contract.id},
    )
    get_run_logger().info("case %s: contract %s drafted", case_key, contract.id)
    return contract


@task(name="preview-contract", **SYSTEM_STEP)
def preview_contract(case_key: str, attempt: int, contract_id: str) -> ContractPreview:
    """Render the draft for the approval form."""
    return get_runtime().contracts.preview(contract_id=contract_id)


@task(name="correct-draft", **SYSTEM_STEP)
def correct_draft(
    case_key: str, attempt: int, contract_id: str, licences: int, price_per_licence: Decimal, today: date
) -> Contract:
    """Put the approver's corrected licences or price into the draft, to be approved again."""
    rt = get_runtime()
    contract = rt.contracts.update_draft(
        contract_id=contract_id,
        licences=licences,
        price_per_licence=price_per_licence,
        signing_deadline=signing_deadline(today),
    )
    rt.store.transition(
        case_key,
        CaseState.DRAFTED,
        actor="flow",
        licences_after=licences,
        price_after=price_per_licence,
        details={"attempt": attempt, "licences": licences, "price_per_licence": str(price_per_licence)},
    )
    return contract


@task(name="refresh-draft", **SYSTEM_STEP)
def refresh_draft(case_key: str, contract_id: str, today: date) -> None:
    """Bring a draft's start date and deadline to the sending day: approval may have taken days."""
    rt = get_runtime()
    case = rt.store.get(case_key)
    if rt.contracts.read_status(contract_id=contract_id).state != ContractState.DRAFT:
        return
    rt.contracts.update_draft(
        contract_id=contract_id,
        licences=case.licences_after,
        price_per_licence=case.price_after,
        signing_deadline=signing_deadline(today),
        start_date=delivery_start_date(today, case.start_date),
    )


@task(name="send-contract", **SYSTEM_STEP)
def send_contract(case_key: str, round: int, contract_id: str, today: date) -> Contract:
    """Send the contract by e-mail and SMS (round 1) or extend its deadline and resend it (later rounds)."""
    rt = get_runtime()
    if round == 1:
        contract = rt.contracts.send(contract_id=contract_id, signing_deadline=signing_deadline(today))
    else:
        contract = _resend_once(case_key, round, contract_id, today)
    deadline = contract.signing_deadline or signing_deadline(today)
    rt.store.transition(
        case_key,
        CaseState.SENT,
        actor="flow",
        signing_deadline=deadline,
        details={"round": round, "deadline": deadline.isoformat(), "raw_status": contract.raw_status},
    )
    get_run_logger().info("case %s: contract %s sent (round %d), deadline %s", case_key, contract_id, round, deadline)
    return contract


def _resend_once(case_key: str, round: int, contract_id: str, today: date) -> Contract:
    """Extend and resend with the deadline recorded before the first try: a re-run, even days later, asks for the
    same deadline, and the adapter leaves a contract already out with that deadline alone. A contract signed
    meanwhile is not touched (the poller then resumes the case as signed)."""
    rt = get_runtime()
    current = rt.contracts.read_status(contract_id=contract_id)
    if current.state == ContractState.SIGNED:
        return current
    recorded = [
        tried for tried in rt.store.event_details(case_key, "contract-resending") if tried.get("round") == round
    ]
    if recorded:
        deadline = date.fromisoformat(recorded[0]["deadline"])
    else:
        deadline = signing_deadline(today)
        details = {"round": round, "deadline": deadline.isoformat()}
        rt.store.add_event(case_key, actor="flow", kind="contract-resending", details=details)
    return rt.contracts.extend_and_resend(contract_id=contract_id, signing_deadline=deadline)


@task(name="read-contract", **SYSTEM_STEP)
def read_contract(case_key: str, step: str, contract_id: str) -> Contract:
    """The contract's status right before a person's decision is acted on (it may have been signed meanwhile)."""
    return get_runtime().contracts.read_status(contract_id=contract_id)


@task(name="cancel-contract", **SYSTEM_STEP)
def cancel_contract(case_key: str, step: str, contract_id: str) -> Contract:
    """Cancel the contract in the e-signature tool so it can no longer be signed."""
    contract = get_runtime().contracts.cancel(contract_id=contract_id)
    get_runtime().store.add_event(case_key, actor="flow", kind="contract-cancelled", details={"step": step})
    return contract
