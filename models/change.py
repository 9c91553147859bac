"""What a signed renegotiation changed, and what follows from it: one summary for the note and the e-mails, and
the plan of post-signature steps (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


class CompletionPlan(BaseModel):
    """The post-signature decisions: which way the count moved, who gets the ticket, whether sales is told."""

    model_config = ConfigDict(frozen=True)

    direction: Direction
    removed: int  # the `nedjustering` value; 0 unless the count went down
    route: Route
    ticket_owner: str
    sales_registration: bool
    routing_basis: RoutingBasis


def completion_plan(summary: ChangeSummary, routine: RoutineSettings) -> CompletionPlan:
    """Every renegotiation is handed to order/invoice, except a reduction the routing rule sends to CSC; an
    increase signed under `sales_registration_months` after the sold agreement is registered as a sale."""
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
    return CompletionPlan(
        direction=direction,
        removed=removed,
        route=route,
        ticket_owner=routine.csc_owner if route is Route.CSC else routine.invoice_service_owner,
        sales_registration=needs_sales_registration(
            before,
            after,
            original_signed_on=summary.sold_signed_on,
            signed_on=summary.signed_on,
            months=routine.sales_registration_months,
        ),
        routing_basis=basis,
    )
