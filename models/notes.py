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


def rejection_note(*, case_key: str, approver: str, comment: str | None) -> str:
    """Say on the ticket that the draft was rejected and the case closed."""
    return (
        f"Reforhandling avvist av {clean_text(approver) or 'ukjent'} (sak {case_key}); kontraktutkastet er "
        f"kansellert.{_reason(comment)}"
    )


def cancellation_note(*, case_key: str, decided_by: str, outcome: str, comment: str | None) -> str:
    """Say on the ticket that an unsigned contract was cancelled after it was declined or expired."""
    return (
        f"Kontrakten ble ikke signert ({clean_text(outcome)}) og er kansellert av {clean_text(decided_by) or 'ukjent'} "
        f"(sak {case_key}).{_reason(comment)}"
    )


def _reason(comment: str | None) -> str:
    # A person's words, as they wrote them (lines too), without anything a screen or a note would obey.
    reason = clean_text(comment, keep_lines=True)
    return f" Begrunnelse: {reason}" if reason else ""
