"""DealbuilderContracts: the ContractService port over Dealbuilder's REST API (httpx)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from adapters import dealbuilder_api as api
from adapters.checked_writes import write_checked
from adapters.errors import ConfigurationError, TransientError, Unanswered, ValidationRejected, error_for_status
from adapters.retrying import RetryPolicy
from config.settings import DealbuilderSettings, RoutineSettings
from models.agreement import Agreement
from models.contract import Contract, ContractDraft, ContractLine, ContractPreview, ContractState, Signer
from models.field_history import ReadBack, WriteOutcome

log = logging.getLogger(__name__)

SYSTEM = "dealbuilder"


class DealbuilderContracts:
    """Contracts in Dealbuilder: drafts from a template, preview, send by e-mail and SMS, status, cancel."""

    def __init__(
        self, settings: DealbuilderSettings, routine: RoutineSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self.routine = routine
        self.calls = 0
        self._retry = RetryPolicy(
            SYSTEM, settings.max_attempts, settings.backoff_seconds, settings.settle_seconds, sleep=sleep
        )
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers={api.API_KEY_HEADER: settings.api_key.get_secret_value(), "Accept": "application/json"},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        )
        self._template_ids: dict[str, str] = {}

    def close(self) -> None:
        self._client.close()

    # --- ContractService ----------------------------------------------------------------------------------------
    def signed_agreements(self, *, org_number: str) -> list[Agreement]:
        """Every signed document of this org number (9 digits) that holds the Assist licence line."""
        found: list[Agreement] = []
        for document in self._list({api.Q_ORG_NUMBER: org_number}):
            customer = document.get(api.D_CUSTOMER) or {}
            if _digits(str(customer.get(api.C_ORG_NUMBER) or "")) != org_number:
                # Never trust the filter alone: a vendor that ignored it would hand us every customer's agreements.
                continue
            if self._state(document) != ContractState.SIGNED or not document.get(api.D_SIGNED_DATE):
                continue
            if not self._licence_product(document, required=False):
                log.info("dealbuilder: signed document %s has no Assist licence line; skipped", document.get(api.D_ID))
                continue
            found.append(self._agreement(document))
        return found

    def _agreement(self, document: dict[str, Any]) -> Agreement:
        licence = self._licence_product(document)
        customer = document.get(api.D_CUSTOMER) or {}
        return Agreement(
            contract_id=str(document[api.D_ID]),
            licences=int(licence[api.PR_QUANTITY]),
            price_per_licence=Decimal(str(licence[api.PR_UNIT_PRICE])),
            licence_discount_percent=Decimal(str(licence.get(api.PR_DISCOUNT) or "0")),
            signed_on=_local_day(document[api.D_SIGNED_DATE], self.routine.timezone),
            start_date=_day(document[api.D_START_DATE]) if document.get(api.D_START_DATE) else None,
            template=str(document.get(api.D_TEMPLATE_NAME) or ""),
            sender=str(document.get(api.D_SENDER) or ""),
            booker=str(document.get(api.D_BOOKER) or ""),
            customer_name=str(customer.get(api.C_NAME) or ""),
            org_number=str(customer.get(api.C_ORG_NUMBER) or ""),
            address=str(customer.get(api.C_ADDRESS) or ""),
            postal_code=str(customer.get(api.C_POSTAL_CODE) or ""),
            city=str(customer.get(api.C_CITY) or ""),
            lines=_lines(document),
            terms={
                str(field[api.F_NAME]): str(field[api.F_VALUE])
                for field in document.get(api.D_CUSTOM_FIELDS) or []
                if field.get(api.F_NAME) not in api.OWN_CUSTOM_FIELDS
            },
        )

    def find_or_create_draft(self, *, draft: ContractDraft) -> Contract:
        """The contract carrying this case key, or a new draft from the template; never two for one case."""
        return self._write_once(
            "create draft",
            api.DOCUMENTS,
            lambda: self._draft_body(draft, template_id=self._template_id(draft.template)),
            read=lambda: self._find_by_case_key(draft.case_key),
        )

    def update_draft(
        self,
        *,
        contract_id: str,
        licences: int,
        price_per_licence: Decimal,
        signing_deadline: date,
        start_date: date | None = None,
        since: datetime | None = None,
    ) -> WriteOutcome:
        """Change the draft's licence line, deadline and start date, checked (adapters/checked_writes.py): a PUT
        whose answer was lost is read back, not sent again; Dealbuilder keeps no field history, so a draft changed
        since the write began (its `updatedAt`) is someone else's and kept."""
        document = self._read(contract_id)
        products = [dict(product) for product in document.get(api.D_PRODUCTS) or []]
        licence = self._licence_product({api.D_PRODUCTS: products, api.D_ID: contract_id})
        licence[api.PR_QUANTITY] = licences
        licence[api.PR_UNIT_PRICE] = _decimal(price_per_licence)
        # The new price is what the customer pays (DOMAIN.md): the licence line carries no discount.
        licence[api.PR_DISCOUNT] = "0"
        body = {api.D_PRODUCTS: products, api.D_VALID_UNTIL: signing_deadline.isoformat()}
        if start_date is not None:
            body[api.D_START_DATE] = start_date.isoformat()
        wanted = self._draft_fields(body)
        return write_checked(
            self._retry,
            wanted=wanted,
            write=lambda: self._once("PUT", api.document_path(contract_id), json=body),
            read_back=lambda: self._draft_read_back(contract_id, list(wanted)),
            restore=None,
            operation="draft update",
            since=since,
            clock_skew=timedelta(seconds=self.settings.clock_skew_seconds),
        )

    def _draft_fields(self, document: dict[str, Any]) -> dict[str, str]:
        """The fields a draft update writes, as text: the licence line's quantity, price and discount, the
        deadline and the start date."""
        licence = self._licence_product(document, required=False)
        fields = {
            api.PR_QUANTITY: str(licence.get(api.PR_QUANTITY, "")),
            api.PR_UNIT_PRICE: str(licence.get(api.PR_UNIT_PRICE, "")),
            api.PR_DISCOUNT: str(licence.get(api.PR_DISCOUNT) or "0"),
            api.D_VALID_UNTIL: str(document.get(api.D_VALID_UNTIL) or "")[:10],
        }
        if document.get(api.D_START_DATE):
            fields[api.D_START_DATE] = str(document[api.D_START_DATE])[:10]
        return fields

    def _draft_read_back(self, contract_id: str, names: list[str]) -> ReadBack:
        document = self._read(contract_id)
        fields = self._draft_fields(document)
        updated = document.get(api.D_UPDATED)
        return ReadBack(
            values={name: fields.get(name) for name in names},
            modified_at=datetime.fromisoformat(str(updated).replace("Z", "+00:00")) if updated else None,
        )

    def preview(self, *, contract_id: str) -> ContractPreview:
        """The draft's lines, signer, dates and parties as Dealbuilder holds them, and its preview link."""
        document = self._read(contract_id)
        signer = next(iter(document.get(api.D_SIGNATORIES) or []), None)
        return ContractPreview(
            contract_id=contract_id,
            url=str(document.get(api.D_PREVIEW_URL) or ""),
            lines=_lines(document),
            signer=Signer(
                name=str(signer.get(api.S_NAME) or ""),
                email=str(signer.get(api.S_EMAIL) or ""),
                phone=str(signer.get(api.S_PHONE) or ""),
            )
            if signer
            else None,
            start_date=_day(document[api.D_START_DATE]) if document.get(api.D_START_DATE) else None,
            signing_deadline=_day(document[api.D_VALID_UNTIL]) if document.get(api.D_VALID_UNTIL) else None,
            sender=str(document.get(api.D_SENDER) or ""),
            booker=str(document.get(api.D_BOOKER) or ""),
        )

    def send(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Send by e-mail and SMS once: a contract no longer a draft has been sent and is returned as it is."""
        return self._write_once(
            "send",
            api.send_path(contract_id),
            lambda: {api.D_SEND_METHOD: api.SEND_EMAIL_AND_SMS, api.D_VALID_UNTIL: signing_deadline.isoformat()},
            read=lambda: self.read_status(contract_id=contract_id),
            done=lambda contract: contract.state != ContractState.DRAFT,
        )

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
        return self._write_once(
            "revoke",
            api.revoke_path(contract_id),
            lambda: {},
            read=lambda: self.read_status(contract_id=contract_id),
            done=lambda contract: contract.state == ContractState.CANCELED,
        )

    def extend_and_resend(self, *, contract_id: str, signing_deadline: date) -> Contract:
        """Move the deadline and send again; a contract already waiting with this deadline is left alone."""
        current = self.read_status(contract_id=contract_id)
        if current.state == ContractState.DRAFT:
            return self.send(contract_id=contract_id, signing_deadline=signing_deadline)
        return self._write_once(
            "resend",
            api.resend_path(contract_id),
            lambda: {api.D_SEND_METHOD: api.SEND_EMAIL_AND_SMS, api.D_VALID_UNTIL: signing_deadline.isoformat()},
            read=lambda: self.read_status(contract_id=contract_id),
            done=lambda contract: (
                contract.state in {ContractState.SENT, ContractState.VIEWED}
                and contract.signing_deadline == signing_deadline
            ),
            current=current,
        )

    # --- setup (not part of the routine's port) ------------------------------------------------------------------
    def register_webhook(self, *, url: str, events: tuple[str, ...] = api.OUTCOME_EVENTS) -> str:
        """Have Dealbuilder post `events` to `url` with our webhook key in the body; returns the webhook's id.
        Registering the same URL again replaces its events and key, so a retried or repeated call is harmless."""
        body = {api.WH_URL: url, api.WH_EVENTS: list(events), api.WH_KEY: self.settings.webhook_key.get_secret_value()}
        return str(self._request("POST", api.WEBHOOKS, json=body).get(api.WH_ID) or "")

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
        start = document.get(api.D_START_DATE)
        updated = document.get(api.D_UPDATED)
        return Contract(
            id=str(document[api.D_ID]),
            case_key=_custom_field(document, api.CF_CASE_KEY) or "",
            state=self._state(document),
            raw_status=raw,
            signing_deadline=date.fromisoformat(str(deadline)[:10]) if deadline else None,
            signed_on=_local_day(signed, self.routine.timezone) if signed else None,
            start_date=_day(start) if start else None,
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

    # --- lookups ----------------------------------------------------------------------------------------------
    def _template_id(self, name: str) -> str:
        if name not in self._template_ids:
            payload = self._request("GET", api.TEMPLATES)
            self._template_ids = {str(t[api.T_NAME]): str(t[api.T_ID]) for t in payload.get(api.L_ITEMS) or []}
        if name not in self._template_ids:
            raise ConfigurationError(SYSTEM, f"template {name!r} does not exist", object_type="template")
        return self._template_ids[name]

    def _find_by_case_key(self, case_key: str) -> Contract | None:
        """The case's contract, chosen the same way whatever order Dealbuilder lists in: the oldest live one, or
        the oldest one already out to the customer. Other live drafts of the case (a create that landed after we
        gave up on it) are revoked, logged."""
        filters = {api.Q_CUSTOM_FIELD_NAME: api.CF_CASE_KEY, api.Q_CUSTOM_FIELD_VALUE: case_key}
        found = [self._contract(document) for document in sorted(self._list(filters), key=_creation_order)]
        if not found:
            return None
        # A canceled contract of this case does not count while a live one exists.
        live = [contract for contract in found if contract.state != ContractState.CANCELED]
        if not live:
            return found[0]
        kept = next((contract for contract in live if contract.state != ContractState.DRAFT), live[0])
        self._revoke_twins(case_key, kept, [contract for contract in live if contract.id != kept.id])
        return kept

    def _revoke_twins(self, case_key: str, kept: Contract, twins: list[Contract]) -> None:
        for twin in twins:
            if twin.state == ContractState.DRAFT:
                self.cancel(contract_id=twin.id)
                log.warning(
                    "dealbuilder: case %s had a second draft %s beside %s; revoked it", case_key, twin.id, kept.id
                )
            else:
                # Both went out to the customer: which one stands is a person's call, not ours.
                log.error(
                    "dealbuilder: case %s has two contracts out, %s and %s; revoke one by hand",
                    case_key,
                    kept.id,
                    twin.id,
                )

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

    # --- transport -----------------------------------------------------------------------------------------------
    def _write_once(
        self,
        operation: str,
        path: str,
        body: Callable[[], dict[str, Any]],
        *,
        read: Callable[[], Contract | None],
        done: Callable[[Contract], bool] = lambda contract: True,
        current: Contract | None = None,
    ) -> Contract:
        """POST `body()` to `path` unless the status `read()` shows it `done` already (`current`: a status just
        read). After a failed attempt that may have landed, and after a refusal as a conflict (409: an earlier
        attempt of ours got there first), the status is read again before writing again (RetryPolicy.write_once):
        one document, one sending, one revocation."""

        def happened() -> Contract | None:
            contract = read()
            return contract if contract is not None and done(contract) else None

        found = happened() if current is None else (current if done(current) else None)
        if found is not None:
            return found
        payload = body()
        return self._retry.write_once(
            lambda: self._contract(self._once("POST", path, json=payload)), happened, operation=operation
        )

    def _request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self._retry.call(lambda: self._once(method, path, json=json, params=params), operation="request")

    def _once(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        self.calls += 1
        try:
            response = self._client.request(method, path, json=json, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # No connection was made: Dealbuilder cannot have the request.
            raise TransientError(SYSTEM, f"{method} {path}: {type(error).__name__}") from error
        except httpx.TransportError as error:
            raise Unanswered(SYSTEM, f"{method} {path}: no answer ({type(error).__name__})") from error
        _raise_for(response, method, path)
        payload = response.json() if response.content else {}
        if not isinstance(payload, dict):
            raise ValidationRejected(SYSTEM, f"{method} {path}: unexpected response shape", status=response.status_code)
        return payload


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


def _creation_order(document: dict[str, Any]) -> tuple[str, int, str]:
    """Oldest first: by createdAt (ISO, so text order is time order), then by id."""
    identifier = str(document.get(api.D_ID) or "")
    return str(document.get(api.D_CREATED) or "9999"), len(identifier), identifier


def _custom_field(document: dict[str, Any], name: str) -> str | None:
    for field in document.get(api.D_CUSTOM_FIELDS) or []:
        if field.get(api.F_NAME) == name:
            return str(field.get(api.F_VALUE))
    return None


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def _local_day(value: object, timezone: str) -> date:
    """The day a timestamp fell on where the routine runs (`2026-03-31T22:30:00Z` is 1 April in Oslo); a plain
    date, or a time without a zone, is that day as it stands."""
    text = str(value).strip()
    if len(text) <= 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(timezone)).date()


def _digits(org_number: str) -> str:
    return "".join(ch for ch in org_number if ch.isdigit())


def _lines(document: dict[str, Any]) -> tuple[ContractLine, ...]:
    return tuple(
        ContractLine(
            name=str(product[api.PR_NAME]),
            quantity=int(product[api.PR_QUANTITY]),
            unit_price=Decimal(str(product[api.PR_UNIT_PRICE])),
            discount_percent=Decimal(str(product.get(api.PR_DISCOUNT) or "0")),
        )
        for product in document.get(api.D_PRODUCTS) or []
    )


def _decimal(value: Decimal) -> str:
    """A decimal string as Dealbuilder expects it (never a float)."""
    return f"{value:f}"
