"""What a signed renegotiation changed, and what follows from it: one summary for the note and the e-mails, and
the plan of post-signature steps (pure)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from config.settings import RoutineSettings
from models.rules import (
    Direction,
    Route,
    RoutingBasis,
    adjustment_direction,
    needs_sales_registration,
    reduction,
    route_downward_adjustment,
)


class ChangeSummary(BaseModel):
    """The figures before and after, as order/invoice, CSC and sales registration are told them."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    company_name: str
    org_number: str
    licences_before: int
    licences_after: int
    # What the customer paid per licence (after the line's discount) and pays now.
    price_before: Decimal
    price_after: Decimal
    start_before: date | None
    start_date: date
    signed_on: date
    # The agreement a seller sold (the 36-month clock); `sold_is_fallback`: none found, the oldest one used.
    sold_signed_on: date
    sold_is_fallback: bool = False
    deal_url: str = ""
    # Where to look (DOMAIN.md, "every handover says where to look"): the ticket, the signed contract.
    ticket_url: str = ""
    contract_id: str = ""
    contract_url: str = ""
    # Whose sale it is: the sold agreement's document id, its seller (the document's sender) and booker.
    sold_contract_id: str = ""
    sold_sender: str = ""
    sold_booker: str = ""

    @property
    def licences_added(self) -> int:
        return self.licences_after - self.licences_before


class CompletionPlan(BaseModel):
    """The post-signature decisions: which way the count moved, who gets the ticket, whether sales is told."""

    model_config = ConfigDict(frozen=True)

    direction: Direction
    removed: int  # the `nedjustering` value, written on every signed case; 0 unless the count went down
    route: Route
    ticket_owner: str
    sales_registration: bool
    routing_basis: RoutingBasis
    # Data the rules cannot decide on (a sold agreement signed after the new contract): a person must look first.
    attention: str | None = None


def yearly_value(licences: int, paid_per_licence: Decimal, periods_per_year: int) -> Decimal:
    """What the licence line brings in a year: licences times the price paid, times the charges a year."""
    return (Decimal(licences) * paid_per_licence * periods_per_year).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def completion_plan(summary: ChangeSummary, routine: RoutineSettings) -> CompletionPlan:
    """Every renegotiation is handed to order/invoice, except a reduction the routing rule sends to CSC; an
    increase signed under `sales_registration_months` after the sold agreement is registered as a sale. The
    direction is decided first: the 36-month dates matter only to an increase, and an increase whose sold
    agreement is dated after the new signature is held for a person (`attention`), never a crash."""
    before, after = summary.licences_before, summary.licences_after
    direction = adjustment_direction(before, after)
    basis = RoutingBasis(routine.routing_basis)
    route = Route.INVOICE_SERVICE
    removed = 0
    if direction is Direction.DOWN:
        removed = reduction(before, after)
        route = route_downward_adjustment(
            before, after, min_reduction=routine.min_reduction, max_share=routine.max_share, basis=basis
        )
    attention = None
    sales_registration = False
    if direction is Direction.UP and summary.signed_on < summary.sold_signed_on:
        sold = " ".join(part for part in ("the sold agreement", summary.sold_contract_id) if part)
        attention = (
            f"{sold} is dated {summary.sold_signed_on.isoformat()}, after the new contract's signature on "
            f"{summary.signed_on.isoformat()}, so the 36-month rule cannot decide whether the sale is registered; "
            "check both signing dates in Dealbuilder and register the sale by hand if it is one"
        )
    elif direction is Direction.UP:
        sales_registration = needs_sales_registration(
            before,
            after,
            original_signed_on=summary.sold_signed_on,
            signed_on=summary.signed_on,
            months=routine.sales_registration_months,
        )
    return CompletionPlan(
        direction=direction,
        removed=removed,
        route=route,
        ticket_owner=routine.csc_owner if route is Route.CSC else routine.invoice_service_owner,
        sales_registration=sales_registration,
        routing_basis=basis,
        attention=attention,
    )
