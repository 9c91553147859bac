"""Phase 6: the customer's licence count in Avonova Digital."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.ports import LicenceAdmin
from models.case import CaseState
from steps.transition import Done, Transition


@dataclass(frozen=True)
class SetLicences:
    case_key: str
    # The customer's id in the licence system: the company's org number.
    customer_id: str
    licences: int


def adjust_licences(licences: LicenceAdmin, change: SetLicences) -> Done[int]:
    """Set the customer's number of licences through the licence system's API."""
    count = licences.set_licences(customer_id=change.customer_id, licences=change.licences, case_key=change.case_key)
    return Done(count, Transition(CaseState.LICENCES_ADJUSTED, details={"licences": count, "by": "api"}))
