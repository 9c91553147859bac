"""The renegotiation of one customer's agreement, from the ticket to a signed, registered contract.

Every suspend ends the process; a resume runs this body again from the top, and the tasks before the
suspend come back from their persisted results (keyed by case key and step), so nothing is done twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from prefect import flow, get_run_logger, runtime
from prefect.flow_runs import suspend_flow_run

from flows.inputs import ContractApproval, ContractFollowUp, LicencesAdjusted, SignatureOutcome
from models.agreement import Agreement
from models.approval import ApprovalFacts, approval_description, approval_problems
from models.case import CLOSED_STATES, Case, CaseState
from models.contract import ContractState
from models.crm import Deal, EnrichedTicket
from models.drafting import contract_lines
from models.messages import csc_handover_message, sales_registration_message
from models.notes import cancellation_note, invoice_note, rejection_note
from models.renegotiation import Terms
from models.rules import (
    Direction,
    Route,
    adjustment_direction,
    delivery_start_date,
    needs_sales_registration,
    reduction,
    route_downward_adjustment,
    signing_deadline,
)
from reforhandling.clock import local_today
from reforhandling.settings import RoutineSettings
from reforhandling.wiring import get_runtime
from tasks.case_tasks import (
    attach_run,
    load_case,
    mark_case,
    mark_needs_attention,
    mark_run_cancelled,
    record_decision,
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
from tasks.deal import create_deal, set_deal_licences, set_delivery_start
from tasks.enrichment import enrich_ticket
from tasks.licences import adjust_licences
from tasks.mail import send_mail
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
    routine = get_runtime().settings.routine
    today = local_today(routine.timezone)
    if (case := reopen_case(case_key)).state in CLOSED_STATES:
        # An ops retry of a run whose case was closed meanwhile (e.g. `reforhandling cancel`) must touch nothing.
        get_run_logger().warning("case %s is %s; nothing to do", case_key, case.state)
        return case.state
    attach_run(case_key, str(runtime.flow_run.id))
    enriched = enrich_ticket(case_key)
    deal = create_deal(case_key, enriched, today)
    agreement = read_agreement(case_key, enriched.company)
    contract = draft_contract(case_key, enriched, deal, agreement, today)
    if not _approved(case_key, enriched, deal, contract.id, today):
        return CaseState.REJECTED
    signed = _signed(case_key, enriched, deal, contract.id, today, routine)
    if signed is None:
        return CaseState.CANCELLED
    signed_on, start = signed
    _complete(case_key, enriched, deal, agreement, signed_on, start, routine)
    return CaseState.COMPLETED


def _approved(case_key: str, enriched: EnrichedTicket, deal: Deal, contract_id: str, today: date) -> bool:
    """Ask for approval until the draft is approved (True) or rejected (False); corrections ask again."""
    problems: list[str] = []
    attempt = 1
    while True:
        step = f"approval-{attempt}"
        # What this form showed, from its own snapshot: on a replay the case already holds later corrections.
        shown = snapshot_terms(case_key, attempt)
        preview = preview_contract(case_key, attempt, contract_id)
        mark_case(case_key, step, CaseState.AWAITING_APPROVAL)
        facts = _approval_facts(load_case(case_key), shown, attempt, enriched, deal, preview.url, problems, today)
        form = ContractApproval.with_initial_data(description=approval_description(facts), approved=False)
        decision = suspend_flow_run(wait_for_input=form, key=step)
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
        )
        attempt += 1
        if problems:
            continue
        if correcting:
            correct_draft(case_key, attempt - 1, contract_id, licences, price, today)
            set_deal_licences(case_key, attempt - 1, deal.id, licences)
            continue
        if decision.approved:
            return True
        cancel_contract(case_key, step, contract_id)
        note = rejection_note(case_key=case_key, approver=decision.approver, comment=decision.comment)
        write_ticket_note(case_key, "rejected", enriched.ticket.id, note)
        mark_case(case_key, "rejected", CaseState.REJECTED, {"approver": decision.approver})
        return False


def _approval_facts(
    case: Case,
    shown: Terms,
    attempt: int,
    enriched: EnrichedTicket,
    deal: Deal,
    preview_url: str,
    problems: list[str],
    today: date,
) -> ApprovalFacts:
    routine = get_runtime().settings.routine
    return ApprovalFacts(
        case_key=case.case_key,
        attempt=attempt,
        company_name=enriched.company.name,
        org_number=enriched.company.org_number,
        signer_name=enriched.contact.full_name,
        signer_email=enriched.contact.email,
        signer_phone=enriched.contact.phone,
        licences_before=case.licences_before or 0,
        licences_after=shown.licences,
        price_before=case.price_before or Decimal(0),
        price_after=shown.price_per_licence,
        start_date=delivery_start_date(today, case.start_date),
        signing_deadline=signing_deadline(today),
        lines=contract_lines(routine, licences=shown.licences, price_per_licence=shown.price_per_licence),
        preview_url=preview_url,
        deal_url=deal.url,
        problems=tuple(problems),
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
        send_contract(case_key, signing_round, contract_id, today)
        if signing_round == 1:
            # The signed contract keeps the first sending's start date, whatever round it is signed in.
            start = set_delivery_start(case_key, deal.id, today)
            move_ticket(case_key, "sent", enriched.ticket.id, routine.ticket_stage_sent)
        key = "signature" if signing_round == 1 else f"signature-{signing_round}"
        mark_case(case_key, key, CaseState.AWAITING_SIGNATURE)
        outcome = suspend_flow_run(wait_for_input=SignatureOutcome, key=key)
        record_decision(case_key, key, "poll-signatures", outcome.model_dump(mode="json"))
        if outcome.state == ContractState.SIGNED:
            mark_case(case_key, "signed", CaseState.SIGNED, {"raw_status": outcome.raw_status})
            return outcome.signed_on or today, start
        step = f"decision-{signing_round}"
        mark_case(case_key, step, CaseState.AWAITING_DECISION, {"outcome": str(outcome.state)})
        form = ContractFollowUp.with_initial_data(description=_follow_up_description(case_key, enriched, outcome))
        follow_up = suspend_flow_run(wait_for_input=form, key=step)
        record_decision(case_key, step, follow_up.decided_by, follow_up.model_dump(mode="json"))
        # The customer may have signed while the form waited (an expiry is our own deadline rule).
        now = read_contract(case_key, step, contract_id)
        if now.state == ContractState.SIGNED:
            mark_case(case_key, "signed", CaseState.SIGNED, {"raw_status": now.raw_status, "after": step})
            return now.signed_on or today, start
        if follow_up.action == "cancel" or now.state == ContractState.CANCELED:
            if now.state != ContractState.CANCELED:
                cancel_contract(case_key, step, contract_id)
            note = cancellation_note(
                case_key=case_key,
                decided_by=follow_up.decided_by,
                outcome=str(outcome.state),
                comment=follow_up.comment,
            )
            write_ticket_note(case_key, "cancelled", enriched.ticket.id, note)
            mark_case(case_key, "cancelled", CaseState.CANCELLED, {"decided_by": follow_up.decided_by})
            return None
        signing_round += 1


def _follow_up_description(case_key: str, enriched: EnrichedTicket, outcome: SignatureOutcome) -> str:
    cancelled = outcome.state == ContractState.CANCELED
    return (
        f"## Kontrakten ble ikke signert: {outcome.state}\n\n"
        f"{enriched.company.name}, sak **{case_key}**, status hos Dealbuilder: `{outcome.raw_status}`.\n\n"
        + (
            "Kontrakten er kansellert i Dealbuilder og kan ikke sendes på nytt: velg **cancel** for å lukke saken."
            if cancelled
            else "Velg **extend_and_resend** for å gi kunden 7 nye dager og sende på nytt, "
            "eller **cancel** for å kansellere kontrakten og lukke saken."
        )
    )


def _complete(
    case_key: str,
    enriched: EnrichedTicket,
    deal: Deal,
    agreement: Agreement,
    signed_on: date,
    start: date,
    routine: RoutineSettings,
) -> None:
    """After the signature: licences, nedjustering, the note for order/invoice, routing, sales registration."""
    case = load_case(case_key)
    before, after = agreement.licences, case.licences_after
    _set_licences(case_key, enriched.company.org_number, after)
    direction = adjustment_direction(before, after)
    route: Route | None = None
    if direction is Direction.DOWN:
        set_downward_adjustment(case_key, enriched.company.id, reduction(before, after))
        route = route_downward_adjustment(
            before, after, min_reduction=routine.min_reduction, max_share=routine.max_share
        )
    note = invoice_note(
        case_key=case_key,
        licences_before=before,
        licences_after=after,
        price_before=agreement.price_per_licence,
        price_after=case.price_after,
        start_before=agreement.start_date,
        start_date=start,
        signed_on=signed_on,
        route=route,
    )
    write_ticket_note(case_key, "invoice", enriched.ticket.id, note)
    figures: dict[str, Any] = {
        "case_key": case_key,
        "company_name": enriched.company.name,
        "org_number": enriched.company.org_number,
        "licences_before": before,
        "licences_after": after,
        "price_before": agreement.price_per_licence,
        "price_after": case.price_after,
        "start_date": start,
        "original_signed_on": agreement.signed_on,
        "new_signed_on": signed_on,
        "deal_url": deal.url,
    }
    if route is Route.INVOICE_SERVICE:
        assign_ticket(case_key, enriched.ticket.id, routine.invoice_service_owner)
    elif route is Route.CSC:
        assign_ticket(case_key, enriched.ticket.id, routine.csc_owner)
        send_mail(case_key, "csc-handover", csc_handover_message(**figures, recipient=routine.csc_recipient))
    if direction is Direction.UP and needs_sales_registration(
        before,
        after,
        original_signed_on=agreement.signed_on,
        signed_on=signed_on,
        months=routine.sales_registration_months,
    ):
        message = sales_registration_message(
            **figures, recipient=routine.sales_registration_recipient, months=routine.sales_registration_months
        )
        send_mail(case_key, "sales-registration", message)
    mark_case(case_key, "completed", CaseState.COMPLETED, {"route": route.value if route else None})
    get_run_logger().info("case %s completed: %s %d -> %d, route %s", case_key, direction, before, after, route)


def _set_licences(case_key: str, customer_id: str, licences: int) -> None:
    """Through the API, or ask a person to set the count in Avonova Digital and confirm (manual routine)."""
    if not get_runtime().licences.requires_confirmation:
        adjust_licences(case_key, customer_id, licences)
        return
    attempt = 1
    while True:
        step = f"licences-{attempt}"
        mark_case(case_key, step, CaseState.AWAITING_LICENCE_CONFIRMATION)
        form = LicencesAdjusted.with_initial_data(
            description=(
                f"## Sett antall lisenser i Avonova Digital\n\nKunde (org.nr.) **{customer_id}**: "
                f"sett antall tilganger til **{licences}**, og bekreft her med samme tall og navnet ditt."
                + ("" if attempt == 1 else "\n\n> Forrige bekreftelse hadde et annet tall eller manglet navn.")
            )
        )
        confirmation = suspend_flow_run(wait_for_input=form, key=step)
        record_decision(case_key, step, confirmation.confirmed_by, confirmation.model_dump(mode="json"))
        if confirmation.licences_set == licences and confirmation.confirmed_by.strip():
            mark_case(case_key, "licences-confirmed", CaseState.LICENCES_ADJUSTED, {"by": confirmation.confirmed_by})
            return
        attempt += 1
