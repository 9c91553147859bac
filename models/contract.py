"""The renegotiation contract in the e-signature tool (Dealbuilder), in our own terms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.agreement import Agreement, ContractLine

__all__ = ["Contract", "ContractDraft", "ContractLine", "ContractPreview", "ContractState", "Signer"]


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
    # The delivery start the contract carries (the day it was sent, unless one was agreed).
    start_date: date | None = None
    preview_url: str = ""
    signing_urls: tuple[str, ...] = ()
    licences: int | None = None
    price_per_licence: Decimal | None = None
    updated_at: datetime | None = None

    def without_links(self) -> Contract:
        """The contract without its signing links: task results are persisted, and a link lets anyone sign."""
        return self.model_copy(update={"signing_urls": ()})


class ContractPreview(BaseModel):
    """The draft as Dealbuilder holds it, read back for the approval form: what a person approves is what is sent."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    url: str
    lines: tuple[ContractLine, ...]
    signer: Signer | None = None
    start_date: date | None = None
    signing_deadline: date | None = None
    sender: str = ""
    booker: str = ""
