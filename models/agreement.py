"""The customer's signed agreements in Dealbuilder: the current one a renegotiation starts from, and the one a
seller sold, whose signing date starts the sellers' 36-month clock (DOMAIN.md, "Decisions")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

HUNDRED = Decimal(100)


class ContractLine(BaseModel):
    """One product line of a contract: what the customer gets, at which unit price and discount."""

    model_config = ConfigDict(frozen=True)

    name: str
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")

    @property
    def paid_unit_price(self) -> Decimal:
        """The unit price after the line's discount: what the customer pays."""
        return paid_price(self.unit_price, self.discount_percent)


def paid_price(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """`unit_price` less `discount_percent`, to the øre."""
    return (unit_price * (HUNDRED - discount_percent) / HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Agreement(BaseModel):
    """A signed Assist agreement: what the new contract copies, except price, licence count and start date."""

    model_config = ConfigDict(frozen=True)

    contract_id: str = Field(min_length=1, description="Dealbuilder id of the agreement")
    licences: int = Field(gt=0, description="number of licences on the Assist licence line")
    price_per_licence: Decimal = Field(gt=0, description="the licence line's unit price before its discount, NOK")
    licence_discount_percent: Decimal = Field(default=Decimal("0"), ge=0, le=100)
    signed_on: date = Field(description="the date the agreement was signed")
    start_date: date | None = Field(default=None, description="when the agreement's delivery started")
    template: str = ""
    sender: str = ""
    booker: str = ""
    customer_name: str = ""
    org_number: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    # Every product line as signed, the licence line included: the new contract carries them over.
    lines: tuple[ContractLine, ...] = ()
    # Template fields copied as they are (terms, invoice reference, ...).
    terms: dict[str, str] = Field(default_factory=dict)

    @property
    def paid_per_licence(self) -> Decimal:
        """What the customer pays per licence: the "price before" of every form, note and e-mail."""
        return paid_price(self.price_per_licence, self.licence_discount_percent)


class NoAgreement(LookupError):
    """Dealbuilder holds no signed Assist agreement for the customer."""


class AgreementBasis(BaseModel):
    """The two agreements a renegotiation needs (DOMAIN.md): the current one and the one a seller sold."""

    model_config = ConfigDict(frozen=True)

    org_number: str  # the customer's 9 digits, as every system is asked for it
    current: Agreement
    sold: Agreement
    # No agreement a seller sold was found: `sold` is the oldest signed one, and the form and e-mail say so.
    sold_is_fallback: bool = False


def made_by_routine(agreement: Agreement, *, template: str, sender: str) -> bool:
    """True for a renegotiation this routine made: on its template, or sent by its sender."""
    return agreement.template == template or agreement.sender == sender


def document_number(contract_id: str) -> int:
    """The number in a document id (`DB-10` -> 10), so that ids compare as numbers; -1 when it holds none."""
    found = re.search(r"(\d+)\D*$", contract_id)
    return int(found.group(1)) if found else -1


def _newest_last(agreement: Agreement) -> tuple[date, int, str]:
    return agreement.signed_on, document_number(agreement.contract_id), agreement.contract_id


def agreement_basis(
    agreements: Sequence[Agreement], *, org_number: str, template: str, sender: str, customer: str
) -> AgreementBasis:
    """The newest signed agreement as the basis, and the newest one not made by this routine as the sold one (else
    the oldest signed one); ties on the signing date go to the higher document number, compared as a number
    (`DB-10` after `DB-9`), so the choice is repeatable."""
    if not agreements:
        raise NoAgreement(
            f"no signed Avonova Assist agreement in Dealbuilder for {customer}; check the org number on the "
            "company card, or that the agreement was signed in Dealbuilder"
        )
    ordered = sorted(agreements, key=_newest_last)
    sold = [agreement for agreement in ordered if not made_by_routine(agreement, template=template, sender=sender)]
    if sold:
        return AgreementBasis(org_number=org_number, current=ordered[-1], sold=sold[-1])
    return AgreementBasis(org_number=org_number, current=ordered[-1], sold=ordered[0], sold_is_fallback=True)
