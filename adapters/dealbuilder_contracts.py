"""DealbuilderContracts: the ContractService port over Dealbuilder's REST API (httpx)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from adapters import dealbuilder_api as api
from adapters.errors import (
    ConfigurationError,
    NotFoundError,
    TransientError,
    ValidationRejected,
    error_for_status,
)
from models.agreement import Agreement
from models.contract import Contract, ContractDraft, ContractPreview, ContractState
from models.messages import format_date, format_nok
from reforhandling.settings import DealbuilderSettings, RoutineSettings

log = logging.getLogger(__name__)

SYSTEM = "dealbuilder"
T = TypeVar("T")


class DealbuilderContracts:
    """Contracts in Dealbuilder: drafts from a template, preview, send by e-mail and SMS, status, cancel."""

    def __init__(self, settings: DealbuilderSettings, routine: RoutineSettings) -> None:
        self.settings = settings
        self.routine = routine
        self.calls = 0
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers={api.API_KEY_HEADER: settings.api_key.get_secret_value(), "Accept": "application/json"},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        )
        self._template_ids: dict[str, str] = {}

    def close(self) -> None:
        self._client.close()

    # --- ContractService ----------------------------------------------------------------------------------------
    def read_original_agreement(self, *, org_number: str, company_name: str) -> Agreement:
        """The customer's current agreement: its most recently signed document."""
        signed = [
            document
            for document in self._list({api.Q_ORG_NUMBER: org_number})
            if self._state(document) == ContractState.SIGNED and document.get(api.D_SIGNED_DATE)
        ]
        if not signed:
            raise NotFoundError(
                SYSTEM, f"no signed agreement for {company_name} (org {org_number})", object_type="document"
            )
        document = max(signed, key=lambda d: (str(d[api.D_SIGNED_DATE]), str(d.get(api.D_UPDATED) or "")))
        licence = self._licence_product(document)
        customer = document.get(api.D_CUSTOMER) or {}
        return Agreement(
            contract_id=str(document[api.D_ID]),
            licences=int(licence[api.PR_QUANTITY]),
            price_per_licence=Decimal(str(licence[api.PR_UNIT_PRICE])),
            signed_on=date.fromisoformat(str(document[api.D_SIGNED_DATE])[:10]),
            start_date=date.fromisoformat(str(document[api.D_START_DATE])[:10])
            if document.get(api.D_START_DATE)
            else None,
            customer_name=str(customer.get(api.C_NAME) or company_name),
            org_number=str(customer.get(api.C_ORG_NUMBER) or org_number),
            address=str(customer.get(api.C_ADDRESS) or ""),
            postal_code=str(customer.get(api.C_POSTAL_CODE) or ""),
            city=str(customer.get(api.C_CITY) or ""),
            terms={
                str(field[api.F_NAME]): str(field[api.F_VALUE])
                for field in document.get(api.D_CUSTOM_FIELDS) or []
                if field.get(api.F_NAME) not in api.OWN_CUSTOM_FIELDS
            },
        )

    def find_or_create_draft(self, *, draft: ContractDraft) -> Contract:
        """The contract carrying this case key, or a new draft from the template; never two for one case."""
        existing = self._find_by_case_key(draft.case_key)
        if existing is not None:
            return existing
        body = self._draft_body(draft, template_id=self._template_id(draft.template))

        def recover() -> Contract | None:
            # A create that timed out may still have happened: look again before creating a second one.
            return self._find_by_case_key(draft.case_key)

        document = self._attempt("POST", api.DOCUMENTS, json=body, recover=recover)
        return document if isinstance(document, Contract) else self._contract(document)

    def update_draft(
        self,
        *,
        contract_id: str,
        licences: int,
        price_per_licence: Decimal,
        signing_deadline: date,
        start_date: date | None = None,
    ) -> Contract:
        document = self._read(contract_id)
        products = [dict(product) for product in document.get(api.D_PRODUCTS) or []]
        licence = self._licence_product({api.D_PRODUCTS: products, api.D_ID: contract_id})
        licence[api.PR_QUANTITY] = licences
        licence[api.PR_UNIT_PRICE] = _decimal(price_per_licence)
        body = {api.D_PRODUCTS: products, api.D_VALID_UNTIL: signing_deadline.isoformat()}
        if start_date is not None:
            body[api.D_START_DATE] = start_date.isoformat()
        return self._contract(self._request("PUT", api.document_path(contract_id), json=body))

    def preview(self, *, contract_id: str) -> ContractPreview:
        document = self._read(contract_id)
        url = str(document.get(api.D_PREVIEW_URL) or "")
        html = self._request_text(url) if url else ""
        return ContractPreview(contract_id=contract_id, url=url, html=html, summary=self._summary(document))

    def send(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Send by e-mail and SMS once: before every attempt the status is read, and a sent contract is returned."""
        current = self.read_status(contract_id=contract_id)
        if current.state != ContractState.DRAFT:
            return current
        body = {api.D_SEND_METHOD: api.SEND_EMAIL_AND_SMS, api.D_VALID_UNTIL: signing_deadline.isoformat()}

        def recover() -> Contract | None:
            again = self.read_status(contract_id=contract_id)
            return None if again.state == ContractState.DRAFT else again

        result = self._attempt("POST", api.send_path(contract_id), json=body, recover=recover)
        return result if isinstance(result, Contract) else self._contract(result)

    def read_status(self, *, contract_id: str) -> Contract:
        return self._contract(self._read(contract_id))

    def read_statuses(self, *, contract_ids: list[str]) -> dict[str, Contract]:
        """Many statuses, up to 100 per request."""
        found: dict[str, Contract] = {}
        unique = list(dict.fromkeys(contract_ids))
        for start in range(0, len(unique), api.MAX_PAGE_SIZE):
            chunk = unique[start : start + api.MAX_PAGE_SIZE]
            payload = self._request(
                "GET",
                api.DOCUMENTS,
                params={api.Q_IDS: ",".join(chunk), api.Q_PAGE_SIZE: str(api.MAX_PAGE_SIZE)},
            )
            for document in payload.get(api.L_ITEMS) or []:
                contract = self._contract(document)
                found[contract.id] = contract
        missing = [contract_id for contract_id in unique if contract_id not in found]
        if missing:
            log.warning("dealbuilder: %d contract(s) not found in a batch read: %s", len(missing), ", ".join(missing))
        return found

    def cancel(self, *, contract_id: str) -> Contract:
        current = self.read_status(contract_id=contract_id)
        if current.state == ContractState.CANCELED:
            return current

        def recover() -> Contract | None:
            again = self.read_status(contract_id=contract_id)
            return again if again.state == ContractState.CANCELED else None

        result = self._attempt("POST", api.revoke_path(contract_id), json={}, recover=recover)
        return result if isinstance(result, Contract) else self._contract(result)

    def extend_and_resend(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Move the deadline and send again; a contract already waiting with this deadline is left alone."""
        current = self.read_status(contract_id=contract_id)
        if current.state == ContractState.DRAFT:
            return self.send(contract_id=contract_id, signing_deadline=signing_deadline)

        def done(contract: Contract) -> bool:
            return (
                contract.state in {ContractState.SENT, ContractState.VIEWED}
                and contract.signing_deadline == signing_deadline
            )

        if done(current):
            return current
        body = {api.D_SEND_METHOD: api.SEND_EMAIL_AND_SMS, api.D_VALID_UNTIL: signing_deadline.isoformat()}

        def recover() -> Contract | None:
            again = self.read_status(contract_id=contract_id)
            return again if done(again) else None

        result = self._attempt("POST", api.resend_path(contract_id), json=body, recover=recover)
        return result if isinstance(result, Contract) else self._contract(result)

    # --- translation ------------------------------------------------------------------------------------------
    def _draft_body(self, draft: ContractDraft, *, template_id: str) -> dict[str, Any]:
        agreement = draft.agreement
        terms = [{api.F_NAME: name, api.F_VALUE: value} for name, value in agreement.terms.items()]
        own = [
            {api.F_NAME: api.CF_CASE_KEY, api.F_VALUE: draft.case_key},
            {api.F_NAME: api.CF_ORIGINAL_DOCUMENT, api.F_VALUE: agreement.contract_id},
        ]
        if draft.deal_id:
            own.append({api.F_NAME: api.CF_DEAL_ID, api.F_VALUE: draft.deal_id})
        return {
            api.D_TEMPLATE_ID: template_id,
            api.D_TITLE: draft.title,
            api.D_VALID_UNTIL: draft.signing_deadline.isoformat(),
            api.D_START_DATE: draft.start_date.isoformat(),
            api.D_SENDER: draft.sender,
            api.D_BOOKER: draft.booker,
            api.D_SIGNATORIES: [
                {
                    api.S_NAME: draft.signer.name,
                    api.S_EMAIL: draft.signer.email,
                    api.S_PHONE: draft.signer.phone,
                    api.S_COMPANY: agreement.customer_name,
                    api.S_ORG_NUMBER: agreement.org_number,
                }
            ],
            api.D_CUSTOMER: {
                api.C_NAME: agreement.customer_name,
                api.C_ORG_NUMBER: agreement.org_number,
                api.C_ADDRESS: agreement.address,
                api.C_POSTAL_CODE: agreement.postal_code,
                api.C_CITY: agreement.city,
            },
            api.D_PRODUCTS: [
                {
                    api.PR_NAME: line.name,
                    api.PR_QUANTITY: line.quantity,
                    api.PR_UNIT_PRICE: _decimal(line.unit_price),
                    api.PR_DISCOUNT: _decimal(line.discount_percent),
                }
                for line in draft.lines
            ],
            api.D_CUSTOM_FIELDS: own + terms,
        }

    def _contract(self, document: dict[str, Any]) -> Contract:
        raw = str(document.get(api.D_STATUS) or "")
        licence = self._licence_product(document, required=False)
        deadline = document.get(api.D_VALID_UNTIL)
        signed = document.get(api.D_SIGNED_DATE)
        updated = document.get(api.D_UPDATED)
        return Contract(
            id=str(document[api.D_ID]),
            case_key=_custom_field(document, api.CF_CASE_KEY) or "",
            state=self._state(document),
            raw_status=raw,
            signing_deadline=date.fromisoformat(str(deadline)[:10]) if deadline else None,
            signed_on=date.fromisoformat(str(signed)[:10]) if signed else None,
            preview_url=str(document.get(api.D_PREVIEW_URL) or ""),
            signing_urls=tuple(
                str(party[api.P_SIGNING_URL])
                for party in document.get(api.D_PARTIES) or []
                if party.get(api.P_SIGNING_URL)
            ),
            licences=int(licence[api.PR_QUANTITY]) if licence else None,
            price_per_licence=Decimal(str(licence[api.PR_UNIT_PRICE])) if licence else None,
            updated_at=datetime.fromisoformat(str(updated).replace("Z", "+00:00")) if updated else None,
        )

    def _state(self, document: dict[str, Any]) -> ContractState:
        raw = str(document.get(api.D_STATUS) or "")
        mapped = self.settings.status_map.get(raw)
        if mapped is None:
            # Only SIGNED moves a case on; anything unknown keeps the case waiting and is visible in the log.
            log.warning(
                "dealbuilder: unknown status %r on document %s, treated as waiting", raw, document.get(api.D_ID)
            )
            return ContractState.SENT
        return ContractState(mapped)

    def _licence_product(self, document: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
        products = document.get(api.D_PRODUCTS) or []
        for product in products:
            if product.get(api.PR_NAME) == self.routine.licence_line:
                return product  # type: ignore[no-any-return]
        if required:
            raise ValidationRejected(
                SYSTEM,
                f"document {document.get(api.D_ID)} has no product line named {self.routine.licence_line!r}",
                object_type="document",
                field=api.D_PRODUCTS,
            )
        return {}

    def _summary(self, document: dict[str, Any]) -> str:
        customer = document.get(api.D_CUSTOMER) or {}
        lines = [
            f"Kontrakt: {document.get(api.D_TITLE, '')} ({document.get(api.D_TEMPLATE_NAME, '')})",
            f"Kunde: {customer.get(api.C_NAME, '')}, org.nr. {customer.get(api.C_ORG_NUMBER, '')}, "
            f"{customer.get(api.C_ADDRESS, '')}, {customer.get(api.C_POSTAL_CODE, '')} {customer.get(api.C_CITY, '')}",
        ]
        for signatory in document.get(api.D_SIGNATORIES) or []:
            lines.append(
                f"Signatar: {signatory.get(api.S_NAME, '')} <{signatory.get(api.S_EMAIL, '')}> "
                f"{signatory.get(api.S_PHONE, '')}".rstrip()
            )
        for product in document.get(api.D_PRODUCTS) or []:
            discount = Decimal(str(product.get(api.PR_DISCOUNT, "0")))
            price = format_nok(Decimal(str(product[api.PR_UNIT_PRICE])))
            line = f"- {product[api.PR_NAME]}: {product[api.PR_QUANTITY]} × {price}"
            if discount:
                line += f", rabatt {discount.normalize():f} %"
            lines.append(line)
        for key, label in ((api.D_START_DATE, "Oppstart"), (api.D_VALID_UNTIL, "Signeringsfrist")):
            if document.get(key):
                lines.append(f"{label}: {format_date(date.fromisoformat(str(document[key])[:10]))}")
        lines.append(f"Avsender: {document.get(api.D_SENDER, '')}; booker: {document.get(api.D_BOOKER, '')}")
        return "\n".join(lines)

    # --- lookups ----------------------------------------------------------------------------------------------
    def _template_id(self, name: str) -> str:
        if name not in self._template_ids:
            payload = self._request("GET", api.TEMPLATES)
            self._template_ids = {str(t[api.T_NAME]): str(t[api.T_ID]) for t in payload.get(api.L_ITEMS) or []}
        if name not in self._template_ids:
            raise ConfigurationError(SYSTEM, f"template {name!r} does not exist", object_type="template")
        return self._template_ids[name]

    def _find_by_case_key(self, case_key: str) -> Contract | None:
        found = [
            self._contract(document)
            for document in self._list({api.Q_CUSTOM_FIELD_NAME: api.CF_CASE_KEY, api.Q_CUSTOM_FIELD_VALUE: case_key})
        ]
        if not found:
            return None
        # A canceled contract of this case does not count while a live one exists.
        live = [contract for contract in found if contract.state != ContractState.CANCELED]
        return (live or found)[-1]

    def _list(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            params = filters | {api.Q_PAGE: str(page), api.Q_PAGE_SIZE: str(api.MAX_PAGE_SIZE)}
            payload = self._request("GET", api.DOCUMENTS, params=params)
            batch = list(payload.get(api.L_ITEMS) or [])
            items += batch
            total = int(payload.get(api.L_TOTAL) or 0)
            if not batch or len(items) >= total:
                return items
            page += 1

    def _read(self, contract_id: str) -> dict[str, Any]:
        return self._request("GET", api.document_path(contract_id))

    # --- transport ----------------------------------------------------------------------------------------------
    def _request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        result = self._attempt(method, path, json=json, params=params)
        assert isinstance(result, dict)
        return result

    def _attempt(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        recover: Callable[[], Contract | None] | None = None,
    ) -> dict[str, Any] | Contract:
        """One request with retries; before retrying a write, `recover` checks whether it already happened."""
        last: TransientError | None = None
        for attempt in range(max(1, self.settings.max_attempts)):
            if attempt:
                time.sleep(self.settings.backoff_seconds * 2 ** (attempt - 1))
                if recover is not None:
                    recovered = recover()
                    if recovered is not None:
                        return recovered
            try:
                return self._once(method, path, json=json, params=params)
            except TransientError as error:
                log.info("dealbuilder: %s %s failed (attempt %d): %s", method, path, attempt + 1, error.message)
                last = error
        assert last is not None
        raise last

    def _once(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        self.calls += 1
        try:
            response = self._client.request(method, path, json=json, params=params)
        except httpx.TransportError as error:
            raise TransientError(SYSTEM, f"{method} {path}: {type(error).__name__}") from error
        _raise_for(response, method, path)
        payload = response.json() if response.content else {}
        if not isinstance(payload, dict):
            raise ValidationRejected(SYSTEM, f"{method} {path}: unexpected response shape", status=response.status_code)
        return payload

    def _request_text(self, url: str) -> str:
        def fetch() -> str:
            self.calls += 1
            request = self._client.build_request("GET", url)
            if request.url.netloc != self._client.base_url.netloc:
                # The API key is for the API's own host only.
                del request.headers[api.API_KEY_HEADER]
            try:
                response = self._client.send(request)
            except httpx.TransportError as error:
                raise TransientError(SYSTEM, f"GET preview: {type(error).__name__}") from error
            _raise_for(response, "GET", "preview")
            return response.text

        return _retry(fetch, attempts=self.settings.max_attempts, backoff=self.settings.backoff_seconds)


def _retry(operation: Callable[[], T], *, attempts: int, backoff: float) -> T:
    for attempt in range(max(1, attempts)):
        try:
            return operation()
        except TransientError:
            if attempt + 1 >= attempts:
                raise
            time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


def _raise_for(response: httpx.Response, method: str, path: str) -> None:
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = (
        str(body.get(api.E_MESSAGE) or response.reason_phrase) if isinstance(body, dict) else response.reason_phrase
    )
    correlation = str(body.get(api.E_CORRELATION_ID) or "") if isinstance(body, dict) else ""
    text = f"{method} {path}: {message}"
    raise error_for_status(status)(SYSTEM, text, object_type="document", status=status, correlation_id=correlation)


def _custom_field(document: dict[str, Any], name: str) -> str | None:
    for field in document.get(api.D_CUSTOM_FIELDS) or []:
        if field.get(api.F_NAME) == name:
            return str(field.get(api.F_VALUE))
    return None


def _decimal(value: Decimal) -> str:
    """A decimal string as Dealbuilder expects it (never a float)."""
    return f"{value:f}"
