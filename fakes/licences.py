"""FakeLicences: the LicenceAdmin port in memory, behaving as HttpLicenceAdmin does on the licence sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.errors import NotFoundError, ValidationRejected

SYSTEM = "avonova-digital"


@dataclass(frozen=True)
class LicenceChange:
    """One write of a customer's count, as the licence system records it."""

    customer_id: str
    before: int
    after: int
    reference: str


class FakeLicences:
    """The LicenceAdmin port in memory. Seed it with add_customer; `changes` lists every write that reached it.
    `requires_confirmation=True` plays the manual routine's flag (the count itself is still kept here)."""

    def __init__(self, *, requires_confirmation: bool = False) -> None:
        self.requires_confirmation = requires_confirmation
        self.changes: list[LicenceChange] = []
        self.calls = 0
        self._customers: dict[str, tuple[int, str]] = {}

    def add_customer(self, customer_id: str, licences: int) -> None:
        """A customer (organisation number) the licence system knows, with its count."""
        self._customers[customer_id] = (licences, "")

    def read_licences(self, *, customer_id: str) -> int:
        self.calls += 1
        return self._customer(customer_id)[0]

    def set_licences(self, *, customer_id: str, licences: int, case_key: str) -> int:
        self.calls += 1
        if licences < 0:
            raise ValidationRejected(SYSTEM, "the licence count cannot be negative", field="licences")
        before, reference = self._customer(customer_id)
        # As HttpLicenceAdmin: a count this case already set is not written again.
        if (before, reference) != (licences, case_key):
            self._customers[customer_id] = (licences, case_key)
            self.changes.append(LicenceChange(customer_id, before, licences, case_key))
        return licences

    def _customer(self, customer_id: str) -> tuple[int, str]:
        found = self._customers.get(customer_id)
        if found is None:
            raise NotFoundError(
                SYSTEM,
                f"GET /api/v1/customers/{customer_id}/licences: customer {customer_id} not found",
                object_type="licences",
                status=404,
            )
        return found
