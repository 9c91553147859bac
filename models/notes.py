"""The notes the routine writes on the ticket (pure): what changed, for order/invoice, and why a case closed."""

from __future__ import annotations

from models.change import ChangeSummary, CompletionPlan
from models.messages import format_date, format_nok, where_to_look
from models.rules import Direction, Route, RoutingBasis
from models.text import clean_text

BASIS_TEXT = {
    RoutingBasis.REDUCTION: "antall lisenser som fjernes",
    RoutingBasis.CUSTOMER_SIZE: "kundens antall lisenser før endringen",
}


def _route_text(plan: CompletionPlan) -> str:
    if plan.route is Route.CSC:
        return (
            f"Nedjusteringen ({plan.removed} lisenser) er stor og er overført til CSC; ticketen er tildelt CSC "
            f"(fordelingen regnes etter {BASIS_TEXT[plan.routing_basis]})."
        )
    if plan.direction is Direction.DOWN:
        return (
            f"Nedjusteringen ({plan.removed} lisenser) håndteres av ordre/faktura (Invoice service); ticketen er "
            f"tildelt dem (fordelingen regnes etter {BASIS_TEXT[plan.routing_basis]})."
        )
    return "Ticketen er tildelt ordre/faktura (Invoice service)."


def invoice_note(summary: ChangeSummary, plan: CompletionPlan) -> str:
    """Tell order/invoice what changed in the customer's agreement (price, licence count, start date) and where to
    look: the case, the deal, the ticket and the signed contract."""
    before = format_date(summary.start_before) if summary.start_before else "ukjent"
    return "\n".join(
        [
            f"Reforhandling signert {format_date(summary.signed_on)} (sak {summary.case_key}). Til ordre/faktura:",
            f"Antall lisenser: {summary.licences_before} → {summary.licences_after}",
            f"Pris per lisens: {format_nok(summary.price_before)} → {format_nok(summary.price_after)}",
            f"Oppstartsdato: {before} → {format_date(summary.start_date)}",
            _route_text(plan),
            *(f"{label}: {value}" for label, value in where_to_look(summary)),
        ]
    )


# The steps of the closing notes: the flow's and `reforhandling cancel`'s cancellation share one marker.
REJECTED_NOTE_STEP = "rejected"
CANCELLED_NOTE_STEP = "cancelled"


def note_marker(case_key: str, step: str) -> str:
    """The marker that finds a case's note of one step on the ticket again, so a repeat writes no second note."""
    return f"[{case_key}/{step}]"


def _closing_note(*, case_key: str, what: str, by: str, fate: str, comment: str | None) -> str:
    # The one shape of every note of a case closed before its signature: what happened and by whom, what became of
    # the contract, and the person's reason.
    contract = f"; {fate}" if fate else ""
    return f"Reforhandling {what} av {clean_text(by) or 'ukjent'} (sak {case_key}){contract}.{_reason(comment)}"


def rejection_note(*, case_key: str, approver: str, comment: str | None) -> str:
    """Say on the ticket that the draft was rejected and the case closed."""
    return _closing_note(
        case_key=case_key, what="avvist", by=approver, fate="kontraktutkastet er kansellert", comment=comment
    )


def cancellation_note(*, case_key: str, decided_by: str, outcome: str, comment: str | None) -> str:
    """Say on the ticket that an unsigned contract was cancelled after it was declined or expired."""
    return _closing_note(
        case_key=case_key,
        what="avbrutt",
        by=decided_by,
        fate=f"kontrakten ble ikke signert ({clean_text(outcome)}) og er kansellert",
        comment=comment,
    )


def ops_cancellation_note(*, case_key: str, actor: str, reason: str, contract_cancelled: bool) -> str:
    """Say on the ticket that ops closed the case (`reforhandling cancel`), and its contract if it had one."""
    fate = "kontrakten er kansellert" if contract_cancelled else ""
    return _closing_note(case_key=case_key, what="avbrutt", by=actor, fate=fate, comment=reason)


def _reason(comment: str | None) -> str:
    # A person's words, as they wrote them (lines too), without anything a screen or a note would obey.
    reason = clean_text(comment, keep_lines=True)
    return f" Begrunnelse: {reason}" if reason else ""
