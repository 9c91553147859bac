"""Phases 3-5: the current agreement, the contract draft, its preview, sending, and what follows a refusal."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from models.agreement import AgreementBasis
from models.contract import Contract, ContractPreview
from models.crm import Company
from models.renegotiation import Terms
from models.rules import signing_deadline
from steps import contract as steps
from steps.agreement import agreement_details, find_agreements, refuse_if_unchanged
from tasks.checked_writes import write_field
from tasks.policy import system_step
from tasks.recording import record


@task(name="read-agreement", **system_step())
def read_agreement(rt: Runtime, case_key: str, company: Company, terms: Terms) -> AgreementBasis:
    """Find the customer's current and sold agreements by org number, keep the before-values, and refuse a request
    that changes nothing; a company without a valid org number stops the case here, before anything is drafted."""
    basis = find_agreements(rt.contracts, rt.routine, company)
    current = basis.current
    rt.store.update(case_key, licences_before=current.licences, price_before=current.paid_per_licence)
    rt.store.add_event(case_key, actor="flow", kind="agreement", details=agreement_details(basis))
    refuse_if_unchanged(basis, terms)
    return basis


@task(name="draft-contract", **system_step())
def draft_contract(rt: Runtime, case_key: str, request: steps.DraftContract) -> Contract:
    """Find or create the draft from the renegotiation template, filled from the current agreement."""
    done = steps.draft_contract(rt.contracts, rt.routine, request)
    record(rt, case_key, done.transition)
    get_run_logger().info("case %s: contract %s drafted", case_key, done.value.id)
    return done.value


@task(name="preview-contract", **system_step("attempt"))
def preview_contract(rt: Runtime, case_key: str, attempt: int, contract_id: str) -> ContractPreview:
    """Read the draft back from Dealbuilder for the approval form: lines, signer, dates as they will be sent."""
    return rt.contracts.preview(contract_id=contract_id)


@task(name="correct-draft", **system_step("attempt"))
def correct_draft(rt: Runtime, case_key: str, attempt: int, contract_id: str, terms: Terms, today: date) -> None:
    """Put the approver's corrected licences or price into the draft, to be approved again (the form shows the
    draft as Dealbuilder holds it, so a draft someone else changed meanwhile is shown as it is)."""
    correction = steps.CorrectDraft(contract_id=contract_id, attempt=attempt, terms=terms, today=today)
    write_field(
        rt,
        case_key,
        f"draft:correction-{attempt}",
        lambda since: steps.correct_draft(rt.contracts, correction, since),
    )
    record(rt, case_key, steps.corrected(correction))


@task(name="refresh-draft", **system_step("today"))
def refresh_draft(
    rt: Runtime, case_key: str, contract_id: str, terms: Terms, agreed_start: date | None, today: date
) -> None:
    """Bring a draft's start date and deadline to the sending day: approval may have taken days, and an ops retry
    of a failed sending may run on a later day (one refresh per day, so that retry refreshes again)."""
    if not steps.is_draft(rt.contracts, contract_id):
        return
    refresh = steps.RefreshDraft(contract_id=contract_id, terms=terms, agreed_start=agreed_start, today=today)
    write_field(
        rt,
        case_key,
        f"draft:refresh:{today.isoformat()}",  # a retry on a later day refreshes again: a new write, not a replay
        lambda since: steps.refresh_draft(rt.contracts, refresh, since),
    )


@task(name="send-contract", **system_step("round"))
def send_contract(rt: Runtime, case_key: str, round: int, contract_id: str, today: date) -> Contract:
    """Send the contract by e-mail and SMS (round 1) or extend its deadline and resend it (later rounds)."""
    deadline = signing_deadline(today) if round == 1 else _resend_deadline(rt, case_key, round, today)
    done = steps.send_contract(
        rt.contracts, steps.SendContract(contract_id=contract_id, round=round, deadline=deadline)
    )
    record(rt, case_key, done.transition)
    deadline = done.transition.fields["signing_deadline"]
    get_run_logger().info("case %s: contract %s sent (round %d), deadline %s", case_key, contract_id, round, deadline)
    return done.value


def _resend_deadline(rt: Runtime, case_key: str, round: int, today: date) -> date:
    """The deadline recorded before the first try of this resend: a re-run, even days later, asks for the same
    deadline, and the adapter leaves a contract already out with that deadline alone."""
    recorded = [
        tried for tried in rt.store.event_details(case_key, "contract-resending") if tried.get("round") == round
    ]
    if recorded:
        return date.fromisoformat(recorded[0]["deadline"])
    deadline = signing_deadline(today)
    details = {"round": round, "deadline": deadline.isoformat()}
    rt.store.add_event(case_key, actor="flow", kind="contract-resending", details=details)
    return deadline


@task(name="read-contract", **system_step("step"))
def read_contract(rt: Runtime, case_key: str, step: str, contract_id: str) -> Contract:
    """The contract's status right before a person's decision is acted on (it may have been signed meanwhile)."""
    return steps.read_contract(rt.contracts, contract_id)


@task(name="cancel-contract", **system_step("step"))
def cancel_contract(rt: Runtime, case_key: str, step: str, contract_id: str) -> Contract:
    """Cancel the contract in the e-signature tool so it can no longer be signed."""
    contract = steps.cancel_contract(rt.contracts, contract_id)
    rt.store.add_event(case_key, actor="flow", kind="contract-cancelled", details={"step": step})
    return contract
