"""The notes the routine writes on the ticket (pure): what changed, for order/invoice, and why a case closed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models.messages import format_date, format_nok
from models.rules import Route

ROUTE_TEXT = {
    Route.INVOICE_SERVICE: "Nedjusteringen håndteres av Invoice service; ticketen er tildelt dem.",
    Route.CSC: "Nedjusteringen er stor og er overført til CSC; ticketen er tildelt CSC.",
}


def invoice_note(
    *,
    case_key: str,
    licences_before: int,
    licences_after: int,
    price_before: Decimal,
    price_after: Decimal,
    start_before: date | None,
    start_date: date,
    signed_on: date,
    route: Route | None,
) -> str:
    """Tell order/invoice what changed in the customer's agreement: price, licence count, start date."""
    before = format_date(start_before) if start_before else "ukjent"
    lines = [
        f"Reforhandling signert {format_date(signed_on)} (sak {case_key}). Til ordre/faktura:",
        f"Antall lisenser: {licences_before} → {licences_after}",
        f"Pris per lisens: {format_nok(price_before)} → {format_nok(price_after)}",
        f"Oppstartsdato: {before} → {format_date(start_date)}",
    ]
    if route is not None:
        lines.append(ROUTE_TEXT[route])
    return "\n".join(lines)


def rejection_note(*, case_key: str, approver: str, comment: str | None) -> str:
    """Say on the ticket that the draft was rejected and the case closed."""
    reason = f" Begrunnelse: {comment.strip()}" if comment and comment.strip() else ""
    return f"Reforhandling avvist av {approver or 'ukjent'} (sak {case_key}); kontraktutkastet er kansellert.{reason}"


def cancellation_note(*, case_key: str, decided_by: str, outcome: str, comment: str | None) -> str:
    """Say on the ticket that an unsigned contract was cancelled after it was declined or expired."""
    reason = f" Begrunnelse: {comment.strip()}" if comment and comment.strip() else ""
    return (
        f"Kontrakten ble ikke signert ({outcome}) og er kansellert av {decided_by or 'ukjent'} "
        f"(sak {case_key}).{reason}"
    )
