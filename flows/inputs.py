"""The forms a person (or the poller) fills in to resume a suspended case, as Prefect RunInputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from prefect.input import RunInput
from pydantic import Field

from models.contract import ContractState


class ContractApproval(RunInput):
    """Approve the draft, correct licences or price (asked again), or reject it (the case closes)."""

    approved: bool = Field(title="Godkjent", description="Slå på for å sende kontrakten til kunden.")
    approver: str = Field(title="Godkjent av", description="Navnet ditt eller e-postadressen din.")
    licences: int | None = Field(
        default=None, title="Antall lisenser", description="Bare for å rette utkastet: nytt antall lisenser."
    )
    price_per_licence: Decimal | None = Field(
        default=None,
        title="Pris per lisens",
        description="Bare for å rette utkastet: ny pris per lisens i kroner, f.eks. 449.50.",
    )
    comment: str | None = Field(default=None, title="Kommentar", description="Grunnen, når du avviser.")


class SignatureOutcome(RunInput):
    """What the poller saw of the contract: signed, declined, expired or cancelled."""

    state: ContractState
    raw_status: str
    signed_on: date | None = None
    # Who says so; a claim only: the run reads the contract itself before acting.
    reported_by: str = "poll-signatures"


class ContractFollowUp(RunInput):
    """After a decline or expiry: extend the deadline and resend, or cancel the contract and close the case."""

    action: Literal["extend_and_resend", "cancel"]
    decided_by: str
    comment: str | None = None


class LicencesAdjusted(RunInput):
    """Confirm that the licence count is set in Avonova Digital (manual routine)."""

    licences_set: int
    confirmed_by: str
