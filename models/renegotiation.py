"""What an agent asks for when renegotiating an agreement: the input that starts a case."""

from __future__ import annotations

from datetime import date, datetime
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


class RenegotiationRequest(BaseModel):
    """A request to renegotiate one customer's agreement (new licence count and price).

    The start date may not lie before today. Rules take `today` as an argument, so this check needs it too:
    pass it in the validation context, `RenegotiationRequest.model_validate(data, context={"today": today})`,
    or use the shorthand `RenegotiationRequest.parse(data, today=today)`. Without a `today` in the context
    (plain construction, reading a stored request back) every other check still runs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket_id: str
    signer_email: EmailStr
    licences: int
    price_per_licence: Decimal
    start_date: date | None = None
    agent_email: EmailStr
    company_id: str | None = None

    PRICE_PLACES: ClassVar[int] = 2

    @classmethod
    def parse(cls, data: dict[str, Any], *, today: date) -> RenegotiationRequest:
        """Validate `data`, refusing a start date before `today`."""
        return cls.model_validate(data, context={"today": today})

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
    def _licences(cls, value: object) -> int:
        hint = "give the new number of licences as a whole number of at least 1"
        # bool is an int subclass and a float may hide a fraction: accept only whole numbers, as int or digits.
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            count = int(value.strip())
        elif isinstance(value, int) and not isinstance(value, bool):
            count = value
        else:
            raise _fail("licences", value, hint)
        if count < 1:
            raise _fail("licences", value, hint)
        return count

    @field_validator("price_per_licence", mode="before")
    @classmethod
    def _price(cls, value: object) -> Decimal:
        hint = "give the new price per licence in NOK, above 0 with at most 2 decimals and a dot, like 450 or 449.50"
        if isinstance(value, bool):
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
        if today is not None and start < today:
            raise _fail(
                "start_date",
                start,
                f"the start date may not be before today ({today.isoformat()}); give today or a later date, "
                "or leave it out to start on the day the contract is sent",
            )
        return start


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
