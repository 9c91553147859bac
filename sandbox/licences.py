"""The Avonova Digital sandbox: each seeded customer's licence count, behind GET/PUT with a bearer token, and a
POST on the customer collection that adds a customer. The product (adapters/licence_admin.py) uses only GET and PUT;
the POST is for tests (tests/licences/test_licence_sandbox.py) and for adding a customer by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from adapters.licence_api import F_CUSTOMER_ID, F_LICENCES, F_REFERENCE, F_UPDATED, LICENCES_PATH
from sandbox.kit import FaultPlan, JSONResponse, SandboxApp, json_of, utc_now_iso
from sandbox.world import CUSTOMERS

# The collection the licence path hangs under: /api/v1/customers/{customer_id}/licences -> /api/v1/customers.
_COLLECTION = LICENCES_PATH.split("/{customer_id}", 1)[0]
F_NAME = "name"


class LicenceSandbox(SandboxApp):
    """Local Avonova Digital licence endpoint, recording every change."""

    name = "licences"

    def __init__(
        self, *, state_file: Path | None = None, faults: FaultPlan | None = None, token: str = "sandbox-token"
    ) -> None:
        self.token = token
        super().__init__(state_file=state_file, faults=faults)

    def initial_state(self) -> dict[str, Any]:
        return {
            "customers": {
                customer.org_number: {
                    F_CUSTOMER_ID: customer.org_number,
                    F_NAME: customer.name,
                    F_LICENCES: customer.licence_system_count,
                    F_REFERENCE: "",
                    F_UPDATED: None,
                }
                for customer in CUSTOMERS
                if customer.licence_system_count is not None
            },
            "changes": [],
        }

    def setup_routes(self) -> None:
        self.route("POST", _COLLECTION)(self._create)
        self.route("GET", LICENCES_PATH)(self._read)
        self.route("PUT", LICENCES_PATH)(self._write)
        self.route("GET", "/_sandbox/changes")(lambda request: JSONResponse({"changes": self.changes()}))

    def before_route(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "missing or wrong bearer token"}, 401)
        return None

    def _create(self, request: Request) -> Response:
        try:
            body = json_of(request)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"message": "the body must be a JSON object"}, 400)
        customer_id, name, licences = body.get(F_CUSTOMER_ID), body.get(F_NAME), body.get(F_LICENCES)
        if not (
            isinstance(customer_id, str) and len(customer_id) == 9 and customer_id.isascii() and customer_id.isdigit()
        ):
            return JSONResponse(
                {"message": f"{F_CUSTOMER_ID} must be the organisation number, 9 digits; got {customer_id!r}"}, 400
            )
        if not isinstance(name, str) or not name.strip():
            return JSONResponse({"message": f"{F_NAME} is required (the customer's name)"}, 400)
        if not isinstance(licences, int) or isinstance(licences, bool) or licences < 0:
            return JSONResponse({"message": f"{F_LICENCES} must be a non-negative integer; got {licences!r}"}, 400)
        if customer_id in self.state["customers"]:
            return JSONResponse({"message": f"customer {customer_id} already exists"}, 409)
        customer = {
            F_CUSTOMER_ID: customer_id,
            F_NAME: name.strip(),
            F_LICENCES: licences,
            F_REFERENCE: str(body.get(F_REFERENCE) or ""),
            F_UPDATED: utc_now_iso(),
        }
        self.state["customers"][customer_id] = customer
        return JSONResponse(dict(customer), 201, headers={"Location": LICENCES_PATH.format(customer_id=customer_id)})

    def _read(self, request: Request, customer_id: str) -> Response:
        customer = self.state["customers"].get(customer_id)
        if customer is None:
            return JSONResponse({"message": f"customer {customer_id} not found"}, 404)
        return JSONResponse(dict(customer))

    def _write(self, request: Request, customer_id: str) -> Response:
        customer = self.state["customers"].get(customer_id)
        if customer is None:
            return JSONResponse({"message": f"customer {customer_id} not found"}, 404)
        try:
            body = json_of(request)
        except ValueError:
            body = None
        licences = body.get(F_LICENCES) if isinstance(body, dict) else None
        if not isinstance(licences, int) or isinstance(licences, bool) or licences < 0:
            return JSONResponse({"message": f"{F_LICENCES} must be a non-negative integer"}, 400)
        reference = str(body.get(F_REFERENCE) or "") if isinstance(body, dict) else ""
        before = customer[F_LICENCES]
        customer.update({F_LICENCES: licences, F_REFERENCE: reference, F_UPDATED: utc_now_iso()})
        self.state["changes"].append(
            {
                "customerId": customer_id,
                "before": before,
                "after": licences,
                "reference": reference,
                "at": utc_now_iso(),
            }
        )
        return JSONResponse(dict(customer))

    # --- Python accessors for tests and the demo ------------------------------------------------------------
    def licences(self, customer_id: str) -> int:
        with self.lock:
            return int(self.state["customers"][customer_id][F_LICENCES])

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.state["customers"].get(customer_id)
            return dict(found) if found is not None else None

    def changes(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(change) for change in self.state["changes"]]
