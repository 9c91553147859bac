"""RenegotiationRequest: what an agent may ask for, and errors that say which field, what value, and what to do."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from models.renegotiation import RenegotiationRequest, describe_errors

TODAY = date(2026, 3, 10)
TERMINATION_HINT = "0 licences ends the agreement: a termination is not a renegotiation; give at least 1"
VALID: dict[str, Any] = {
    "ticket_id": "31000000101",
    "signer_email": "kari.nordmann@fjordbygg.no",
    "licences": 25,
    "price_per_licence": "450",
    "agent_email": "agent@avonova.example",
}


def _error_lines(data: dict[str, Any], *, today: date | None = TODAY) -> tuple[str, str]:
    """Return the single error's message and its describe_errors line."""
    with pytest.raises(ValidationError) as caught:
        if today is None:
            RenegotiationRequest.model_validate(data)
        else:
            RenegotiationRequest.parse(data, today=today)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["msg"], describe_errors(caught.value)


def test_a_valid_request_is_accepted_with_typed_values() -> None:
    request = RenegotiationRequest.parse(
        {**VALID, "start_date": "2026-04-01", "company_id": " 5550001 ", "ticket_id": 31000000101}, today=TODAY
    )
    assert request.ticket_id == "31000000101"
    assert request.licences == 25
    assert request.price_per_licence == Decimal("450.00")
    assert request.start_date == date(2026, 4, 1)
    assert request.company_id == "5550001"
    assert request.signer_email == "kari.nordmann@fjordbygg.no"


def test_optional_fields_default_to_none_and_blank_counts_as_left_out() -> None:
    assert RenegotiationRequest.parse(VALID, today=TODAY).start_date is None
    blank = RenegotiationRequest.parse({**VALID, "start_date": " ", "company_id": ""}, today=TODAY)
    assert (blank.start_date, blank.company_id) == (None, None)


def test_the_request_is_frozen() -> None:
    request = RenegotiationRequest.parse(VALID, today=TODAY)
    with pytest.raises(ValidationError):
        request.licences = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        pytest.param("450", Decimal("450.00"), id="a whole price as text is accepted"),
        pytest.param("450.5", Decimal("450.50"), id="one decimal is accepted"),
        pytest.param(" 449.99 ", Decimal("449.99"), id="two decimals with spaces around are accepted"),
        pytest.param("450.500", Decimal("450.50"), id="trailing zeros beyond two decimals are accepted"),
        pytest.param(450, Decimal("450.00"), id="a whole number is accepted"),
        pytest.param(450.1, Decimal("450.10"), id="a float that reads as two decimals is accepted"),
        pytest.param(Decimal("0.01"), Decimal("0.01"), id="one øre is accepted"),
    ],
)
def test_prices_are_kept_as_exact_nok_amounts(price: object, expected: Decimal) -> None:
    request = RenegotiationRequest.parse({**VALID, "price_per_licence": price}, today=TODAY)
    assert request.price_per_licence == expected
    assert request.price_per_licence.as_tuple().exponent == -2


PRICE_HINT = "give the new price per licence in NOK, above 0 with at most 2 decimals and a dot, like 450 or 449.50"
LICENCE_HINT = "give the new number of licences as a whole number of at least 1"


@pytest.mark.parametrize(
    ("field", "value", "shown", "hint"),
    [
        pytest.param("licences", 0, "0", TERMINATION_HINT, id="zero licences are refused as a termination"),
        pytest.param(
            "licences",
            100_001,
            "100001",
            "give at most 100000 licences (a larger count needs a person to check the request)",
            id="more than the upper bound of licences is refused",
        ),
        pytest.param("price_per_licence", "1e3", "'1e3'", PRICE_HINT, id="exponent notation is refused"),
        pytest.param(
            "price_per_licence",
            "100000.01",
            "'100000.01'",
            "give at most 100000 NOK per licence",
            id="a price above the upper bound is refused",
        ),
        pytest.param(
            "start_date",
            "2027-03-12",
            "2027-03-12",
            "the start date may be at most 2027-03-11; check the year",
            id="a start date more than a year ahead is refused",
        ),
        pytest.param("licences", -1, "-1", LICENCE_HINT, id="a negative licence count is refused"),
        pytest.param("licences", True, "True", LICENCE_HINT, id="a boolean licence count is refused"),
        pytest.param("licences", 2.5, "2.5", LICENCE_HINT, id="a fractional licence count is refused"),
        pytest.param("licences", "ti", "'ti'", LICENCE_HINT, id="a licence count in words is refused"),
        pytest.param("price_per_licence", "abc", "'abc'", PRICE_HINT, id="a price in letters is refused"),
        pytest.param("price_per_licence", 0, "0", PRICE_HINT, id="a zero price is refused"),
        pytest.param("price_per_licence", -1, "-1", PRICE_HINT, id="a negative price is refused"),
        pytest.param("price_per_licence", 12.345, "12.345", PRICE_HINT, id="three decimals are refused"),
        pytest.param("price_per_licence", "12.345", "'12.345'", PRICE_HINT, id="three decimals as text are refused"),
        pytest.param(
            "price_per_licence", 0.1 + 0.2, "0.30000000000000004", PRICE_HINT, id="a float with binary junk is refused"
        ),
        pytest.param("price_per_licence", "450,50", "'450,50'", PRICE_HINT, id="a decimal comma is refused"),
        pytest.param("price_per_licence", "NaN", "'NaN'", PRICE_HINT, id="not a number is refused"),
        pytest.param("price_per_licence", True, "True", PRICE_HINT, id="a boolean price is refused"),
        pytest.param(
            "signer_email",
            "kari.nordmann",
            "'kari.nordmann'",
            "give the e-mail address of the contact with signing authority, like name@company.no",
            id="a signer e-mail without a domain is refused",
        ),
        pytest.param(
            "agent_email",
            "agent@",
            "'agent@'",
            "give the e-mail address of the agent, like name@company.no",
            id="an incomplete agent e-mail is refused",
        ),
        pytest.param(
            "ticket_id",
            "T-101",
            "'T-101'",
            "give the HubSpot ticket id, digits only (as in the ticket's address)",
            id="a ticket id with letters is refused",
        ),
        pytest.param(
            "ticket_id",
            "",
            "''",
            "give the HubSpot ticket id, digits only (as in the ticket's address)",
            id="an empty ticket id is refused",
        ),
        pytest.param(
            "company_id",
            "acme",
            "'acme'",
            "give the HubSpot company id, digits only, or leave it out if the ticket has one",
            id="a company id with letters is refused",
        ),
        pytest.param(
            "start_date",
            "10.03.2026",
            "'10.03.2026'",
            "give the agreed start date as YYYY-MM-DD, or leave it out to start on the day the contract is sent",
            id="a start date in another format is refused",
        ),
    ],
)
def test_a_bad_field_is_named_with_its_value_and_what_to_do(field: str, value: object, shown: str, hint: str) -> None:
    message, line = _error_lines({**VALID, field: value})
    assert message == f"{field}: got {shown}; {hint}"
    assert line == f"{field}: {hint} (got {shown})"


def test_a_start_date_before_the_first_of_this_month_is_refused_with_the_earliest_allowed_date() -> None:
    message, line = _error_lines({**VALID, "start_date": "2026-02-28"})
    assert message.startswith("start_date: got 2026-02-28; the start date may go back to the first day of this month")
    assert line.startswith("start_date: the start date may go back to the first day of this month (2026-03-01)")
    assert line.endswith("(got 2026-02-28)")


@pytest.mark.parametrize(
    "start",
    [pytest.param("2026-03-01", id="the first of this month"), pytest.param("2026-03-09", id="yesterday")],
)
def test_a_start_date_back_to_the_first_of_this_month_is_accepted(start: str) -> None:
    assert RenegotiationRequest.parse({**VALID, "start_date": start}, today=TODAY).start_date == date.fromisoformat(
        start
    )


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        pytest.param("  Kari   Nordmann ", "Kari Nordmann", id="spaces collapse"),
        pytest.param("Kari\r\nNordmann", "Kari Nordmann", id="a line break becomes a space"),
        pytest.param("   ", None, id="blank is no name"),
        pytest.param(None, None, id="no name"),
    ],
)
def test_the_signer_name_is_one_line(given: str | None, kept: str | None) -> None:
    assert RenegotiationRequest.parse({**VALID, "signer_name": given}, today=TODAY).signer_name == kept


@pytest.mark.parametrize(
    "start",
    [pytest.param("2026-03-10", id="today as text"), pytest.param(TODAY, id="today as a date")],
)
def test_a_start_date_of_today_is_accepted(start: object) -> None:
    assert RenegotiationRequest.parse({**VALID, "start_date": start}, today=TODAY).start_date == TODAY


def test_the_context_form_checks_the_start_date_like_parse() -> None:
    with pytest.raises(ValidationError, match="may go back to the first day of this month"):
        RenegotiationRequest.model_validate({**VALID, "start_date": "2026-02-09"}, context={"today": TODAY})


def test_without_today_a_past_start_date_passes_but_everything_else_is_checked() -> None:
    request = RenegotiationRequest.model_validate({**VALID, "start_date": "2020-01-01"})
    assert request.start_date == date(2020, 1, 1)
    message, _ = _error_lines({**VALID, "start_date": "2020-01-01", "licences": 0}, today=None)
    assert message.startswith("licences: got 0;")


def test_a_today_that_is_not_a_date_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="context 'today' must be a date, got '2026-03-10'"):
        RenegotiationRequest.model_validate({**VALID, "start_date": "2026-04-01"}, context={"today": "2026-03-10"})


def test_describe_errors_gives_one_line_per_field_for_missing_unknown_and_bad_fields() -> None:
    data = {key: value for key, value in VALID.items() if key != "agent_email"}
    with pytest.raises(ValidationError) as caught:
        RenegotiationRequest.parse({**data, "licences": 0, "licence": 3}, today=TODAY)
    assert describe_errors(caught.value).splitlines() == [
        f"licences: {TERMINATION_HINT} (got 0)",
        "agent_email: this field is required (got nothing)",
        "licence: not a field of the request; check the spelling (got 3)",
    ]
