"""Norwegian organisation numbers: how a customer is matched across HubSpot, Dealbuilder and Avonova Digital."""

from __future__ import annotations

import re

_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
# Spaces, dots and dashes group the digits; "NO" before and "MVA" after mark a VAT registration.
_DECORATION = re.compile(r"^\s*NO\s*|\s*MVA\s*$|[\s.\-]", re.IGNORECASE)


class InvalidOrgNumber(ValueError):
    """An org number that is not 9 digits with a valid MOD11 check digit."""


def mod11_valid(digits: str) -> bool:
    """True when the ninth digit is the MOD11 check digit of the first eight (Brønnøysund's rule)."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    remainder = sum(weight * int(digit) for weight, digit in zip(_WEIGHTS, digits, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(digits[8])


def normalize_org_number(raw: str) -> str:
    """The 9 digits of `912 345 610`, `912345610` or `NO 912 345 610 MVA`; anything else is refused with its value."""
    digits = _DECORATION.sub("", raw or "")
    if not (len(digits) == 9 and digits.isascii() and digits.isdigit()):
        raise InvalidOrgNumber(f"org number {raw!r} is not 9 digits (spaces and NO/MVA are ignored)")
    if not mod11_valid(digits):
        raise InvalidOrgNumber(f"org number {raw!r} fails the MOD11 check; check it against Brønnøysundregistrene")
    return digits


def customer_org_number(raw: str, *, company: str, property_name: str) -> str:
    """The company card's org number as 9 digits, or a refusal naming the company, the property and the value."""
    if not raw.strip():
        raise InvalidOrgNumber(
            f"the company card of {company} has no org number (HubSpot property {property_name!r} is empty): without "
            "it the customer's agreement cannot be found. Fill it in HubSpot, then Retry the run"
        )
    try:
        return normalize_org_number(raw)
    except InvalidOrgNumber as error:
        raise InvalidOrgNumber(
            f"the company card of {company}: {error}. Correct HubSpot property {property_name!r}, then Retry the run"
        ) from None
