"""What an agent asks for when renegotiating an agreement: the input that starts a case."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

from config.settings import RoutineSettings
from models.agreement import Agreement
from models.text import one_line

# Our own errors carry this type and the context keys field/got/hint, so describe_errors can rebuild them.
ERROR_TYPE = "renegotiation_request"
_TEMPLATE = "{field}: got {got}; {hint}"
_NOTHING = "nothing"


def _show(value: object) -> str:
    # Quote text so that empty and blank input is visible in the message.
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fail(field: str, value: object, hint: str) -> PydanticCustomError:
    return PydanticCustomError(ERROR_TYPE, _TEMPLATE, {"field": field, "got": _show(value), "hint": hint})


def _digits(field: str, value: object, hint: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return value.strip()
    raise _fail(field, value, hint)


class RequestLimits(BaseModel):
    """Upper bounds of a request and of an approval form's corrections (settings, with these defaults)."""

    model_config = ConfigDict(frozen=True)

    max_licences: int = 100_000
    # What the case store's Numeric(12, 2) column holds comfortably, and far above any real licence price.
    max_price_per_licence: Decimal = Decimal("100000")
    max_start_days_ahead: int = 366


def request_limits(routine: RoutineSettings) -> RequestLimits:
    """The bounds of a request and of an approval form's corrections, from the routine settings."""
    return RequestLimits(
        max_licences=routine.max_licences,
        max_price_per_licence=routine.max_price_per_licence,
        max_start_days_ahead=routine.max_start_days_ahead,
    )


def licence_problem(value: object, limits: RequestLimits) -> str | None:
    """Why `value` is not a usable new licence count (None when it is)."""
    if value == 0:
        return "0 licences ends the agreement: a termination is not a renegotiation; give at least 1"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return "give the new number of licences as a whole number of at least 1"
    if value > limits.max_licences:
        return f"give at most {limits.max_licences} licences (a larger count needs a person to check the request)"
    return None


def price_problem(value: Decimal, limits: RequestLimits) -> str | None:
    """Why `value` is not a usable price per licence (None when it is)."""
    if not value.is_finite() or value <= 0:
        return "give the new price per licence in NOK, above 0"
    if value > limits.max_price_per_licence:
        return f"give at most {limits.max_price_per_licence} NOK per licence"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -RenegotiationRequest.PRICE_PLACES:
        return "give the price with at most 2 decimals"
    return None


class RenegotiationRequest(BaseModel):
    """A request to renegotiate one customer's agreement (new licence count and price).

    The start date may go back to the first day of the current month and at most a year ahead. Rules take `today`
    as an argument, so this check needs it too: pass it in the validation context,
    `RenegotiationRequest.model_validate(data, context={"today": today})`, or use the shorthand
    `RenegotiationRequest.parse(data, today=today)`. Without a `today` in the context (plain construction,
    reading a stored request back) every other check still runs. Bounds come from `RequestLimits` in the context
    under "limits" (defaults otherwise).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket_id: str
    signer_email: EmailStr
    licences: int
    price_per_licence: Decimal
    start_date: date | None = None
    agent_email: EmailStr
    company_id: str | None = None
    # The signer's name, to create the HubSpot contact when no contact has `signer_email`.
    signer_name: str | None = None

    PRICE_PLACES: ClassVar[int] = 2

    @classmethod
    def parse(cls, data: dict[str, Any], *, today: date, limits: RequestLimits | None = None) -> RenegotiationRequest:
        """Validate `data` against `today`'s start-date window and the limits."""
        return cls.model_validate(data, context={"today": today, "limits": limits or RequestLimits()})

    @field_validator("signer_name", mode="before")
    @classmethod
    def _signer_name(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _fail("signer_name", value, "give the signer's first and last name")
        # A name is one line: a line break or control character would end up in e-mail headers and forms.
        name = one_line(value)
        if not name:
            return None
        if len(name) > 200:
            raise _fail("signer_name", value, "give the signer's first and last name, at most 200 characters")
        return name

    @field_validator("ticket_id", mode="before")
    @classmethod
    def _ticket_id(cls, value: object) -> str:
        return _digits("ticket_id", value, "give the HubSpot ticket id, digits only (as in the ticket's address)")

    @field_validator("company_id", mode="before")
    @classmethod
    def _company_id(cls, value: object) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _digits(
            "company_id", value, "give the HubSpot company id, digits only, or leave it out if the ticket has one"
        )

    @field_validator("signer_email", "agent_email", mode="wrap")
    @classmethod
    def _email(cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> str:
        who = "the contact with signing authority" if info.field_name == "signer_email" else "the agent"
        field = info.field_name or "email"
        try:
            email: str = handler(value.strip() if isinstance(value, str) else value)
        except ValidationError:
            raise _fail(field, value, f"give the e-mail address of {who}, like name@company.no") from None
        return email

    @field_validator("licences", mode="before")
    @classmethod
    def _licences(cls, value: object, info: ValidationInfo) -> int:
        hint = "give the new number of licences as a whole number of at least 1"
        # bool is an int subclass and a float may hide a fraction: accept only whole numbers, as int or digits.
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value) < 20:
            count = int(value.strip())
        elif isinstance(value, int) and not isinstance(value, bool):
            count = value
        else:
            raise _fail("licences", value, hint)
        problem = licence_problem(count, _limits(info))
        if problem:
            raise _fail("licences", value, problem)
        return count

    @field_validator("price_per_licence", mode="before")
    @classmethod
    def _price(cls, value: object, info: ValidationInfo) -> Decimal:
        hint = "give the new price per licence in NOK, above 0 with at most 2 decimals and a dot, like 450 or 449.50"
        # Exponent notation (1e3) is valid for Decimal but never what a person typing a price meant.
        if isinstance(value, bool) or (isinstance(value, str) and any(ch in value for ch in "eE")):
            raise _fail("price_per_licence", value, hint)
        if isinstance(value, Decimal):
            price = value
        elif isinstance(value, int | str):
            try:
                price = Decimal(value.strip() if isinstance(value, str) else value)
            except InvalidOperation:
                raise _fail("price_per_licence", value, hint) from None
        elif isinstance(value, float):
            # The shortest repr of a float is what the sender meant; its exact binary value (450.1 ->
            # 450.10000000000000142...) is not, and would fail the decimals check for no visible reason.
            price = Decimal(repr(value))
        else:
            raise _fail("price_per_licence", value, hint)
        if not price.is_finite() or price <= 0:
            raise _fail("price_per_licence", value, hint)
        limits = _limits(info)
        if price > limits.max_price_per_licence:
            raise _fail("price_per_licence", value, f"give at most {limits.max_price_per_licence} NOK per licence")
        exponent = price.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -cls.PRICE_PLACES:
            # 450.500 has three places but only two significant ones; normalize before judging.
            normal = price.normalize().as_tuple().exponent
            if isinstance(normal, int) and normal < -cls.PRICE_PLACES:
                raise _fail("price_per_licence", value, hint)
        try:
            return price.quantize(Decimal(1).scaleb(-cls.PRICE_PLACES))
        except InvalidOperation:  # too many digits to hold to the øre
            raise _fail("price_per_licence", value, hint) from None

    @field_validator("start_date", mode="before")
    @classmethod
    def _start_date(cls, value: object, info: ValidationInfo) -> date | None:
        hint = "give the agreed start date as YYYY-MM-DD, or leave it out to start on the day the contract is sent"
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, datetime):
            raise _fail("start_date", value, hint)
        if isinstance(value, date):
            start = value
        elif isinstance(value, str):
            try:
                start = date.fromisoformat(value.strip())
            except ValueError:
                raise _fail("start_date", value, hint) from None
        else:
            raise _fail("start_date", value, hint)
        today = info.context.get("today") if isinstance(info.context, dict) else None
        if today is not None and (isinstance(today, datetime) or not isinstance(today, date)):
            # A caller's mistake, not bad input: TypeError is not turned into a ValidationError.
            raise TypeError(f"context 'today' must be a date, got {today!r}")
        if today is None:
            return start
        earliest = today.replace(day=1)
        if start < earliest:
            raise _fail(
                "start_date",
                start,
                f"the start date may go back to the first day of this month ({earliest.isoformat()}), no further; "
                "give that or a later date, or leave it out to start on the day the contract is sent",
            )
        latest = today + timedelta(days=_limits(info).max_start_days_ahead)
        if start > latest:
            raise _fail("start_date", start, f"the start date may be at most {latest.isoformat()}; check the year")
        return start


def _limits(info: ValidationInfo) -> RequestLimits:
    limits = info.context.get("limits") if isinstance(info.context, dict) else None
    return limits if isinstance(limits, RequestLimits) else RequestLimits()


def describe_errors(error: ValidationError) -> str:
    """Return one line per field, `field: message (got VALUE)`, for the command line."""
    lines: list[str] = []
    for item in error.errors():
        ctx = item.get("ctx") or {}
        if item["type"] == ERROR_TYPE and {"field", "got", "hint"} <= ctx.keys():
            lines.append(f"{ctx['field']}: {ctx['hint']} (got {ctx['got']})")
            continue
        field = ".".join(str(part) for part in item["loc"]) or "request"
        if item["type"] == "missing":
            lines.append(f"{field}: this field is required (got {_NOTHING})")
        elif item["type"] == "extra_forbidden":
            lines.append(f"{field}: not a field of the request; check the spelling (got {_show(item['input'])})")
        else:
            lines.append(f"{field}: {item['msg']} (got {_show(item['input'])})")
    return "\n".join(lines)


class Terms(BaseModel):
    """The licence count and price a case asks for at one point (what an approval form showed)."""

    model_config = ConfigDict(frozen=True)

    licences: int
    price_per_licence: Decimal


class NothingToRenegotiate(ValueError):
    """The request asks for the licences and price the customer already has."""


def _nothing_message(licences: int, price: Decimal) -> str:
    return (
        f"nothing to renegotiate: the customer already has {licences} licences at {price} NOK; "
        "give a new licence count or a new price"
    )


def check_something_changes(
    *, licences_before: int, paid_before: Decimal, licences_after: int, price_after: Decimal
) -> None:
    """Refuse a request that changes neither the licence count nor the price the customer pays."""
    if licences_before == licences_after and paid_before == price_after:
        raise NothingToRenegotiate(_nothing_message(licences_after, price_after))


def nothing_changes(current: Agreement, *, licences: int, price_per_licence: Decimal) -> list[str]:
    """`start`'s refusal, as a form problem, when licences and price are those of the current agreement (a
    correction that undoes the request); empty otherwise."""
    if (licences, price_per_licence) == (current.licences, current.paid_per_licence):
        return [_nothing_message(licences, price_per_licence)]
    return []
