"""The renegotiation contract in the e-signature tool (Dealbuilder), in our own terms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.agreement import Agreement


class ContractState(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    VIEWED = "VIEWED"
    SIGNED = "SIGNED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    CANCELED = "CANCELED"


# A contract in one of these still waits for the signer.
WAITING_STATES = frozenset({ContractState.DRAFT, ContractState.SENT, ContractState.VIEWED})


class ContractLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")


class Signer(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    email: str
    phone: str = ""


class ContractDraft(BaseModel):
    """Everything a new renegotiation contract carries; `case_key` makes the create idempotent."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    template: str
    title: str
    agreement: Agreement
    signer: Signer
    licences: int
    price_per_licence: Decimal
    start_date: date
    signing_deadline: date
    sender: str
    booker: str
    lines: tuple[ContractLine, ...]
    deal_id: str = ""


class Contract(BaseModel):
    """A contract as the provider last reported it; `raw_status` is kept beside our neutral state."""

    model_config = ConfigDict(frozen=True)

    id: str
    case_key: str
    state: ContractState
    raw_status: str
    signing_deadline: date | None = None
    signed_on: date | None = None
    preview_url: str = ""
    signing_urls: tuple[str, ...] = ()
    licences: int | None = None
    price_per_licence: Decimal | None = None
    updated_at: datetime | None = None


class ContractPreview(BaseModel):
    model_config = ConfigDict(frozen=True)

    contract_id: str
    url: str
    html: str
    summary: str = Field(description="a short plain-text summary for the approval form")
