"""Avonova Digital's licence endpoint: its path and field names, shared by the adapter and the sandbox.

No public API documentation exists; correct these against the vendor's when it does."""

from __future__ import annotations

# GET/PUT of a customer's licence count (customer id = the org number).
LICENCES_PATH = "/api/v1/customers/{customer_id}/licences"
F_CUSTOMER_ID = "customerId"
F_LICENCES = "licences"
F_REFERENCE = "reference"
F_UPDATED = "updatedAt"
