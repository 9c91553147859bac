"""What the poller makes of a contract's status (pure)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, field_validator

from models.contract import WAITING_STATES, Contract, ContractState
from models.text import clean_text


def signature_outcome(contract: Contract | None, *, deadline: date | None, today: date) -> ContractState | None:
    """The outcome to resume the case with, or None while the signer still has time.

    A contract still waiting after its deadline day counts as EXPIRED even if the provider has not said so, and
    so, once its deadline has passed, does one the provider no longer returns: a person decides instead of the
    case waiting for ever."""
    if contract is not None and contract.state not in WAITING_STATES:
        return contract.state
    if deadline is not None and today > deadline:
        return ContractState.EXPIRED
    return None


def verified_outcome(claimed: ContractState, contract: Contract) -> ContractState | None:
    """What a resumed run acts on: the contract's state as Dealbuilder reports it now, never the resume's claim.

    A claimed expiry of a contract still out is taken (the deadline is our own rule, and it only asks a person to
    decide); any other claim about a contract still out is refused (None) and the run waits again."""
    if contract.state not in WAITING_STATES:
        return contract.state
    if claimed is ContractState.EXPIRED:
        return ContractState.EXPIRED
    return None


class SignatureClaim(BaseModel):
    """What the poller (or Dealbuilder's webhook) saw of the contract: signed, declined, expired or cancelled."""

    state: ContractState
    raw_status: str
    signed_on: date | None = None
    # Who says so; a claim only: the run reads the contract itself before acting.
    reported_by: str = "poll-signatures"

    @field_validator("raw_status", "reported_by")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)
