"""Phases 3-5 in the e-signature tool: the draft, its preview and corrections, sending, resending, cancelling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from adapters.ports import ContractService
from config.settings import RoutineSettings
from models.agreement import Agreement
from models.case import CaseState
from models.contract import Contract, ContractState
from models.crm import EnrichedTicket
from models.drafting import renegotiation_draft
from models.field_history import WriteOutcome
from models.renegotiation import Terms
from models.rules import delivery_start_date, signing_deadline
from steps.transition import Done, Transition


@dataclass(frozen=True)
class DraftContract:
    case_key: str
    enriched: EnrichedTicket
    deal_id: str
    agreement: Agreement
    terms: Terms
    agreed_start: date | None
    today: date


def draft_contract(contracts: ContractService, routine: RoutineSettings, request: DraftContract) -> Done[Contract]:
    """Find or create the draft from the renegotiation template, filled from the current agreement."""
    draft = renegotiation_draft(
        routine,
        case_key=request.case_key,
        deal_id=request.deal_id,
        agreement=request.agreement,
        signer=request.enriched.contact,
        company_name=request.enriched.company.name,
        licences=request.terms.licences,
        price_per_licence=request.terms.price_per_licence,
        agreed_start=request.agreed_start,
        today=request.today,
    )
    contract = contracts.find_or_create_draft(draft=draft)
    transition = Transition(
        CaseState.DRAFTED,
        fields={"contract_id": contract.id, "signing_deadline": draft.signing_deadline},
        # The summary artifact links the preview and shows the draft's start date.
        details={"contract_id": contract.id, "preview_url": contract.preview_url, "start_date": str(draft.start_date)},
    )
    return Done(contract.without_links(), transition)


@dataclass(frozen=True)
class CorrectDraft:
    contract_id: str
    attempt: int
    terms: Terms
    today: date


def correct_draft(contracts: ContractService, correction: CorrectDraft, since: datetime | None) -> WriteOutcome:
    """Put the approver's corrected licences or price into the draft, with a deadline a week from today."""
    return contracts.update_draft(
        contract_id=correction.contract_id,
        licences=correction.terms.licences,
        price_per_licence=correction.terms.price_per_licence,
        signing_deadline=signing_deadline(correction.today),
        since=since,
    )


def corrected(correction: CorrectDraft) -> Transition:
    """The case after a correction: drafted again, with the corrected terms."""
    terms = correction.terms
    return Transition(
        CaseState.DRAFTED,
        fields={"licences_after": terms.licences, "price_after": terms.price_per_licence},
        details={
            "attempt": correction.attempt,
            "licences": terms.licences,
            "price_per_licence": str(terms.price_per_licence),
        },
    )


def is_draft(contracts: ContractService, contract_id: str) -> bool:
    """Whether the contract is still a draft (not sent, signed or cancelled yet)."""
    return contracts.read_status(contract_id=contract_id).state == ContractState.DRAFT


@dataclass(frozen=True)
class RefreshDraft:
    contract_id: str
    terms: Terms
    agreed_start: date | None
    today: date


def refresh_draft(contracts: ContractService, refresh: RefreshDraft, since: datetime | None) -> WriteOutcome:
    """Bring the draft's start date and deadline to the sending day (approval may have taken days)."""
    return contracts.update_draft(
        contract_id=refresh.contract_id,
        licences=refresh.terms.licences,
        price_per_licence=refresh.terms.price_per_licence,
        signing_deadline=signing_deadline(refresh.today),
        start_date=delivery_start_date(refresh.today, refresh.agreed_start),
        since=since,
    )


@dataclass(frozen=True)
class SendContract:
    contract_id: str
    # 1: the first sending; later rounds extend the deadline and resend.
    round: int
    # The deadline to send with; a resend's is recorded before its first try, so a re-run asks for the same.
    deadline: date


def send_contract(contracts: ContractService, sending: SendContract) -> Done[Contract]:
    """Send the contract by e-mail and SMS (round 1), or extend its deadline and resend it (later rounds); a
    contract signed meanwhile is not touched (the poller then resumes the case as signed)."""
    if sending.round == 1:
        contract = contracts.send(contract_id=sending.contract_id, signing_deadline=sending.deadline)
    else:
        contract = contracts.read_status(contract_id=sending.contract_id)
        if contract.state != ContractState.SIGNED:
            contract = contracts.extend_and_resend(contract_id=sending.contract_id, signing_deadline=sending.deadline)
    deadline = contract.signing_deadline or sending.deadline
    transition = Transition(
        CaseState.SENT,
        fields={"signing_deadline": deadline},
        details={"round": sending.round, "deadline": deadline.isoformat(), "raw_status": contract.raw_status},
    )
    return Done(contract.without_links(), transition)


def read_contract(contracts: ContractService, contract_id: str) -> Contract:
    """The contract's status as the e-signature tool has it now."""
    return contracts.read_status(contract_id=contract_id).without_links()


def cancel_contract(contracts: ContractService, contract_id: str) -> Contract:
    """Cancel the contract so it can no longer be signed."""
    return contracts.cancel(contract_id=contract_id).without_links()
