"""The routine's rules, table by table (DOMAIN.md, "The steps" and "Decisions")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from models.rules import (
    Direction,
    Route,
    adjustment_direction,
    deal_close_date,
    deal_name,
    delivery_start_date,
    needs_sales_registration,
    reduction,
    route_downward_adjustment,
    signing_deadline,
    ticket_name,
)

D = date.fromisoformat


def _any(value: object) -> Any:
    """Hand a rule a wrongly typed value on purpose."""
    return value


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(D("2026-03-10"), D("2026-03-12"), id="mid-month the close date is two days ahead"),
        pytest.param(D("2026-03-29"), D("2026-03-31"), id="two days ahead landing on the month's last day is kept"),
        pytest.param(D("2026-03-30"), D("2026-03-31"), id="the day before month end is capped at the last day"),
        pytest.param(D("2026-03-31"), D("2026-03-31"), id="on the last day of a month the close date is today"),
        pytest.param(D("2026-04-29"), D("2026-04-30"), id="a thirty-day month is capped at the thirtieth"),
        pytest.param(D("2026-04-30"), D("2026-04-30"), id="on the thirtieth of april the close date is today"),
        pytest.param(D("2027-02-26"), D("2027-02-28"), id="in a common year february 26 reaches february 28"),
        pytest.param(D("2027-02-27"), D("2027-02-28"), id="in a common year february 27 is capped at february 28"),
        pytest.param(D("2027-02-28"), D("2027-02-28"), id="in a common year february 28 is today"),
        pytest.param(D("2028-02-27"), D("2028-02-29"), id="in a leap year february 27 reaches february 29"),
        pytest.param(D("2028-02-28"), D("2028-02-29"), id="in a leap year february 28 is capped at february 29"),
        pytest.param(D("2028-02-29"), D("2028-02-29"), id="on february 29 the close date is today"),
        pytest.param(D("2026-12-30"), D("2026-12-31"), id="december 30 is capped at new years eve"),
        pytest.param(D("2026-12-31"), D("2026-12-31"), id="on december 31 the close date stays in the old year"),
    ],
)
def test_deal_close_date_is_two_days_ahead_but_never_past_the_month(today: date, expected: date) -> None:
    assert deal_close_date(today) == expected


@pytest.mark.parametrize(
    ("sent_on", "expected"),
    [
        pytest.param(D("2026-03-10"), D("2026-03-17"), id="a contract sent mid-month is due a week later"),
        pytest.param(D("2026-03-31"), D("2026-04-07"), id="a contract sent on a month end is due next month"),
        pytest.param(D("2026-12-28"), D("2027-01-04"), id="a contract sent in late december is due in january"),
        pytest.param(D("2027-02-25"), D("2027-03-04"), id="a week from february 25 in a common year is march 4"),
        pytest.param(D("2028-02-25"), D("2028-03-03"), id="a week from february 25 in a leap year is march 3"),
        pytest.param(D("2028-02-29"), D("2028-03-07"), id="a contract sent on february 29 is due march 7"),
    ],
)
def test_signing_deadline_is_seven_calendar_days_after_sending(sent_on: date, expected: date) -> None:
    assert signing_deadline(sent_on) == expected


@pytest.mark.parametrize(
    ("sent_on", "agreed_start", "expected"),
    [
        pytest.param(D("2026-03-10"), None, D("2026-03-10"), id="without an agreed start delivery starts when sent"),
        pytest.param(D("2026-03-10"), D("2026-04-01"), D("2026-04-01"), id="an agreed later start is used"),
        pytest.param(
            D("2026-03-10"), D("2026-03-10"), D("2026-03-10"), id="an agreed start on the sending day is used"
        ),
        pytest.param(D("2028-02-29"), None, D("2028-02-29"), id="sending on february 29 starts on february 29"),
    ],
)
def test_delivery_start_date_is_the_agreed_start_or_the_sending_day(
    sent_on: date, agreed_start: date | None, expected: date
) -> None:
    assert delivery_start_date(sent_on, agreed_start) == expected


@pytest.mark.parametrize(
    ("company_name", "expected_ticket", "expected_deal"),
    [
        pytest.param("Acme AS", "Reforhandling - Acme AS", "Acme AS - REFORHANDLING", id="a plain name is used as is"),
        pytest.param(
            "  Acme AS \t", "Reforhandling - Acme AS", "Acme AS - REFORHANDLING", id="surrounding spaces are stripped"
        ),
        pytest.param(
            "Bergen  Bil & Co",
            "Reforhandling - Bergen  Bil & Co",
            "Bergen  Bil & Co - REFORHANDLING",
            id="inner spacing and symbols stay as stored in hubspot",
        ),
        pytest.param(
            "Øst-Agder Røykvarsling AS",
            "Reforhandling - Øst-Agder Røykvarsling AS",
            "Øst-Agder Røykvarsling AS - REFORHANDLING",
            id="norwegian letters and case are kept",
        ),
    ],
)
def test_ticket_and_deal_names_wrap_the_company_name(
    company_name: str, expected_ticket: str, expected_deal: str
) -> None:
    assert ticket_name(company_name) == expected_ticket
    assert deal_name(company_name) == expected_deal


@pytest.mark.parametrize("namer", [ticket_name, deal_name], ids=["ticket name", "deal name"])
@pytest.mark.parametrize("blank", ["", "   "], ids=["an empty company name", "a blank company name"])
def test_a_name_cannot_be_built_from_an_empty_company_name(namer: Callable[[str], str], blank: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"company name must be a non-empty text, got {blank!r}")):
        namer(blank)


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        pytest.param(10, 11, Direction.UP, id="one licence more is upward"),
        pytest.param(1, 500, Direction.UP, id="a large increase is upward"),
        pytest.param(10, 9, Direction.DOWN, id="one licence less is downward"),
        pytest.param(500, 1, Direction.DOWN, id="down to a single licence is downward"),
        pytest.param(10, 10, Direction.UNCHANGED, id="the same count is unchanged"),
    ],
)
def test_adjustment_direction_compares_new_with_current(current: int, new: int, expected: Direction) -> None:
    assert adjustment_direction(current, new) is expected


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        pytest.param(100, 80, 20, id="removing twenty licences gives twenty"),
        pytest.param(10, 9, 1, id="removing one licence gives one"),
    ],
)
def test_reduction_is_the_positive_number_of_licences_removed(current: int, new: int, expected: int) -> None:
    assert reduction(current, new) == expected


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        pytest.param(100, 91, Route.INVOICE_SERVICE, id="a reduction of 9 goes to the invoice service"),
        pytest.param(30, 21, Route.INVOICE_SERVICE, id="a reduction of 9 stays with invoice even at 30 percent"),
        pytest.param(10, 1, Route.INVOICE_SERVICE, id="a reduction of 9 stays with invoice even at 90 percent"),
        pytest.param(100, 90, Route.INVOICE_SERVICE, id="a reduction of 10 at 10 percent goes to the invoice service"),
        pytest.param(100, 89, Route.INVOICE_SERVICE, id="a reduction of 11 at 11 percent goes to the invoice service"),
        pytest.param(100, 81, Route.INVOICE_SERVICE, id="a 19 percent reduction goes to the invoice service"),
        pytest.param(100, 80, Route.CSC, id="exactly 20 percent goes to csc"),
        pytest.param(100, 79, Route.CSC, id="a 21 percent reduction goes to csc"),
        pytest.param(50, 40, Route.CSC, id="a reduction of 10 that is exactly 20 percent goes to csc"),
        pytest.param(50, 39, Route.CSC, id="a reduction of 11 that is 22 percent goes to csc"),
        pytest.param(51, 41, Route.INVOICE_SERVICE, id="a reduction of 10 just under 20 percent goes to invoice"),
        pytest.param(1000, 801, Route.INVOICE_SERVICE, id="19.9 percent of a thousand goes to the invoice service"),
        pytest.param(1000, 800, Route.CSC, id="20.0 percent of a thousand goes to csc"),
        pytest.param(3, 1, Route.INVOICE_SERVICE, id="a reduction of 2 of 3 is below the minimum reduction"),
    ],
)
def test_downward_adjustment_routing_with_the_default_thresholds(current: int, new: int, expected: Route) -> None:
    assert route_downward_adjustment(current, new) is expected


@pytest.mark.parametrize(
    ("current", "new", "min_reduction", "max_share", "expected"),
    [
        pytest.param(20, 16, 5, Decimal("0.50"), Route.INVOICE_SERVICE, id="a reduction below a lower minimum"),
        pytest.param(20, 15, 5, Decimal("0.50"), Route.INVOICE_SERVICE, id="at the minimum and below the share"),
        pytest.param(10, 5, 5, Decimal("0.50"), Route.CSC, id="at the minimum and at a higher share"),
        pytest.param(100, 70, 10, Decimal("0.30"), Route.CSC, id="exactly a configured 30 percent share"),
        pytest.param(100, 71, 10, Decimal("0.30"), Route.INVOICE_SERVICE, id="just under a configured 30 percent"),
    ],
)
def test_downward_adjustment_routing_follows_configured_thresholds(
    current: int, new: int, min_reduction: int, max_share: Decimal, expected: Route
) -> None:
    assert route_downward_adjustment(current, new, min_reduction=min_reduction, max_share=max_share) is expected


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        pytest.param(10, 10, "below the current count 10 for a downward adjustment, got 10", id="an unchanged count"),
        pytest.param(10, 11, "below the current count 10 for a downward adjustment, got 11", id="an increase"),
    ],
)
def test_routing_refuses_a_change_that_is_not_downward(current: int, new: int, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        route_downward_adjustment(current, new)
    with pytest.raises(ValueError, match=re.escape(message)):
        reduction(current, new)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"min_reduction": -1}, "min_reduction must be a whole number", id="a negative minimum"),
        pytest.param({"max_share": 0.2}, "max_share must be a Decimal above 0 and at most 1, got 0.2", id="a float"),
        pytest.param({"max_share": Decimal(0)}, "max_share must be a Decimal above 0", id="a zero share"),
        pytest.param({"max_share": Decimal("1.5")}, "max_share must be a Decimal above 0", id="a share above one"),
    ],
)
def test_routing_refuses_nonsense_thresholds(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        route_downward_adjustment(100, 50, **_any(kwargs))


@pytest.mark.parametrize(
    ("original_signed_on", "signed_on", "expected"),
    [
        pytest.param(D("2024-03-15"), D("2024-03-15"), True, id="an increase signed the same day as the original"),
        pytest.param(D("2024-03-15"), D("2027-03-14"), True, id="one day before 36 months is under"),
        pytest.param(D("2024-03-15"), D("2027-03-15"), False, id="exactly 36 months is not under"),
        pytest.param(D("2024-03-15"), D("2027-03-16"), False, id="one day past 36 months is not under"),
        pytest.param(D("2024-02-29"), D("2027-02-27"), True, id="from february 29 the day before february 28 is under"),
        pytest.param(D("2024-02-29"), D("2027-02-28"), False, id="from february 29 36 months end on february 28"),
        pytest.param(D("2024-02-29"), D("2027-03-01"), False, id="from february 29 march 1 is past 36 months"),
        pytest.param(D("2025-02-28"), D("2028-02-27"), True, id="into a leap year the day before is under"),
        pytest.param(D("2025-02-28"), D("2028-02-28"), False, id="into a leap year february 28 is exactly 36 months"),
        pytest.param(D("2025-02-28"), D("2028-02-29"), False, id="into a leap year february 29 is past 36 months"),
        pytest.param(D("2023-12-31"), D("2026-12-30"), True, id="from new years eve december 30 is under"),
        pytest.param(D("2023-12-31"), D("2026-12-31"), False, id="from new years eve 36 months end on new years eve"),
        pytest.param(D("2023-05-31"), D("2026-05-30"), True, id="from a month end the day before is under"),
        pytest.param(D("2023-05-31"), D("2026-05-31"), False, id="from a month end the same month end is 36 months"),
    ],
)
def test_an_increase_needs_sales_registration_only_under_36_months(
    original_signed_on: date, signed_on: date, expected: bool
) -> None:
    assert needs_sales_registration(10, 12, original_signed_on=original_signed_on, signed_on=signed_on) is expected


@pytest.mark.parametrize(
    ("signed_on", "expected"),
    [
        pytest.param(D("2024-02-28"), True, id="one month from january 31 in a leap year ends february 29"),
        pytest.param(D("2024-02-29"), False, id="signing on that february 29 is exactly one month"),
    ],
)
def test_sales_registration_uses_the_configured_number_of_months(signed_on: date, expected: bool) -> None:
    assert needs_sales_registration(10, 11, original_signed_on=D("2024-01-31"), signed_on=signed_on, months=1) is (
        expected
    )


@pytest.mark.parametrize(
    ("current", "new"),
    [
        pytest.param(10, 9, id="a decrease"),
        pytest.param(100, 1, id="a large decrease"),
        pytest.param(10, 10, id="an unchanged count"),
    ],
)
def test_decreases_and_unchanged_counts_never_need_sales_registration(current: int, new: int) -> None:
    assert needs_sales_registration(current, new, original_signed_on=D("2026-01-01"), signed_on=D("2026-01-02")) is (
        False
    )


def test_sales_registration_refuses_a_signing_before_the_original_agreement() -> None:
    with pytest.raises(ValueError, match="signed_on must not be before original_signed_on \\(2026-01-02\\), got 2026"):
        needs_sales_registration(10, 11, original_signed_on=D("2026-01-02"), signed_on=D("2026-01-01"))


@pytest.mark.parametrize("months", [0, -36, True], ids=["zero months", "negative months", "a boolean"])
def test_sales_registration_refuses_a_nonsense_number_of_months(months: int) -> None:
    with pytest.raises(ValueError, match=re.escape(f"months must be a positive integer, got {months!r}")):
        needs_sales_registration(10, 11, original_signed_on=D("2026-01-01"), signed_on=D("2026-01-02"), months=months)


def _direction(current: Any, new: Any) -> object:
    return adjustment_direction(current, new)


def _route(current: Any, new: Any) -> object:
    return route_downward_adjustment(current, new)


def _reduction(current: Any, new: Any) -> object:
    return reduction(current, new)


def _sales(current: Any, new: Any) -> object:
    return needs_sales_registration(current, new, original_signed_on=D("2026-01-01"), signed_on=D("2026-01-02"))


@pytest.mark.parametrize(
    "rule",
    [_direction, _route, _reduction, _sales],
    ids=["adjustment direction", "routing", "reduction", "sales registration"],
)
@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        pytest.param(
            0, 5, "current licence count must be a positive integer, got 0", id="refuses a current count of 0"
        ),
        pytest.param(10, 0, "new licence count must be a positive integer, got 0", id="refuses a new count of 0"),
        pytest.param(10, -1, "new licence count must be a positive integer, got -1", id="refuses a negative count"),
        pytest.param(True, 5, "current licence count must be a positive integer, got True", id="refuses a boolean"),
        pytest.param(10, False, "new licence count must be a positive integer, got False", id="refuses false"),
        pytest.param(10, 2.0, "new licence count must be a positive integer, got 2.0", id="refuses a float"),
        pytest.param("10", 5, "current licence count must be a positive integer, got '10'", id="refuses text"),
        pytest.param(None, 5, "current licence count must be a positive integer, got None", id="refuses none"),
    ],
)
def test_rules_refuse_invalid_licence_counts_naming_the_value(
    rule: Callable[[object, object], object], current: object, new: object, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        rule(current, new)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: deal_close_date(datetime(2026, 3, 10, 12, 0)),
            "today must be a date, got datetime.datetime(2026, 3, 10, 12, 0)",
            id="the close date refuses a datetime",
        ),
        pytest.param(
            lambda: signing_deadline(_any("2026-03-10")),
            "sent_on must be a date, got '2026-03-10'",
            id="the signing deadline refuses text",
        ),
        pytest.param(
            lambda: delivery_start_date(D("2026-03-10"), _any("2026-04-01")),
            "agreed_start must be a date, got '2026-04-01'",
            id="the delivery start refuses an agreed start as text",
        ),
    ],
)
def test_date_rules_refuse_what_is_not_a_date(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
