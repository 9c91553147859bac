"""The renegotiation of one customer's agreement, from the ticket to a signed, registered contract.

Every suspend ends the process; a resume runs this body again from the top, and the tasks before the
suspend come back from their persisted results (keyed by case key and step), so nothing is done twice."""

from __future__ import annotations

from datetime import date
from typing import assert_never

from prefect import flow, get_run_logger, runtime
from prefect.exceptions import Pause

from config.settings import RoutineSettings
from flows.asking import Form, ask
from flows.inputs import ContractApproval, ContractFollowUp, LicencesAdjusted, SignatureOutcome, form_for
from models.agreement import AgreementBasis
from models.approval import (
    ApprovalFacts,
    approval_description,
    approval_problems,
    follow_up_description,
    licence_confirmation_description,
    may_decide,
)
from models.approvers import spelled_as_listed
from models.case import CLOSED_STATES, CaseState
from models.completion import (
    AssignTicket,
    CompletionWrite,
    MoveDeal,
    SendMail,
    SetDownwardAdjustment,
    SetLicences,
    WriteNote,
    compose_completion,
)
from models.contract import Contract, ContractPreview, ContractState
from models.crm import Deal, EnrichedTicket
from models.notes import CANCELLED_NOTE_STEP, REJECTED_NOTE_STEP, cancellation_note, rejection_note
from models.notices import Due, Notice
from models.renegotiation import Terms, nothing_changes, request_limits
from models.signature import verified_outcome
from tasks.artifacts import publish_case_summary
from tasks.case_tasks import (
    attach_run,
    hold_for_attention,
    load_case,
    mark_case,
    mark_needs_attention,
    mark_run_cancelled,
    record_decision,
    record_refusal,
    reopen_case,
    snapshot_terms,
)
from tasks.contract import (
    cancel_contract,
    correct_draft,
    draft_contract,
    preview_contract,
    read_agreement,
    read_contract,
    refresh_draft,
    send_contract,
)
from tasks.deal import create_deal, move_deal, set_deal_licences, set_delivery_start
from tasks.enrichment import enrich_ticket
from tasks.licences import adjust_licences
from tasks.mail import send_mail
from tasks.notifying import notify_suspended
from tasks.runtime import get_runtime, local_date, routine_settings
from tasks.ticket import assign_ticket, move_ticket, set_downward_adjustment, write_ticket_note


@flow(
    name="renegotiate-agreement",
    persist_result=True,
    on_failure=[mark_needs_attention],
    on_crashed=[mark_needs_attention],
    on_cancellation=[mark_run_cancelled],
)
def renegotiate_agreement(case_key: str) -> CaseState:
    """Renegotiate the agreement of the case's customer; people only approve and decide."""
    routine = routine_settings()
    today = local_date()
    if (case := reopen_case(case_key)).state in CLOSED_STATES:
        # An ops retry of a run whose case was closed meanwhile (e.g. `reforhandling cancel`) must touch nothing.
        get_run_logger().warning("case %s is %s; nothing to do", case_key, case.state)
        return case.state
    attach_run(case_key, str(runtime.flow_run.id))
    enriched = enrich_ticket(case_key)
    # Before anything is created: the customer's agreements, and a refusal when the request changes nothing.
    basis = read_agreement(case_key, enriched.company)
    deal = create_deal(case_key, enriched, today)
    contract = draft_contract(case_key, enriched, deal, basis.current, today)
    # Every later state change refreshes the summary (mark_case); the draft is its first version.
    _publish(case_key, "drafted")
    if not _approved(case_key, enriched, deal, basis, contract.id, today):
        return CaseState.REJECTED
    signed = _signed(case_key, enriched, deal, contract.id, today, routine)
    if signed is None:
        return CaseState.CANCELLED
    signed_on, start = signed
    if not _complete(case_key, enriched, deal, basis, contract, signed_on, start, routine):
        return CaseState.NEEDS_ATTENTION
    return CaseState.COMPLETED


def _publish(case_key: str, step: str) -> None:
    """The case's summary on its run; like a notice, it informs and must not stop the case."""
    state = publish_case_summary(case_key, step, return_state=True)
    if state.is_failed():
        get_run_logger().warning("case %s: summary artifact for %s not published: %s", case_key, step, state.message)


def _suspend(case_key: str, form: type[Form], key: str, due: Due, detail: str = "") -> Form:
    """Suspend at `key` for the form's input. Once the run is suspended, and only then, the person it waits for is
    told (once per `due`: a refused answer asks again without another mail), so a link followed at once finds the
    Resume button. A replay returns the stored input and tells no one."""
    try:
        return ask(form, key)
    except Pause:
        notify_suspended(case_key, due, detail)
        raise


def _approved(
    case_key: str, enriched: EnrichedTicket, deal: Deal, basis: AgreementBasis, contract_id: str, today: date
) -> bool:
    """Ask for approval until the draft is approved (True) or rejected (False); corrections ask again."""
    routine = routine_settings()
    problems: list[str] = []
    attempt = 1
    # One approval-needed mail per draft: the first ask of it names the notice; refusals ask again quietly.
    round_step = "approval-1"
    while True:
        step = f"approval-{attempt}"
        # What this form showed, from its own snapshot: on a replay the case already holds later corrections.
        shown = snapshot_terms(case_key, attempt)
        preview = preview_contract(case_key, attempt, contract_id)
        mark_case(case_key, step, CaseState.AWAITING_APPROVAL)
        facts = _approval_facts(case_key, shown, attempt, enriched, deal, basis, preview, problems)
        form = form_for(
            ContractApproval, description=approval_description(facts), person="approver", approvers=routine.approvers
        )
        answer = _suspend(case_key, form, step, Due(Notice.APPROVAL_NEEDED, round_step))
        # Recorded and acted on as the approvers list spells the person (a Kelvin sign typed for a K is a K).
        decision = answer.model_copy(update={"approver": spelled_as_listed(answer.approver, routine.approvers)})
        record_decision(case_key, step, decision.approver, decision.model_dump(mode="json"))
        licences = decision.licences or shown.licences
        price = decision.price_per_licence or shown.price_per_licence
        correcting = (licences, price) != (shown.licences, shown.price_per_licence)
        problems = approval_problems(
            approver=decision.approver,
            licences=decision.licences,
            price_per_licence=decision.price_per_licence,
            rejecting=not decision.approved and not correcting,
            comment=decision.comment,
            limits=request_limits(routine),
            approvers=routine.approvers,
            unreadable=answer.unreadable(),
        )
        if correcting:
            # A correction back to the current agreement undoes the request: refused as `start` refuses it.
            problems += nothing_changes(basis.current, licences=licences, price_per_licence=price)
        attempt += 1
        if problems:
            record_refusal(case_key, step, decision.approver, problems)
            continue
        if correcting:
            correct_draft(case_key, attempt - 1, contract_id, licences, price, today)
            set_deal_licences(case_key, attempt - 1, deal.id, licences)
            round_step = f"approval-{attempt}"
            continue
        if decision.approved:
            return True
        cancel_contract(case_key, step, contract_id)
        move_deal(case_key, "lost", deal.id, routine.deal_stage_lost)
        note = rejection_note(case_key=case_key, approver=decision.approver, comment=decision.comment)
        write_ticket_note(case_key, REJECTED_NOTE_STEP, enriched.ticket.id, note)
        mark_case(case_key, "rejected", CaseState.REJECTED, {"approver": decision.approver})
        return False


def _approval_facts(
    case_key: str,
    shown: Terms,
    attempt: int,
    enriched: EnrichedTicket,
    deal: Deal,
    basis: AgreementBasis,
    preview: ContractPreview,
    problems: list[str],
) -> ApprovalFacts:
    """The form's facts: the draft as Dealbuilder holds it (lines, signer, dates), the before-values from the
    current agreement."""
    routine = routine_settings()
    licence = next((line for line in preview.lines if line.name == routine.licence_line), None)
    signer = preview.signer
    return ApprovalFacts(
        case_key=case_key,
        attempt=attempt,
        company_name=enriched.company.name,
        org_number=basis.org_number,
        signer_name=signer.name if signer else "",
        signer_email=signer.email if signer else "",
        signer_phone=signer.phone if signer else "",
        licences_before=basis.current.licences,
        licences_after=licence.quantity if licence else shown.licences,
        price_before=basis.current.paid_per_licence,
        price_after=licence.paid_unit_price if licence else shown.price_per_licence,
        start_date=preview.start_date,
        signing_deadline=preview.signing_deadline,
        lines=preview.lines,
        preview_url=preview.url,
        deal_url=deal.url,
        sold_signed_on=basis.sold.signed_on,
        sold_is_fallback=basis.sold_is_fallback,
        problems=tuple(problems),
        periods_per_year=routine.price_periods_per_year,
    )


def _signed(
    case_key: str, enriched: EnrichedTicket, deal: Deal, contract_id: str, today: date, routine: RoutineSettings
) -> tuple[date, date] | None:
    """Send the contract and wait for the signature; after a decline or expiry a person extends or cancels.
    Returns the signing date and the delivery start date, or None when the contract was cancelled."""
    signing_round = 1
    while True:
        if signing_round == 1:
            refresh_draft(case_key, contract_id, today)
        sent = send_contract(case_key, signing_round, contract_id, today)
        if signing_round == 1:
            # The signed contract keeps the first sending's start date, whatever round it is signed in; the deal
            # and the note take it from the contract itself.
            start = set_delivery_start(case_key, deal.id, sent, today)
            move_ticket(case_key, "sent", enriched.ticket.id, routine.ticket_stage_sent)
        key = "signature" if signing_round == 1 else f"signature-{signing_round}"
        outcome, now = _signature(case_key, contract_id, key)
        if outcome == ContractState.SIGNED:
            mark_case(case_key, "signed", CaseState.SIGNED, {"raw_status": now.raw_status})
            return now.signed_on or today, start
        step = f"decision-{signing_round}"
        mark_case(case_key, step, CaseState.AWAITING_DECISION, {"outcome": str(outcome)})
        description = follow_up_description(case_key, enriched.company.name, outcome, now.raw_status)
        follow_up = _decision(case_key, step, description, routine, str(outcome))
        # The customer may have signed while the form waited (an expiry is our own deadline rule).
        now = read_contract(case_key, step, contract_id)
        if now.state == ContractState.SIGNED:
            mark_case(case_key, "signed", CaseState.SIGNED, {"raw_status": now.raw_status, "after": step})
            return now.signed_on or today, start
        if follow_up.action == "cancel" or now.state == ContractState.CANCELED:
            if now.state != ContractState.CANCELED:
                cancel_contract(case_key, step, contract_id)
            move_deal(case_key, "lost", deal.id, routine.deal_stage_lost)
            note = cancellation_note(
                case_key=case_key,
                decided_by=follow_up.decided_by,
                outcome=str(outcome),
                comment=follow_up.comment,
            )
            write_ticket_note(case_key, CANCELLED_NOTE_STEP, enriched.ticket.id, note)
            mark_case(case_key, "cancelled", CaseState.CANCELLED, {"decided_by": follow_up.decided_by})
            return None
        signing_round += 1


def _signature(case_key: str, contract_id: str, key: str) -> tuple[ContractState, Contract]:
    """Wait for the poller (or anyone) to resume the run, then act only on what Dealbuilder says: a resume whose
    claim the contract does not bear out is recorded as refused and the run waits again, under a new key."""
    wait = 1
    while True:
        step = key if wait == 1 else f"{key}-wait-{wait}"
        mark_case(case_key, step, CaseState.AWAITING_SIGNATURE)
        claim = ask(SignatureOutcome, step)
        record_decision(case_key, step, claim.reported_by, claim.model_dump(mode="json"))
        now = read_contract(case_key, step, contract_id)
        outcome = verified_outcome(claim.state, now)
        if outcome is not None:
            return outcome, now
        refusal = f"resumed as {claim.state} but Dealbuilder says {now.raw_status!r}: the case keeps waiting"
        record_refusal(case_key, step, claim.reported_by, [refusal])
        wait += 1


def _decision(case_key: str, step: str, description: str, routine: RoutineSettings, outcome: str) -> ContractFollowUp:
    """Ask a person whether to extend and resend or cancel, until someone on the approvers list answers."""
    attempt = 1
    while True:
        key = step if attempt == 1 else f"{step}-{attempt}"
        form = form_for(ContractFollowUp, description=description, person="decided_by", approvers=routine.approvers)
        answer = _suspend(case_key, form, key, Due(Notice.DECISION_NEEDED, step), outcome)
        follow_up = answer.model_copy(update={"decided_by": spelled_as_listed(answer.decided_by, routine.approvers)})
        record_decision(case_key, key, follow_up.decided_by, follow_up.model_dump(mode="json"))
        if follow_up.decided_by.strip() and may_decide(follow_up.decided_by, routine.approvers):
            return follow_up
        problem = f"{follow_up.decided_by!r} may not decide: write your name, and be on the approvers list"
        record_refusal(case_key, key, follow_up.decided_by, [problem])
        attempt += 1


def _complete(
    case_key: str,
    enriched: EnrichedTicket,
    deal: Deal,
    basis: AgreementBasis,
    contract: Contract,
    signed_on: date,
    start: date,
    routine: RoutineSettings,
) -> bool:
    """After the signature: make the completion's writes (models/completion.py, the same `reforhandling plan` shows).
    Every text is composed before the first write, so bad data cannot stop the case halfway; data the rules cannot
    decide on holds the case for a person before any write (False)."""
    case = load_case(case_key)
    completion = compose_completion(
        basis,
        case_key=case_key,
        company=enriched.company,
        ticket=enriched.ticket,
        licences=case.licences_after,
        price_per_licence=case.price_after,
        start_date=start,
        signed_on=signed_on,
        routine=routine,
        deal_url=deal.url,
        contract_id=contract.id,
        contract_url=contract.preview_url,
    )
    plan = completion.decisions
    if plan.attention is not None:
        hold_for_attention(case_key, plan.attention, str(runtime.flow_run.id))
        return False
    for write in completion.writes:
        _write(case_key, deal.id, write)
    mark_case(case_key, "completed", CaseState.COMPLETED, {"route": plan.route.value})
    get_run_logger().info(
        "case %s completed: %s %d -> %d, ticket to %s (%s)",
        case_key,
        plan.direction,
        completion.summary.licences_before,
        completion.summary.licences_after,
        plan.ticket_owner,
        plan.route,
    )
    return True


def _write(case_key: str, deal_id: str, write: CompletionWrite) -> None:
    """Make one of the completion's writes through its task."""
    match write:
        case MoveDeal():
            move_deal(case_key, write.step, deal_id, write.stage)
        case SetLicences():
            _set_licences(case_key, write.customer_id, write.licences)
        case SetDownwardAdjustment():
            set_downward_adjustment(case_key, write.company_id, write.removed)
        case WriteNote():
            write_ticket_note(case_key, write.step, write.ticket_id, write.text)
        case AssignTicket():
            assign_ticket(case_key, write.ticket_id, write.owner)
        case SendMail():
            send_mail(case_key, write.step, write.message)
        case _:
            assert_never(write)


def _set_licences(case_key: str, customer_id: str, licences: int) -> None:
    """Through the API, or ask a person to set the count in Avonova Digital and confirm (manual routine)."""
    if not get_runtime().licences.requires_confirmation:
        adjust_licences(case_key, customer_id, licences)
        return
    attempt = 1
    while True:
        step = f"licences-{attempt}"
        mark_case(case_key, step, CaseState.AWAITING_LICENCE_CONFIRMATION)
        approvers = routine_settings().approvers
        form = form_for(
            LicencesAdjusted,
            description=licence_confirmation_description(customer_id, licences, retry=attempt > 1),
            person="confirmed_by",
            approvers=approvers,
        )
        answer = _suspend(case_key, form, step, Due(Notice.LICENCE_CONFIRMATION, "licences-1"))
        confirmation = answer.model_copy(update={"confirmed_by": spelled_as_listed(answer.confirmed_by, approvers)})
        record_decision(case_key, step, confirmation.confirmed_by, confirmation.model_dump(mode="json"))
        by = confirmation.confirmed_by
        if confirmation.licences_set == licences and by.strip() and may_decide(by, approvers):
            mark_case(case_key, "licences-confirmed", CaseState.LICENCES_ADJUSTED, {"by": by})
            return
        problem = f"{by!r} confirmed {confirmation.licences_set} licences; {licences}, by someone on the approvers list"
        record_refusal(case_key, step, by, [problem])
        attempt += 1
