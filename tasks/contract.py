"""Phases 3-5: the current agreement, the contract draft, its preview, sending, and what follows a refusal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prefect import get_run_logger, task

from adapters.ports import ContractService
from config.settings import RoutineSettings
from models.agreement import Agreement, AgreementBasis, agreement_basis
from models.case import CaseState
from models.contract import Contract, ContractPreview, ContractState
from models.crm import Company, Deal, EnrichedTicket
from models.drafting import renegotiation_draft
from models.org_number import customer_org_number
from models.renegotiation import check_something_changes
from models.rules import delivery_start_date, signing_deadline
from tasks.checked_writes import write_field
from tasks.policy import system_step
from tasks.runtime import get_runtime


def find_agreements(contracts: ContractService, routine: RoutineSettings, company: Company) -> AgreementBasis:
    """The customer's current and sold agreements, found by the company card's org number (9 digits, MOD11);
    raises InvalidOrgNumber or NoAgreement with what to fix."""
    org_number = customer_org_number(
        company.org_number,
        company=f"{company.name} (HubSpot company {company.id})",
        property_name=routine.org_number_property,
    )
    return agreement_basis(
        contracts.signed_agreements(org_number=org_number),
        org_number=org_number,
        template=routine.contract_template,
        sender=routine.contract_sender,
        customer=f"{company.name} (org {org_number})",
    )


@task(name="read-agreement", **system_step())
def read_agreement(case_key: str, company: Company) -> AgreementBasis:
    """Find the customer's current and sold agreements by org number, keep the before-values, and refuse a request
    that changes nothing; a company without a valid org number stops the case here, before anything is drafted."""
    rt = get_runtime()
    basis = find_agreements(rt.contracts, rt.settings.routine, company)
    current = basis.current
    case = rt.store.update(case_key, licences_before=current.licences, price_before=current.paid_per_licence)
    rt.store.add_event(
        case_key,
        actor="flow",
        kind="agreement",
        details={
            "contract_id": current.contract_id,
            "signed_on": current.signed_on.isoformat(),
            "sold_contract_id": basis.sold.contract_id,
            "sold_signed_on": basis.sold.signed_on.isoformat(),
            "sold_is_fallback": basis.sold_is_fallback,
        },
    )
    check_something_changes(
        licences_before=current.licences,
        paid_before=current.paid_per_licence,
        licences_after=case.licences_after,
        price_after=case.price_after,
    )
    return basis


@task(name="draft-contract", **system_step())
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
        # The summary artifact links the preview and shows the draft's start date.
        details={"contract_id": contract.id, "preview_url": contract.preview_url, "start_date": str(draft.start_date)},
    )
    get_run_logger().info("case %s: contract %s drafted", case_key, contract.id)
    return contract.without_links()


@task(name="preview-contract", **system_step("attempt"))
def preview_contract(case_key: str, attempt: int, contract_id: str) -> ContractPreview:
    """Read the draft back from Dealbuilder for the approval form: lines, signer, dates as they will be sent."""
    return get_runtime().contracts.preview(contract_id=contract_id)


@task(name="correct-draft", **system_step("attempt"))
def correct_draft(
    case_key: str, attempt: int, contract_id: str, licences: int, price_per_licence: Decimal, today: date
) -> None:
    """Put the approver's corrected licences or price into the draft, to be approved again (the form shows the
    draft as Dealbuilder holds it, so a draft someone else changed meanwhile is shown as it is)."""
    rt = get_runtime()
    write_field(
        case_key,
        f"draft:correction-{attempt}",
        lambda since: rt.contracts.update_draft(
            contract_id=contract_id,
            licences=licences,
            price_per_licence=price_per_licence,
            signing_deadline=signing_deadline(today),
            since=since,
        ),
    )
    rt.store.transition(
        case_key,
        CaseState.DRAFTED,
        actor="flow",
        licences_after=licences,
        price_after=price_per_licence,
        details={"attempt": attempt, "licences": licences, "price_per_licence": str(price_per_licence)},
    )


@task(name="refresh-draft", **system_step("today"))
def refresh_draft(case_key: str, contract_id: str, today: date) -> None:
    """Bring a draft's start date and deadline to the sending day: approval may have taken days, and an ops retry
    of a failed sending may run on a later day (one refresh per day, so that retry refreshes again)."""
    rt = get_runtime()
    case = rt.store.get(case_key)
    if rt.contracts.read_status(contract_id=contract_id).state != ContractState.DRAFT:
        return
    write_field(
        case_key,
        f"draft:refresh:{today.isoformat()}",  # a retry on a later day refreshes again: a new write, not a replay
        lambda since: rt.contracts.update_draft(
            contract_id=contract_id,
            licences=case.licences_after,
            price_per_licence=case.price_after,
            signing_deadline=signing_deadline(today),
            start_date=delivery_start_date(today, case.start_date),
            since=since,
        ),
    )


@task(name="send-contract", **system_step("round"))
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
    return contract.without_links()


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


@task(name="read-contract", **system_step("step"))
def read_contract(case_key: str, step: str, contract_id: str) -> Contract:
    """The contract's status right before a person's decision is acted on (it may have been signed meanwhile)."""
    return get_runtime().contracts.read_status(contract_id=contract_id).without_links()


@task(name="cancel-contract", **system_step("step"))
def cancel_contract(case_key: str, step: str, contract_id: str) -> Contract:
    """Cancel the contract in the e-signature tool so it can no longer be signed."""
    contract = get_runtime().contracts.cancel(contract_id=contract_id)
    get_runtime().store.add_event(case_key, actor="flow", kind="contract-cancelled", details={"step": step})
    return contract.without_links()
