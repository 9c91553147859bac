"""The customer's current agreement, as signed in Dealbuilder, which a renegotiation starts from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Agreement(BaseModel):
    """The original agreement: what the new contract copies, except price, licence count and start date."""

    model_config = ConfigDict(frozen=True)

    contract_id: str = Field(min_length=1, description="Dealbuilder id of the original agreement")
    licences: int = Field(gt=0, description="current number of licences")
    price_per_licence: Decimal = Field(gt=0, description="current price per licence, NOK")
    signed_on: date = Field(description="the date the original agreement was signed")
    start_date: date | None = Field(default=None, description="when the original agreement's delivery started")
    customer_name: str = ""
    org_number: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    # Template fields copied as they are (terms, invoice reference, ...).
    terms: dict[str, str] = Field(default_factory=dict)
