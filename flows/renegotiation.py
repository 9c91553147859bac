"""The renegotiation of one customer's agreement, from the ticket to a signed, registered contract.

Every suspend ends the process; a resume runs this body again from the top, and the tasks before the
suspend come back from their persisted results (keyed by case key and step), so nothing is done twice.

The flow is built from a runtime factory: the deployment's entrypoint below builds the runtime from settings,
tests build their own flow around their own runtime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any, assert_never

from prefect import Flow, flow, get_run_logger, runtime
from prefect.client.schemas.objects import FlowRun, State

from bootstrap.runtime import Runtime, runtime_from_settings
from config.settings import RoutineSettings
from flows.asking import Question, ask, refuse
from flows.inputs import ContractApproval, ContractFollowUp, LicencesAdjusted, SignatureOutcome
from models.agreement import AgreementBasis
from models.approval import (
    ApprovalFacts,
    approval_description,
    approval_problems,
    follow_up_description,
    licence_confirmation_description,
)
from models.case import CLOSED_STATES, Case, CaseState
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
from models.waits import approval_key, decision_key, licences_key, signature_key
from steps.contract import DraftContract
from steps.deal import CreateDeal
from steps.enrichment import EnrichTicket
from tasks.artifacts import publish_case_summary
from tasks.case_tasks import (
    attach_run,
    hold_for_attention,
    mark_case,
    mark_needs_attention,
    mark_run_cancelled,
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
from tasks.ticket import assign_ticket, move_ticket, set_downward_adjustment, write_ticket_note


def renegotiation_flow(make_runtime: Callable[[], Runtime]) -> Flow[[str], CaseState]:
    """The `renegotiate-agreement` flow on the runtime `make_runtime` builds (once per process, at the first run);
    its failure, crash and cancellation hooks use the same runtime."""
    runtime_once = cache(make_runtime)

    def on_failure(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
        mark_needs_attention(runtime_once(), flow, flow_run, state)

    def on_cancellation(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
        mark_run_cancelled(runtime_once(), flow, flow_run, state)

    def renegotiate_agreement(case_key: str) -> CaseState:
        """Renegotiate the agreement of the case's customer; people only approve and decide."""
        return _renegotiate(runtime_once(), case_key)

    # The deployment's entrypoint names the module attribute: to_deployment derives it from the qualified name.
    renegotiate_agreement.__qualname__ = "renegotiate_agreement"
    return flow(
        name="renegotiate-agreement",
        persist_result=True,
        on_failure=[on_failure],
        on_crashed=[on_failure],
        on_cancellation=[on_cancellation],
    )(renegotiate_agreement)


def _renegotiate(rt: Runtime, case_key: str) -> CaseState:
    routine = rt.routine
    today = rt.today()
    if (case := reopen_case(rt, case_key)).state in CLOSED_STATES:
        # An ops retry of a run whose case was closed meanwhile (e.g. `reforhandling cancel`) must touch nothing.
        get_run_logger().warning("case %s is %s; nothing to do", case_key, case.state)
        return case.state
    attach_run(rt, case_key, str(runtime.flow_run.id))
    # What the request asks for, as first read: a replay must not see the corrections a later round wrote.
    terms = snapshot_terms(rt, case_key, 1)
    enriched = enrich_ticket(rt, case_key, _enrichment(case))
    # Before anything is created: the customer's agreements, and a refusal when the request changes nothing.
    basis = read_agreement(rt, case_key, enriched.company, terms)
    deal = create_deal(
        rt,
        case_key,
        CreateDeal(
            case_key=case_key,
            enriched=enriched,
            licences=terms.licences,
            agent_email=case.agent_email,
            agreed_start=case.start_date,
            today=today,
        ),
    )
    drafting = DraftContract(
        case_key=case_key,
        enriched=enriched,
        deal_id=deal.id,
        agreement=basis.current,
        terms=terms,
        agreed_start=case.start_date,
        today=today,
    )
    contract = draft_contract(rt, case_key, drafting)
    # Every later state change refreshes the summary (mark_case); the draft is its first version.
    _publish(rt, case_key, "drafted")
    approved = _approved(rt, case_key, enriched, deal, basis, contract.id, terms, today)
    if approved is None:
        return CaseState.REJECTED
    signed = _signed(rt, case, enriched, deal, contract.id, approved, today, routine)
    if signed is None:
        return CaseState.CANCELLED
    signed_on, start = signed
    if not _complete(rt, case_key, enriched, deal, basis, contract, approved, signed_on, start, routine):
        return CaseState.NEEDS_ATTENTION
    return CaseState.COMPLETED


def _enrichment(case: Case) -> EnrichTicket:
    return EnrichTicket(
        ticket_id=case.ticket_id,
        signer_email=case.signer_email,
        signer_name=case.signer_name or "",
        company_id=case.company_id,
    )


def _publish(rt: Runtime, case_key: str, step: str) -> None:
    """The case's summary on its run; like a notice, it informs and must not stop the case."""
    state = publish_case_summary(rt, case_key, step, return_state=True)
    if state.is_failed():
        get_run_logger().warning("case %s: summary artifact for %s not published: %s", case_key, step, state.message)


def _approved(
    rt: Runtime,
    case_key: str,
    enriched: EnrichedTicket,
    deal: Deal,
    basis: AgreementBasis,
    contract_id: str,
    shown: Terms,
    today: date,
) -> Terms | None:
    """Ask for approval until the draft is approved (its terms) or rejected (None); corrections ask again."""
    routine = rt.routine
    problems: list[str] = []
    attempt = 1
    # One approval-needed mail per draft: the first ask of it names the notice; refusals ask again quietly.
    round_step = approval_key(1)
    while True:
        step = approval_key(attempt)
        preview = preview_contract(rt, case_key, attempt, contract_id)
        mark_case(rt, case_key, step, CaseState.AWAITING_APPROVAL)
        facts = _approval_facts(rt, case_key, shown, attempt, enriched, deal, basis, preview, problems)
        answer = ask(
            rt,
            case_key,
            Question(
                ContractApproval,
                step,
                answerer="approver",
                description=approval_description(facts),
                approvers=routine.approvers,
                answerer_title="Godkjent av",
                due=Due(Notice.APPROVAL_NEEDED, round_step),
            ),
        )
        decision = answer.value
        licences = decision.licences or shown.licences
        price = decision.price_per_licence or shown.price_per_licence
        correcting = (licences, price) != (shown.licences, shown.price_per_licence)
        # approval_problems checks the answerer too (models.approval.answerer_problems), with the form's own bounds.
        problems = approval_problems(
            approver=decision.approver,
            licences=decision.licences,
            price_per_licence=decision.price_per_licence,
            rejecting=not decision.approved and not correcting,
            comment=decision.comment,
            limits=request_limits(routine),
            approvers=routine.approvers,
            unreadable=decision.unreadable(),
        )
        if correcting:
            # A correction back to the current agreement undoes the request: refused as `start` refuses it.
            problems += nothing_changes(basis.current, licences=licences, price_per_licence=price)
        attempt += 1
        if problems:
            refuse(rt, case_key, answer, step, problems)
            continue
        if correcting:
            shown = Terms(licences=licences, price_per_licence=price)
            correct_draft(rt, case_key, attempt - 1, contract_id, shown, today)
            set_deal_licences(rt, case_key, attempt - 1, deal.id, licences)
            round_step = approval_key(attempt)
            continue
        if decision.approved:
            return shown
        cancel_contract(rt, case_key, step, contract_id)
        move_deal(rt, case_key, "lost", deal.id, routine.deal_stage_lost)
        note = rejection_note(case_key=case_key, approver=decision.approver, comment=decision.comment)
        write_ticket_note(rt, case_key, REJECTED_NOTE_STEP, enriched.ticket.id, note)
        mark_case(rt, case_key, "rejected", CaseState.REJECTED, {"approver": decision.approver})
        return None


def _approval_facts(
    rt: Runtime,
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
    routine = rt.routine
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
    rt: Runtime,
    case: Case,
    enriched: EnrichedTicket,
    deal: Deal,
    contract_id: str,
    terms: Terms,
    today: date,
    routine: RoutineSettings,
) -> tuple[date, date] | None:
    """Send the contract and wait for the signature; after a decline or expiry a person extends or cancels.
    Returns the signing date and the delivery start date, or None when the contract was cancelled."""
    case_key = case.case_key
    signing_round = 1
    while True:
        if signing_round == 1:
            refresh_draft(rt, case_key, contract_id, terms, case.start_date, today)
        sent = send_contract(rt, case_key, signing_round, contract_id, today)
        if signing_round == 1:
            # The signed contract keeps the first sending's start date, whatever round it is signed in; the deal
            # and the note take it from the contract itself.
            start = set_delivery_start(rt, case_key, deal.id, sent, today, case.start_date)
            move_ticket(rt, case_key, "sent", enriched.ticket.id, routine.ticket_stage_sent)
        outcome, now = _signature(rt, case_key, contract_id, signing_round)
        if outcome == ContractState.SIGNED:
            mark_case(rt, case_key, "signed", CaseState.SIGNED, {"raw_status": now.raw_status})
            return now.signed_on or today, start
        step = decision_key(signing_round)
        mark_case(rt, case_key, step, CaseState.AWAITING_DECISION, {"outcome": str(outcome)})
        description = follow_up_description(case_key, enriched.company.name, outcome, now.raw_status)
        follow_up = _decision(rt, case_key, signing_round, description, routine, str(outcome))
        # The customer may have signed while the form waited (an expiry is our own deadline rule).
        now = read_contract(rt, case_key, step, contract_id)
        if now.state == ContractState.SIGNED:
            mark_case(rt, case_key, "signed", CaseState.SIGNED, {"raw_status": now.raw_status, "after": step})
            return now.signed_on or today, start
        if follow_up.action == "cancel" or now.state == ContractState.CANCELED:
            if now.state != ContractState.CANCELED:
                cancel_contract(rt, case_key, step, contract_id)
            move_deal(rt, case_key, "lost", deal.id, routine.deal_stage_lost)
            note = cancellation_note(
                case_key=case_key,
                decided_by=follow_up.decided_by,
                outcome=str(outcome),
                comment=follow_up.comment,
            )
            write_ticket_note(rt, case_key, CANCELLED_NOTE_STEP, enriched.ticket.id, note)
            mark_case(rt, case_key, "cancelled", CaseState.CANCELLED, {"decided_by": follow_up.decided_by})
            return None
        signing_round += 1


def _signature(rt: Runtime, case_key: str, contract_id: str, signing_round: int) -> tuple[ContractState, Contract]:
    """Wait for the poller (or anyone) to resume the run, then act only on what Dealbuilder says: a resume whose
    claim the contract does not bear out is recorded as refused and the run waits again, under a new key."""
    wait = 1
    while True:
        step = signature_key(signing_round, wait)
        mark_case(rt, case_key, step, CaseState.AWAITING_SIGNATURE)
        answer = ask(rt, case_key, Question(SignatureOutcome, step, answerer="reported_by"))
        claim = answer.value
        now = read_contract(rt, case_key, step, contract_id)
        outcome = verified_outcome(claim.state, now)
        if outcome is not None:
            return outcome, now
        refusal = f"resumed as {claim.state} but Dealbuilder says {now.raw_status!r}: the case keeps waiting"
        refuse(rt, case_key, answer, step, [refusal])
        wait += 1


def _decision(
    rt: Runtime, case_key: str, signing_round: int, description: str, routine: RoutineSettings, outcome: str
) -> ContractFollowUp:
    """Ask a person whether to extend and resend or cancel, until someone on the approvers list answers."""
    attempt = 1
    while True:
        key = decision_key(signing_round, attempt)
        question = Question(
            ContractFollowUp,
            key,
            answerer="decided_by",
            description=description,
            approvers=routine.approvers,
            answerer_title="Avgjort av",
            due=Due(Notice.DECISION_NEEDED, decision_key(signing_round)),
            detail=outcome,
        )
        answer = ask(rt, case_key, question)
        if not answer.problems:
            return answer.value
        refuse(rt, case_key, answer, key, answer.problems)
        attempt += 1


def _complete(
    rt: Runtime,
    case_key: str,
    enriched: EnrichedTicket,
    deal: Deal,
    basis: AgreementBasis,
    contract: Contract,
    terms: Terms,
    signed_on: date,
    start: date,
    routine: RoutineSettings,
) -> bool:
    """After the signature: make the completion's writes (models/completion.py, the same `reforhandling plan` shows).
    Every text is composed before the first write, so bad data cannot stop the case halfway; data the rules cannot
    decide on holds the case for a person before any write (False)."""
    completion = compose_completion(
        basis,
        case_key=case_key,
        company=enriched.company,
        ticket=enriched.ticket,
        licences=terms.licences,
        price_per_licence=terms.price_per_licence,
        start_date=start,
        signed_on=signed_on,
        routine=routine,
        deal_url=deal.url,
        contract_id=contract.id,
        contract_url=contract.preview_url,
    )
    plan = completion.decisions
    if plan.attention is not None:
        hold_for_attention(rt, case_key, plan.attention, str(runtime.flow_run.id))
        return False
    for write in completion.writes:
        _write(rt, case_key, deal.id, write)
    mark_case(rt, case_key, "completed", CaseState.COMPLETED, {"route": plan.route.value})
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


def _write(rt: Runtime, case_key: str, deal_id: str, write: CompletionWrite) -> None:
    """Make one of the completion's writes through its task."""
    match write:
        case MoveDeal():
            move_deal(rt, case_key, write.step, deal_id, write.stage)
        case SetLicences():
            _set_licences(rt, case_key, write.customer_id, write.licences)
        case SetDownwardAdjustment():
            set_downward_adjustment(rt, case_key, write.company_id, write.removed)
        case WriteNote():
            write_ticket_note(rt, case_key, write.step, write.ticket_id, write.text)
        case AssignTicket():
            assign_ticket(rt, case_key, write.ticket_id, write.owner)
        case SendMail():
            send_mail(rt, case_key, write.step, write.message)
        case _:
            assert_never(write)


def _set_licences(rt: Runtime, case_key: str, customer_id: str, licences: int) -> None:
    """Through the API, or ask a person to set the count in Avonova Digital and confirm (manual routine)."""
    if not rt.licences.requires_confirmation:
        adjust_licences(rt, case_key, customer_id, licences)
        return
    approvers = rt.routine.approvers
    attempt = 1
    while True:
        key = licences_key(attempt)
        mark_case(rt, case_key, key, CaseState.AWAITING_LICENCE_CONFIRMATION)
        question = Question(
            LicencesAdjusted,
            key,
            answerer="confirmed_by",
            description=licence_confirmation_description(customer_id, licences, retry=attempt > 1),
            approvers=approvers,
            answerer_title="Bekreftet av",
            due=Due(Notice.LICENCE_CONFIRMATION, licences_key(1)),
        )
        answer = ask(rt, case_key, question)
        problems = list(answer.problems)
        if answer.value.licences_set != licences:
            problems.append(f"{answer.by!r} confirmed {answer.value.licences_set} licences; {licences} were to be set")
        if not problems:
            mark_case(rt, case_key, "licences-confirmed", CaseState.LICENCES_ADJUSTED, {"by": answer.by})
            return
        refuse(rt, case_key, answer, key, problems)
        attempt += 1


renegotiate_agreement = renegotiation_flow(runtime_from_settings)
