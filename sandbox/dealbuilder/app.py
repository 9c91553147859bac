"""The Dealbuilder sandbox: templates, the seeded original agreements, documents with their state machine, a
movable clock, recorded e-mail/SMS deliveries and a signing page a person can use in a browser."""

from __future__ import annotations

import functools
import re
import secrets
import uuid
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from adapters import dealbuilder_api as api
from config.settings import RoutineSettings
from sandbox.dealbuilder import documents, pages
from sandbox.dealbuilder.webhooks import WebhookSender
from sandbox.kit import FaultPlan, JSONResponse, SandboxApp, body_of, json_of, query_list, utc_now_iso
from sandbox.world import (
    CUSTOMERS,
    OHS_TEMPLATE,
    RENEGOTIATION_TEMPLATE,
    SOLD_TEMPLATE,
    SeedCustomer,
    SeedDocument,
)

TEMPLATES: tuple[tuple[str, str], ...] = (
    ("TPL-100", SOLD_TEMPLATE),
    ("TPL-200", RENEGOTIATION_TEMPLATE),
    ("TPL-300", OHS_TEMPLATE),
)
_TEMPLATE_IDS = {name: template_id for template_id, name in TEMPLATES}
# How Dealbuilder's search reads an org number: "NO" before and "MVA" after a VAT number, spaces, dots, dashes.
_ORG_DECORATION = re.compile(r"^\s*NO\s*|\s*MVA\s*$|[\s.\-]", re.IGNORECASE)
_DOC = "{document_id}"
# When the seeded agreements were signed, Oslo time.
SEEDED_AT = time(10, 30)


class DealbuilderSandbox(SandboxApp):
    """Local Dealbuilder speaking the `/v1` shape of adapters.dealbuilder_api."""

    name = "dealbuilder"

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        faults: FaultPlan | None = None,
        api_key: str = "sandbox-key",
        public_url: str | None = None,
    ) -> None:
        self.api_key = api_key
        # Where links in documents point; without it, the Host header of the latest request decides.
        self.public_url = public_url.rstrip("/") if public_url else None
        self._seen_base = ""
        defaults = RoutineSettings()
        self._licence_line = defaults.licence_line
        self._onboarding_line = defaults.onboarding_line
        self._onboarding_price = defaults.onboarding_price
        # Calls registered webhooks when a document changes status (set `webhooks.backoff` to retry sooner).
        self.webhooks = WebhookSender(on_settled=self._settled)
        # The Oslo wall time of the sandbox's day at which documents are sent, signed and declined (None: the time
        # now). Set it to just after midnight to see a signature stamped on the evening before in UTC.
        self.time_of_day: time | None = None
        super().__init__(state_file=state_file, faults=faults)
        # Deliveries still owed when the sandbox last stopped go out now, as a provider's queue survives a restart.
        for key, delivery in self.state.get("outbox", {}).items():
            self.webhooks.send(delivery["url"], delivery["body"], key=key)

    # --- seeded world -------------------------------------------------------------------------------------
    def initial_state(self) -> dict[str, Any]:
        today = date.today()
        docs = {seed.id: self._original(customer, seed, today) for customer in CUSTOMERS for seed in customer.documents}
        return {
            "today": today.isoformat(),
            "templates": [{api.T_ID: tid, api.T_NAME: name} for tid, name in TEMPLATES],
            "documents": docs,
            "deliveries": [],
            "webhooks": [],
            "outbox": {},
            "next_id": 2001,
        }

    def _original(self, customer: SeedCustomer, seed: SeedDocument, today: date) -> dict[str, Any]:
        """A seeded document of the customer's history, as signed `seed.months_since_signing` months ago."""
        signed = seed.signed_on(today)
        signer = f"{customer.signer_first} {customer.signer_last}"
        products: list[dict[str, Any]] = []
        if seed.licences is not None:
            products.append(_product(self._licence_line, seed.licences, seed.price_per_licence, seed.licence_discount))
        products.extend(_product(line.name, line.quantity, line.unit_price, line.discount) for line in seed.lines)
        if seed.onboarding:
            products.append(_product(self._onboarding_line, 1, self._onboarding_price, Decimal("100")))
        return {
            api.D_ID: seed.id,
            api.D_TEMPLATE_ID: _TEMPLATE_IDS[seed.template],
            api.D_TEMPLATE_NAME: seed.template,
            api.D_TITLE: f"{seed.template} – {customer.name}",
            api.D_STATUS: seed.status,
            api.D_VALID_UNTIL: (signed + timedelta(days=3)).isoformat(),
            api.D_START_DATE: (signed + timedelta(days=14)).isoformat(),
            api.D_SENDER: seed.sender,
            api.D_BOOKER: seed.booker,
            api.D_SIGNATORIES: [
                {
                    api.S_NAME: signer,
                    api.S_EMAIL: customer.signer_email,
                    api.S_PHONE: customer.signer_phone,
                    api.S_COMPANY: customer.name,
                    api.S_ORG_NUMBER: customer.org_number,
                }
            ],
            api.D_CUSTOMER: {
                api.C_NAME: customer.name,
                api.C_ORG_NUMBER: customer.org_number,
                api.C_ADDRESS: customer.address,
                api.C_POSTAL_CODE: customer.postal_code,
                api.C_CITY: customer.city,
            },
            api.D_PRODUCTS: products,
            api.D_CUSTOM_FIELDS: [
                {api.F_NAME: "bindingstid", api.F_VALUE: "12 måneder"},
                {api.F_NAME: "betalingsbetingelser", api.F_VALUE: "30 dager netto"},
                {api.F_NAME: "fakturaintervall", api.F_VALUE: "Årlig forskuddsvis"},
                {api.F_NAME: "fakturareferanse", api.F_VALUE: f"Assist {customer.org_number}"},
            ],
            api.D_SENT_DATE: documents.utc_stamp(signed, SEEDED_AT),
            api.D_SIGNED_DATE: documents.utc_stamp(signed, SEEDED_AT),
            api.D_CREATED: f"{signed.isoformat()}T09:00:00.000Z",
            api.D_UPDATED: f"{signed.isoformat()}T12:00:00.000Z",
            "_previewToken": f"prv-{seed.id.lower()}",
            "_tokens": [f"sig-{seed.id.lower()}"],
            "_partyStatus": ["Signed"],
        }

    # --- routes ---------------------------------------------------------------------------------------------
    def setup_routes(self) -> None:
        self.route("GET", api.TEMPLATES)(self._list_templates)
        self.route("POST", api.DOCUMENTS)(self._create)
        self.route("GET", api.DOCUMENTS)(self._list)
        self.route("GET", api.document_path(_DOC))(self._read)
        self.route("PUT", api.document_path(_DOC))(self._update)
        self.route("POST", api.send_path(_DOC))(self._send)
        self.route("POST", api.resend_path(_DOC))(self._resend)
        self.route("POST", api.revoke_path(_DOC))(self._revoke)
        self.route("GET", api.PREVIEW_PAGE + "/{token}")(self._preview_page)
        self.route("GET", api.SIGNING_PAGE)(self._inbox_page)
        self.route("GET", api.SIGNING_PAGE + "/")(self._inbox_page)
        self.route("GET", api.SIGNING_PAGE + "/{token}")(self._signing_page)
        self.route("POST", api.SIGNING_PAGE + "/{token}")(self._signing_action)
        self.route("POST", api.WEBHOOKS)(self._register_webhook)
        self.route("GET", api.WEBHOOKS)(self._list_webhooks)
        self.route("GET", "/_sandbox/clock")(self._get_clock)
        self.route("POST", "/_sandbox/clock")(self._set_clock)
        self.route("GET", "/_sandbox/deliveries")(self._list_deliveries)
        self.route("GET", "/_sandbox/documents")(self._list_all)
        for action in ("sign", "decline", "view"):
            self.route("POST", f"/_sandbox/documents/{_DOC}/{action}")(
                functools.partial(self._sandbox_action, action=action)
            )

    def before_route(self, request: Request) -> Response | None:
        self._remember_base(request)
        if (
            request.url.path.startswith(api.BASE + "/")
            and request.headers.get(api.API_KEY_HEADER.lower()) != self.api_key
        ):
            return _error(401, "missing or wrong API key")
        return None

    def _list_templates(self, request: Request) -> Response:
        templates = list(self.state["templates"])
        return JSONResponse({api.L_ITEMS: templates, api.L_TOTAL: len(templates)})

    def _create(self, request: Request) -> Response:
        body = _json_object(request)
        if body is None:
            return _error(400, "body must be a JSON object")
        template = next((t for t in self.state["templates"] if t[api.T_ID] == body.get(api.D_TEMPLATE_ID)), None)
        if template is None:
            return _error(400, f"unknown {api.D_TEMPLATE_ID}")
        problem = _validate(body, creating=True)
        if problem:
            return _error(400, problem)
        document_id = f"DB-{self.state['next_id']}"
        self.state["next_id"] += 1
        now = utc_now_iso()
        signatories = list(body.get(api.D_SIGNATORIES) or [])
        document: dict[str, Any] = {key: body[key] for key in documents.EDITABLE_IN_DRAFT if key in body} | {
            api.D_ID: document_id,
            api.D_TEMPLATE_ID: template[api.T_ID],
            api.D_TEMPLATE_NAME: template[api.T_NAME],
            api.D_STATUS: api.STATUS_DRAFT,
            api.D_CREATED: now,
            api.D_UPDATED: now,
            "_previewToken": secrets.token_urlsafe(12),
            "_tokens": [secrets.token_urlsafe(16) for _ in signatories],
            "_partyStatus": ["Pending" for _ in signatories],
        }
        self.state["documents"][document_id] = document
        return JSONResponse(self._out(document), 201)

    def _list(self, request: Request) -> Response:
        self._tick()
        try:
            page = int(request.query_params.get(api.Q_PAGE, "1") or "1")
            size = int(request.query_params.get(api.Q_PAGE_SIZE, "50") or "50")
        except ValueError:
            return _error(400, f"{api.Q_PAGE} and {api.Q_PAGE_SIZE} must be integers")
        if not 1 <= size <= api.MAX_PAGE_SIZE or page < 1:
            return _error(400, f"{api.Q_PAGE_SIZE} must be 1..{api.MAX_PAGE_SIZE} and {api.Q_PAGE} at least 1")
        found = list(self.state["documents"].values())
        ids = query_list(request, api.Q_IDS)
        if ids:
            wanted = set(ids)
            found = [d for d in found if d[api.D_ID] in wanted]
        org = request.query_params.get(api.Q_ORG_NUMBER)
        if org is not None:
            # Compared as digits, however either side is written; an empty number matches no document.
            org_digits = _org_digits(org)
            found = [
                d
                for d in found
                if org_digits and _org_digits((d.get(api.D_CUSTOMER) or {}).get(api.C_ORG_NUMBER)) == org_digits
            ]
        status = request.query_params.get(api.Q_STATUS)
        if status:
            found = [d for d in found if d[api.D_STATUS] == status]
        field_name, field_value = (
            request.query_params.get(api.Q_CUSTOM_FIELD_NAME),
            request.query_params.get(api.Q_CUSTOM_FIELD_VALUE),
        )
        if field_name:
            found = [d for d in found if _custom_field(d, field_name) == field_value]
        window = found[(page - 1) * size : page * size]
        return JSONResponse(
            {
                api.L_ITEMS: [self._out(d) for d in window],
                api.L_TOTAL: len(found),
                api.L_PAGE: page,
                api.L_PAGE_SIZE: size,
            }
        )

    def _read(self, request: Request, document_id: str) -> Response:
        self._tick()
        document = self.state["documents"].get(document_id)
        if document is None:
            return _error(404, f"document {document_id} not found")
        return JSONResponse(self._out(document))

    def _update(self, request: Request, document_id: str) -> Response:
        document = self.state["documents"].get(document_id)
        if document is None:
            return _error(404, f"document {document_id} not found")
        body = _json_object(request)
        if body is None:
            return _error(400, "body must be a JSON object")
        unknown = set(body) - documents.EDITABLE_IN_DRAFT
        if unknown:
            return _error(400, f"fields cannot be changed: {', '.join(sorted(unknown))}")
        if document[api.D_STATUS] != api.STATUS_DRAFT:
            return _error(409, f"only a draft can be changed; status is {document[api.D_STATUS]}")
        problem = _validate(body, creating=False)
        if problem:
            return _error(400, problem)
        document.update(body)
        if api.D_SIGNATORIES in body:
            document["_tokens"] = [secrets.token_urlsafe(16) for _ in body[api.D_SIGNATORIES]]
            document["_partyStatus"] = ["Pending" for _ in body[api.D_SIGNATORIES]]
        document[api.D_UPDATED] = utc_now_iso()
        return JSONResponse(self._out(document))

    def _send(self, request: Request, document_id: str) -> Response:
        return self._dispatch_document(request, document_id, "send")

    def _resend(self, request: Request, document_id: str) -> Response:
        return self._dispatch_document(request, document_id, "resend")

    def _dispatch_document(self, request: Request, document_id: str, action: str) -> Response:
        self._tick()
        document = self.state["documents"].get(document_id)
        if document is None:
            return _error(404, f"document {document_id} not found")
        body = _json_object(request) or {}
        method = body.get(api.D_SEND_METHOD, api.SEND_EMAIL_AND_SMS)
        if method not in {api.SEND_EMAIL_AND_SMS, "Email", "Sms"}:
            return _error(400, f"unknown {api.D_SEND_METHOD} {method!r}")
        valid_until = body.get(api.D_VALID_UNTIL, document.get(api.D_VALID_UNTIL))
        if not _is_date(valid_until):
            return _error(400, f"{api.D_VALID_UNTIL} must be an ISO date")
        if date.fromisoformat(str(valid_until)) < self.today:
            return _error(400, f"{api.D_VALID_UNTIL} {valid_until} has already passed")
        if not documents.allowed(str(document[api.D_STATUS]), action):
            return _error(409, f"cannot {action} a document in status {document[api.D_STATUS]}")
        document[api.D_VALID_UNTIL] = valid_until
        documents.apply(document, action, today=self.today, at=self.time_of_day)
        document["_partyStatus"] = ["Pending" for _ in document["_tokens"]]
        document[api.D_UPDATED] = utc_now_iso()
        self._deliver(document, method=str(method), kind=action)
        self._emit(document)
        return JSONResponse(self._out(document))

    def _register_webhook(self, request: Request) -> Response:
        """Register a URL for document events; the same URL again replaces its events and key (no second hook)."""
        body = _json_object(request)
        if body is None:
            return _error(400, "body must be a JSON object")
        url, events, key = body.get(api.WH_URL), body.get(api.WH_EVENTS), body.get(api.WH_KEY)
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            return _error(400, f"{api.WH_URL} must be an http(s) URL")
        known = set(api.EVENT_FOR_STATUS.values())
        if not isinstance(events, list) or not events or not all(event in known for event in events):
            return _error(400, f"{api.WH_EVENTS} must list some of {', '.join(sorted(known))}")
        if not isinstance(key, str) or not key:
            return _error(400, f"{api.WH_KEY} is required")
        hooks = self.state.setdefault("webhooks", [])
        hook = next((h for h in hooks if h[api.WH_URL] == url), None)
        if hook is None:
            hook = {api.WH_ID: f"WH-{len(hooks) + 1}", api.WH_URL: url}
            hooks.append(hook)
            status = 201
        else:
            status = 200
        hook.update({api.WH_EVENTS: list(events), api.WH_KEY: key})
        return JSONResponse(_shown_hook(hook), status)

    def _list_webhooks(self, request: Request) -> Response:
        hooks = [_shown_hook(h) for h in self.state.get("webhooks", [])]
        return JSONResponse({api.L_ITEMS: hooks, api.L_TOTAL: len(hooks)})

    def _emit(self, document: dict[str, Any]) -> None:
        """Tell every webhook registered for it that the document reached its status (called under the lock)."""
        event_type = api.EVENT_FOR_STATUS.get(str(document[api.D_STATUS]))
        if event_type is None:
            return
        event = {
            api.EV_ID: f"evt-{uuid.uuid4().hex}",
            api.EV_TYPE: event_type,
            api.EV_DOCUMENT_ID: document[api.D_ID],
            api.EV_STATUS: document[api.D_STATUS],
            api.EV_OCCURRED: utc_now_iso(),
        }
        outbox = self.state.setdefault("outbox", {})
        owed = []
        for hook in self.state.get("webhooks", []):
            if event_type in hook[api.WH_EVENTS]:
                key = f"{event[api.EV_ID]}/{hook[api.WH_ID]}"
                outbox[key] = {"url": hook[api.WH_URL], "body": event | {api.EV_KEY: hook[api.WH_KEY]}}
                owed.append(key)
        # Written down before the first attempt, so a stop cannot lose it.
        self.persist()
        for key in owed:
            self.webhooks.send(outbox[key]["url"], outbox[key]["body"], key=key)

    def _settled(self, key: str) -> None:
        """A delivery was taken or given up: it is no longer owed after a restart."""
        with self.lock:
            if self.state.get("outbox", {}).pop(key, None) is not None:
                self.persist()

    def _revoke(self, request: Request, document_id: str) -> Response:
        return self._act(document_id, "revoke")

    def _act(self, document_id: str, action: str) -> Response:
        try:
            return JSONResponse(self._apply(document_id, action))
        except _Refused as refused:
            return _error(refused.status, refused.message)

    def _apply(self, document_id: str, action: str, party: int | None = None) -> dict[str, Any]:
        """Carry out `action` on a document as the API shows it; _Refused when it is unknown or may not."""
        self._tick()
        document = self.state["documents"].get(document_id)
        if document is None:
            raise _Refused(404, f"document {document_id} not found")
        try:
            documents.apply(document, action, today=self.today, at=self.time_of_day)
        except documents.TransitionRefused as refused:
            raise _Refused(409, str(refused)) from refused
        if action == "resend":
            document["_partyStatus"] = ["Pending" for _ in document["_partyStatus"]]
        elif action in {"sign", "decline", "view"}:
            index = party or 0
            document["_partyStatus"][index] = {"sign": "Signed", "decline": "Declined", "view": "Viewed"}[action]
        document[api.D_UPDATED] = utc_now_iso()
        self._emit(document)
        return self._out(document)

    # --- public pages -------------------------------------------------------------------------------------
    def _preview_page(self, request: Request, token: str) -> Response:
        self._tick()
        document = next((d for d in self.state["documents"].values() if d["_previewToken"] == token), None)
        if document is None:
            return pages.message_page(request, "Ikke funnet", "Ukjent lenke.", status_code=404)
        return pages.preview_page(request, document)

    def _inbox_page(self, request: Request) -> Response:
        return pages.inbox_page(request, self.deliveries())

    def _signing_page(self, request: Request, token: str) -> Response:
        self._tick()
        found = self._by_token(token)
        if found is None:
            return pages.message_page(request, "Ikke funnet", "Ukjent signeringslenke.", status_code=404)
        document, party = found
        if document[api.D_STATUS] == api.STATUS_SENT:
            self._apply(str(document[api.D_ID]), "view", party)
        return pages.signing_page(request, document, action_url=f"{api.SIGNING_PAGE}/{token}")

    def _signing_action(self, request: Request, token: str) -> Response:
        self._tick()
        found = self._by_token(token)
        if found is None:
            return pages.message_page(request, "Ikke funnet", "Ukjent signeringslenke.", status_code=404)
        document, party = found
        form = parse_qs(body_of(request).decode("utf-8"))
        action = (form.get("action") or [""])[0]
        if action not in {"sign", "decline"}:
            return pages.message_page(request, "Feil", "Ukjent handling.", status_code=400)
        try:
            self._apply(str(document[api.D_ID]), action, party)
        except _Refused:
            outcome, status_code = (
                f"Kunne ikke utføre handlingen. {pages.outcome_text(str(document[api.D_STATUS]))}",
                409,
            )
        else:
            outcome, status_code = pages.outcome_text(str(document[api.D_STATUS])), 200
        action_url = f"{api.SIGNING_PAGE}/{token}"
        return pages.signing_page(request, document, action_url=action_url, outcome=outcome, status_code=status_code)

    # --- sandbox controls ---------------------------------------------------------------------------------
    def _get_clock(self, request: Request) -> Response:
        return JSONResponse({"today": self.today.isoformat()})

    def _set_clock(self, request: Request) -> Response:
        body = _json_object(request) or {}
        if not _is_date(body.get("today")):
            return _error(400, "today must be an ISO date")
        self.set_today(date.fromisoformat(str(body["today"])))
        return JSONResponse({"today": self.today.isoformat()})

    def _list_deliveries(self, request: Request) -> Response:
        return JSONResponse({"deliveries": self.deliveries()})

    def _list_all(self, request: Request) -> Response:
        self._remember_base(request)
        return JSONResponse({"documents": self.documents()})

    def _sandbox_action(self, request: Request, document_id: str, action: str) -> Response:
        self._remember_base(request)
        with self.lock:
            response = self._act(document_id, action)
            self.persist()
        return response

    # --- Python accessors for tests and the demo ------------------------------------------------------------
    @property
    def today(self) -> date:
        return date.fromisoformat(self.state["today"])

    def set_today(self, today: date) -> None:
        """Move the sandbox's clock; documents whose validUntil has passed expire."""
        with self.lock:
            self.state["today"] = today.isoformat()
            self._tick()
            self.persist()

    def documents(self) -> list[dict[str, Any]]:
        with self.lock:
            self._tick()
            return [self._out(d) for d in self.state["documents"].values()]

    def document(self, document_id: str) -> dict[str, Any]:
        with self.lock:
            self._tick()
            return self._out(self.state["documents"][document_id])

    def reset(self) -> None:
        super().reset()
        self.webhooks.clear()
        self.time_of_day = None

    def webhook_attempts(self, document_id: str | None = None) -> list[dict[str, Any]]:
        """Every attempt to deliver a webhook event (for one document), oldest first."""
        return [a for a in self.webhooks.attempts() if document_id is None or a["documentId"] == document_id]

    def deliveries(self, document_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(d) for d in self.state["deliveries"] if document_id is None or d["documentId"] == document_id]

    def sign(self, document_id: str) -> dict[str, Any]:
        return self._python_action(document_id, "sign")

    def decline(self, document_id: str) -> dict[str, Any]:
        return self._python_action(document_id, "decline")

    def force_status(self, document_id: str, status: str) -> dict[str, Any]:
        """Put a document in any status behind the API's rules, as Dealbuilder's support desk could (a signed
        contract revoked on request): drift the reconciliation must see."""
        with self.lock:
            document = self.state["documents"][document_id]
            document[api.D_STATUS] = status
            document[api.D_UPDATED] = utc_now_iso()
            self.persist()
            return self._out(document)

    def signing_url(self, document_id: str) -> str:
        with self.lock:
            token = self.state["documents"][document_id]["_tokens"][0]
        return f"{self._base()}{api.SIGNING_PAGE}/{token}"

    def preview_url(self, document_id: str) -> str:
        with self.lock:
            token = self.state["documents"][document_id]["_previewToken"]
        return f"{self._base()}{api.PREVIEW_PAGE}/{token}"

    def set_product(
        self,
        document_id: str,
        name: str,
        *,
        quantity: int | None = None,
        unit_price: Decimal | str | None = None,
        discount: Decimal | str | None = None,
    ) -> dict[str, Any]:
        """Change a product line of any document behind the flow's back (as a person in Dealbuilder could), adding
        the line (quantity 1, price and discount 0 unless given) when the document has none of that name."""
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0):
            raise ValueError(f"quantity must be a non-negative integer, got {quantity!r}")
        changes: dict[str, Any] = {
            key: value
            for key, value in (
                (api.PR_QUANTITY, quantity),
                (api.PR_UNIT_PRICE, None if unit_price is None else _decimal_text(unit_price)),
                (api.PR_DISCOUNT, None if discount is None else _decimal_text(discount)),
            )
            if value is not None
        }
        with self.lock:
            document = self.state["documents"][document_id]
            products = document.setdefault(api.D_PRODUCTS, [])
            line = next((p for p in products if p.get(api.PR_NAME) == name), None)
            if line is None:
                line = _product(name, 1, Decimal("0"), Decimal("0"))
                products.append(line)
            line.update(changes)
            document[api.D_UPDATED] = utc_now_iso()
            self.persist()
            return self._out(document)

    def _python_action(self, document_id: str, action: str) -> dict[str, Any]:
        with self.lock:
            try:
                return self._apply(document_id, action)
            except _Refused as refused:
                raise ValueError(refused.message) from None
            finally:
                self.persist()

    # --- helpers --------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        with self.lock:
            for document in self.state["documents"].values():
                if documents.expire_if_due(document, today=self.today, at=self.time_of_day):
                    document[api.D_UPDATED] = utc_now_iso()
                    self._emit(document)

    def _remember_base(self, request: Request) -> None:
        host = request.headers.get("host")
        if host:
            self._seen_base = f"http://{host}"

    def _base(self) -> str:
        return self.public_url or self._seen_base

    def _by_token(self, token: str) -> tuple[dict[str, Any], int] | None:
        for document in self.state["documents"].values():
            if token in document["_tokens"]:
                return document, document["_tokens"].index(token)
        return None

    def _deliver(self, document: dict[str, Any], *, method: str, kind: str) -> None:
        for index, signatory in enumerate(document.get(api.D_SIGNATORIES) or []):
            url = f"{self._base()}{api.SIGNING_PAGE}/{document['_tokens'][index]}"
            channels = []
            if method in {api.SEND_EMAIL_AND_SMS, "Email"}:
                channels.append(("email", signatory.get(api.S_EMAIL)))
            if method in {api.SEND_EMAIL_AND_SMS, "Sms"} and signatory.get(api.S_PHONE):
                channels.append(("sms", signatory.get(api.S_PHONE)))
            for channel, to in channels:
                self.state["deliveries"].append(
                    {
                        "documentId": document[api.D_ID],
                        "kind": kind,
                        "channel": channel,
                        "to": to,
                        "signingUrl": url,
                        "validUntil": document.get(api.D_VALID_UNTIL),
                        "at": utc_now_iso(),
                        "sandboxToday": self.today.isoformat(),
                    }
                )

    def _out(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document as the API shows it: internal tokens become absolute links."""
        base = self._base()
        shown = {key: value for key, value in document.items() if not key.startswith("_")}
        shown[api.D_PREVIEW_URL] = f"{base}{api.PREVIEW_PAGE}/{document['_previewToken']}"
        shown[api.D_PARTIES] = [
            {
                api.P_NAME: signatory.get(api.S_NAME),
                api.P_EMAIL: signatory.get(api.S_EMAIL),
                api.P_SIGNING_URL: f"{base}{api.SIGNING_PAGE}/{document['_tokens'][index]}",
                api.P_STATUS: document["_partyStatus"][index],
            }
            for index, signatory in enumerate(document.get(api.D_SIGNATORIES) or [])
        ]
        shown.setdefault(api.D_SIGNED_DATE, None)
        return shown


def _shown_hook(hook: dict[str, Any]) -> dict[str, Any]:
    """A webhook as the API lists it: never its key."""
    return {key: value for key, value in hook.items() if key != api.WH_KEY}


def _product(name: str, quantity: int, unit_price: Decimal, discount: Decimal) -> dict[str, Any]:
    return {
        api.PR_NAME: name,
        api.PR_QUANTITY: quantity,
        api.PR_UNIT_PRICE: _decimal_text(unit_price),
        api.PR_DISCOUNT: _decimal_text(discount),
    }


def _decimal_text(value: Decimal | str) -> str:
    """A decimal as it crosses the wire: a plain string, never a float or an exponent."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    return f"{number:f}"


def _org_digits(value: Any) -> str:
    """The digits of an org number (`NO 912 345 610 MVA` -> `912345610`); "" when it is not all digits."""
    digits = _ORG_DECORATION.sub("", str(value or ""))
    return digits if digits.isascii() and digits.isdigit() else ""


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> Response:
    return JSONResponse({api.E_MESSAGE: message, api.E_CORRELATION_ID: str(uuid.uuid4())}, status)


def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json_of(request)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return value is not None


def _custom_field(document: dict[str, Any], name: str) -> str | None:
    for field in document.get(api.D_CUSTOM_FIELDS) or []:
        if field.get(api.F_NAME) == name:
            return str(field.get(api.F_VALUE))
    return None


def _validate(body: dict[str, Any], *, creating: bool) -> str:
    """What Dealbuilder would refuse: the first problem found, or ""."""
    if creating and not str(body.get(api.D_TITLE) or "").strip():
        return f"{api.D_TITLE} is required"
    for key in (api.D_VALID_UNTIL, api.D_START_DATE):
        if key in body and not _is_date(body[key]):
            return f"{key} must be an ISO date (YYYY-MM-DD)"
    if creating and api.D_VALID_UNTIL not in body:
        return f"{api.D_VALID_UNTIL} is required"
    if creating or api.D_SIGNATORIES in body:
        signatories = body.get(api.D_SIGNATORIES)
        if not isinstance(signatories, list) or not signatories:
            return f"{api.D_SIGNATORIES} must list at least one signatory"
        for signatory in signatories:
            if (
                not isinstance(signatory, dict)
                or not signatory.get(api.S_NAME)
                or "@" not in str(signatory.get(api.S_EMAIL, ""))
            ):
                return f"each of {api.D_SIGNATORIES} needs {api.S_NAME} and a valid {api.S_EMAIL}"
    for product in body.get(api.D_PRODUCTS) or []:
        if not isinstance(product, dict) or not product.get(api.PR_NAME):
            return f"each of {api.D_PRODUCTS} needs a {api.PR_NAME}"
        if not isinstance(product.get(api.PR_QUANTITY), int) or product[api.PR_QUANTITY] < 0:
            return f"{api.PR_QUANTITY} must be a non-negative integer"
        for key in (api.PR_UNIT_PRICE, api.PR_DISCOUNT):
            value = product.get(key, "0")
            # Prices cross the wire as decimal strings, never floats.
            if not isinstance(value, str):
                return f"{key} must be a decimal string"
            try:
                Decimal(value)
            except InvalidOperation:
                return f"{key} must be a decimal string"
    for field in body.get(api.D_CUSTOM_FIELDS) or []:
        if not isinstance(field, dict) or not field.get(api.F_NAME):
            return f"each of {api.D_CUSTOM_FIELDS} needs a {api.F_NAME}"
    return ""
