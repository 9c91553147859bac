"""The forms a person (or the poller) fills in to resume a suspended case, as Prefect RunInputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from prefect.input import RunInput

from models.contract import ContractState


class ContractApproval(RunInput):
    """Approve the draft, correct licences or price (asked again), or reject it (the case closes)."""

    approved: bool
    approver: str
    licences: int | None = None
    price_per_licence: Decimal | None = None
    comment: str | None = None


class SignatureOutcome(RunInput):
    """What the poller saw of the contract: signed, declined, expired or cancelled."""

    state: ContractState
    raw_status: str
    signed_on: date | None = None


class ContractFollowUp(RunInput):
    """After a decline or expiry: extend the deadline and resend, or cancel the contract and close the case."""

    action: Literal["extend_and_resend", "cancel"]
    decided_by: str
    comment: str | None = None


class LicencesAdjusted(RunInput):
    """Confirm that the licence count is set in Avonova Digital (manual routine)."""

    licences_set: int
    confirmed_by: str
