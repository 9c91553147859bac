"""The routine's exact rules (issue 8) as table rows: which agreement counts, what the new contract carries, who
gets the ticket, when sales registration applies, and how an org number is read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config.settings import RoutineSettings
from models.agreement import Agreement, ContractLine, NoAgreement, agreement_basis
from models.change import ChangeSummary, completion_plan
from models.drafting import contract_lines
from models.org_number import InvalidOrgNumber, customer_org_number, normalize_org_number
from models.renegotiation import NothingToRenegotiate, check_something_changes, nothing_changes
from models.rules import Direction, Route, RoutingBasis, route_downward_adjustment

ROUTINE = RoutineSettings()
SOLD_TEMPLATE = "Avtale om Avonova Assist"


def agreement(
    contract_id: str, signed_on: date, *, template: str = SOLD_TEMPLATE, sender: str = "Selger Avonova"
) -> Agreement:
    return Agreement(
        contract_id=contract_id,
        licences=20,
        price_per_licence=Decimal("500"),
        signed_on=signed_on,
        template=template,
        sender=sender,
    )


SOLD_2022 = agreement("DB-1", date(2022, 5, 1))
SOLD_2024 = agreement("DB-2", date(2024, 5, 1))
RENEGOTIATED_2025 = agreement("DB-3", date(2025, 6, 1), template=ROUTINE.contract_template, sender="user non human")
SENT_BY_ROUTINE_2025 = agreement("DB-4", date(2025, 7, 1), sender=ROUTINE.contract_sender)


@pytest.mark.parametrize(
    ("agreements", "current", "sold", "fallback"),
    [
        pytest.param([SOLD_2022], "DB-1", "DB-1", False, id="one sold agreement is both"),
        pytest.param([SOLD_2024, SOLD_2022], "DB-2", "DB-2", False, id="the newest sold one, in any order"),
        pytest.param(
            [SOLD_2022, RENEGOTIATED_2025], "DB-3", "DB-1", False, id="a renegotiation never restarts the clock"
        ),
        pytest.param(
            [SOLD_2022, SENT_BY_ROUTINE_2025], "DB-4", "DB-1", False, id="sent by the routine's sender is ours too"
        ),
        pytest.param(
            [RENEGOTIATED_2025, SENT_BY_ROUTINE_2025], "DB-4", "DB-3", True, id="none sold: the oldest, said so"
        ),
        pytest.param(
            [agreement("DB-10", date(2024, 5, 1)), agreement("DB-9", date(2024, 5, 1))],
            "DB-10",
            "DB-10",
            False,
            id="same day: the higher document number, as a number (DB-10 after DB-9)",
        ),
        pytest.param(
            [agreement("DB-9", date(2024, 5, 1)), agreement("DB-10", date(2024, 5, 1))],
            "DB-10",
            "DB-10",
            False,
            id="same day, listed the other way round",
        ),
        pytest.param(
            [agreement("DB-100", date(2024, 5, 1)), agreement("DB-99", date(2024, 5, 2))],
            "DB-99",
            "DB-99",
            False,
            id="a later day beats a higher number",
        ),
    ],
)
def test_the_current_and_the_sold_agreement(
    agreements: list[Agreement], current: str, sold: str, fallback: bool
) -> None:
    basis = agreement_basis(
        agreements,
        org_number="912345610",
        template=ROUTINE.contract_template,
        sender=ROUTINE.contract_sender,
        customer="X",
    )

    assert (basis.current.contract_id, basis.sold.contract_id, basis.sold_is_fallback) == (current, sold, fallback)


def test_no_signed_agreement_is_refused_with_what_to_check() -> None:
    with pytest.raises(NoAgreement, match="no signed Avonova Assist agreement in Dealbuilder for Fjordkraft"):
        agreement_basis([], org_number="912345610", template="t", sender="s", customer="Fjordkraft (org 912345610)")


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        pytest.param("912345610", "912345610", id="9 digits"),
        pytest.param("912 345 610", "912345610", id="grouped with spaces"),
        pytest.param("NO 912 345 610 MVA", "912345610", id="VAT form"),
        pytest.param("no912345610mva", "912345610", id="VAT form, lower case, no spaces"),
        pytest.param("912.345.610", "912345610", id="grouped with dots"),
        pytest.param("912-345-610", "912345610", id="grouped with dashes"),
        pytest.param("NO-912-345-610-MVA", "912345610", id="VAT form with dashes"),
    ],
)
def test_org_numbers_are_compared_as_9_digits(raw: str, digits: str) -> None:
    assert normalize_org_number(raw) == digits


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("12345678", "'12345678' is not 9 digits", id="8 digits"),
        pytest.param("9123456100", "is not 9 digits", id="10 digits"),
        pytest.param("912345678", "'912345678' fails the MOD11 check", id="a wrong check digit"),
        pytest.param("ABC", "'ABC' is not 9 digits", id="letters"),
    ],
)
def test_an_org_number_that_is_not_9_valid_digits_is_refused_with_its_value(raw: str, message: str) -> None:
    with pytest.raises(InvalidOrgNumber, match=message):
        normalize_org_number(raw)


@pytest.mark.parametrize("raw", ["", "   "])
def test_a_company_card_without_an_org_number_stops_the_case_naming_the_company_and_property(raw: str) -> None:
    with pytest.raises(InvalidOrgNumber, match=r"the company card of Uten Orgnr AS has no org number .*'orgnr'"):
        customer_org_number(raw, company="Uten Orgnr AS", property_name="orgnr")


def line(name: str, quantity: int, price: str, discount: str = "0") -> ContractLine:
    return ContractLine(name=name, quantity=quantity, unit_price=Decimal(price), discount_percent=Decimal(discount))


LICENCE, ONBOARDING = ROUTINE.licence_line, ROUTINE.onboarding_line


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        pytest.param(
            [line(LICENCE, 30, "500", "20"), line("Kursmodul", 1, "3000", "10")],
            [line(LICENCE, 45, "450"), line("Kursmodul", 1, "3000", "10"), line(ONBOARDING, 1, "2500.00", "100")],
            id="other lines kept as signed, onboarding added at 100 %",
        ),
        pytest.param(
            [line(ONBOARDING, 1, "1990", "50"), line(LICENCE, 30, "500")],
            [line(ONBOARDING, 1, "1990", "100"), line(LICENCE, 45, "450")],
            id="an existing onboarding line is set to 100 %, order kept",
        ),
    ],
)
def test_the_new_contract_carries_every_line_over_except_price_and_count(
    original: list[ContractLine], expected: list[ContractLine]
) -> None:
    current = agreement("DB-1", date(2024, 1, 1)).model_copy(update={"lines": tuple(original)})

    assert list(contract_lines(ROUTINE, current, licences=45, price_per_licence=Decimal("450"))) == expected


def test_price_before_is_what_the_customer_pays_after_the_discount() -> None:
    discounted = agreement("DB-1", date(2024, 1, 1)).model_copy(update={"licence_discount_percent": Decimal("20")})

    assert discounted.paid_per_licence == Decimal("400.00")


@pytest.mark.parametrize(
    ("before", "after", "basis", "route"),
    [
        pytest.param(100, 91, RoutingBasis.REDUCTION, Route.INVOICE_SERVICE, id="reduction 9: invoice"),
        pytest.param(100, 81, RoutingBasis.REDUCTION, Route.INVOICE_SERVICE, id="reduction 19 of 100: invoice"),
        pytest.param(100, 80, RoutingBasis.REDUCTION, Route.CSC, id="reduction 20 of 100: CSC"),
        pytest.param(12, 3, RoutingBasis.REDUCTION, Route.INVOICE_SERVICE, id="reduction 9 of 12: invoice"),
        pytest.param(12, 3, RoutingBasis.CUSTOMER_SIZE, Route.CSC, id="customer of 12, 75 % removed: CSC"),
        pytest.param(9, 1, RoutingBasis.CUSTOMER_SIZE, Route.INVOICE_SERVICE, id="customer of 9: invoice"),
        pytest.param(100, 81, RoutingBasis.CUSTOMER_SIZE, Route.INVOICE_SERVICE, id="customer of 100, 19 %: invoice"),
        pytest.param(100, 80, RoutingBasis.CUSTOMER_SIZE, Route.CSC, id="customer of 100, 20 %: CSC"),
        pytest.param(10, 9, RoutingBasis.CUSTOMER_SIZE, Route.INVOICE_SERVICE, id="customer of exactly 10, 10 %"),
        pytest.param(10, 8, RoutingBasis.CUSTOMER_SIZE, Route.CSC, id="customer of exactly 10, 20 %: CSC"),
        pytest.param(10, 8, RoutingBasis.REDUCTION, Route.INVOICE_SERVICE, id="reduction 2 of 10: invoice"),
    ],
)
def test_routing_reads_under_or_over_10_licences_by_the_basis_setting(
    before: int, after: int, basis: RoutingBasis, route: Route
) -> None:
    assert route_downward_adjustment(before, after, basis=basis) == route


def summary(
    before: int, after: int, *, sold: date = date(2024, 1, 1), signed: date = date(2026, 11, 20)
) -> ChangeSummary:
    return ChangeSummary(
        case_key="RF-1",
        company_name="X AS",
        org_number="912345610",
        licences_before=before,
        licences_after=after,
        price_before=Decimal("400"),
        price_after=Decimal("450"),
        start_before=None,
        start_date=signed,
        signed_on=signed,
        sold_signed_on=sold,
    )


INVOICE, CSC = ROUTINE.invoice_service_owner, ROUTINE.csc_owner


@pytest.mark.parametrize(
    ("change", "direction", "owner", "removed", "sales"),
    [
        pytest.param(summary(40, 55), Direction.UP, INVOICE, 0, True, id="upward within 36 months: invoice and sales"),
        pytest.param(
            summary(40, 55, sold=date(2023, 11, 20)), Direction.UP, INVOICE, 0, False, id="exactly 36 months: no sale"
        ),
        pytest.param(summary(40, 40), Direction.UNCHANGED, INVOICE, 0, False, id="price only: told to invoice"),
        pytest.param(summary(60, 54), Direction.DOWN, INVOICE, 6, False, id="small reduction: invoice"),
        pytest.param(summary(100, 70), Direction.DOWN, CSC, 30, False, id="large reduction: CSC"),
        pytest.param(
            summary(60, 54, sold=date(2026, 11, 21)),
            Direction.DOWN,
            INVOICE,
            6,
            False,
            id="a decrease with the sold agreement dated after the signature: the dates do not matter",
        ),
        pytest.param(
            summary(40, 40, sold=date(2026, 12, 1)),
            Direction.UNCHANGED,
            INVOICE,
            0,
            False,
            id="price only, inverted dates",
        ),
    ],
)
def test_every_renegotiation_is_handed_to_order_invoice_unless_a_large_reduction_goes_to_csc(
    change: ChangeSummary, direction: Direction, owner: str, removed: int, sales: bool
) -> None:
    plan = completion_plan(change, ROUTINE)

    assert (plan.direction, plan.ticket_owner, plan.removed, plan.sales_registration) == (
        direction,
        owner,
        removed,
        sales,
    )


@pytest.mark.parametrize(
    ("licences", "price", "refused"),
    [
        pytest.param(20, "400.00", True, id="same count, same paid price"),
        pytest.param(21, "400.00", False, id="new count"),
        pytest.param(20, "399.00", False, id="new price"),
        pytest.param(20, "500.00", False, id="the list price is not the paid price"),
    ],
)
def test_a_request_that_changes_nothing_is_refused(licences: int, price: str, refused: bool) -> None:
    def check() -> None:
        check_something_changes(
            licences_before=20, paid_before=Decimal("400.00"), licences_after=licences, price_after=Decimal(price)
        )

    if refused:
        with pytest.raises(NothingToRenegotiate, match="nothing to renegotiate"):
            check()
    else:
        check()


@pytest.mark.parametrize(
    ("before", "after", "route"),
    [
        pytest.param(10, 9, Route.INVOICE_SERVICE, id="10 -> 9: invoice"),
        pytest.param(10, 8, Route.CSC, id="10 -> 8: CSC"),
    ],
)
def test_customer_size_routing_at_exactly_10_licences_hands_the_ticket_to_the_right_team(
    before: int, after: int, route: Route
) -> None:
    routine = ROUTINE.model_copy(update={"routing_basis": "customer_size"})

    plan = completion_plan(summary(before, after), routine)

    assert (plan.route, plan.removed) == (route, before - after)
    assert plan.ticket_owner == (CSC if route is Route.CSC else INVOICE)


def test_an_increase_whose_sold_agreement_is_dated_after_the_signature_is_held_for_a_person_with_the_reason() -> None:
    change = summary(40, 55, sold=date(2026, 11, 21)).model_copy(update={"sold_contract_id": "DB-7"})

    plan = completion_plan(change, ROUTINE)

    assert (plan.direction, plan.sales_registration) == (Direction.UP, False)
    assert plan.attention is not None
    assert "the sold agreement DB-7 is dated 2026-11-21, after the new contract's signature on 2026-11-20" in (
        plan.attention
    )


def test_a_correction_back_to_the_current_agreement_gets_starts_refusal() -> None:
    current = agreement("DB-1", date(2024, 5, 1))  # 20 licences at 500 kr, no discount
    with pytest.raises(NothingToRenegotiate) as refused:
        check_something_changes(
            licences_before=20, paid_before=Decimal("500.00"), licences_after=20, price_after=Decimal("500.00")
        )

    assert nothing_changes(current, licences=20, price_per_licence=Decimal("500.00")) == [str(refused.value)]
    assert nothing_changes(current, licences=21, price_per_licence=Decimal("500.00")) == []
    assert nothing_changes(current, licences=20, price_per_licence=Decimal("499.00")) == []
