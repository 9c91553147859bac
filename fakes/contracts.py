"""FakeContracts: the ContractService port in memory, behaving as DealbuilderContracts does on the Dealbuilder
sandbox (tests/contracts): the same statuses and transitions, the same refusals, one draft per case key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from adapters.errors import ConfigurationError, NotFoundError, ValidationRejected
from config.settings import DealbuilderSettings, RoutineSettings
from models.agreement import Agreement, ContractLine
from models.contract import Contract, ContractDraft, ContractPreview, ContractState, Signer
from models.field_history import ReadBack, Verdict, WriteOutcome, check_write

SYSTEM = "dealbuilder"
FIRST_NEW_ID = 2001  # new documents are DB-2001 and on, as in the sandbox

# Dealbuilder's raw statuses (adapters/dealbuilder_api.py) and the actions allowed from them (the sandbox's
# sandbox/dealbuilder/documents.py): action -> (states it may start from, state it ends in).
RAW_STATUS = {
    ContractState.DRAFT: "Draft",
    ContractState.SENT: "Sent",
    ContractState.VIEWED: "Viewed",
    ContractState.SIGNED: "Signed",
    ContractState.DECLINED: "Declined",
    ContractState.EXPIRED: "Expired",
    ContractState.CANCELED: "Revoked",
}
_S = ContractState
TRANSITIONS: dict[str, tuple[frozenset[ContractState], ContractState]] = {
    "send": (frozenset({_S.DRAFT}), _S.SENT),
    "resend": (frozenset({_S.SENT, _S.VIEWED, _S.EXPIRED, _S.DECLINED}), _S.SENT),
    "view": (frozenset({_S.SENT}), _S.VIEWED),
    "sign": (frozenset({_S.SENT, _S.VIEWED}), _S.SIGNED),
    "decline": (frozenset({_S.SENT, _S.VIEWED}), _S.DECLINED),
    "revoke": (frozenset({_S.DRAFT, _S.SENT, _S.VIEWED, _S.EXPIRED, _S.DECLINED}), _S.CANCELED),
    "expire": (frozenset({_S.SENT, _S.VIEWED}), _S.EXPIRED),
}
# The field names a draft update writes, as DealbuilderContracts names them in its WriteOutcome.
QUANTITY, UNIT_PRICE, DISCOUNT, VALID_UNTIL, START_DATE = (
    "quantity",
    "unitPrice",
    "discountPercent",
    "validUntil",
    "startDate",
)


@dataclass
class Delivery:
    """A signing request that went out (by e-mail; the sandbox records the SMS beside it)."""

    contract_id: str
    kind: str  # "send" or "resend"
    to: str
    signing_deadline: date | None


@dataclass
class _Document:
    id: str
    template: str
    title: str
    state: ContractState
    lines: list[ContractLine]
    agreement: Agreement  # the customer and the terms it carries
    signer: Signer | None
    sender: str
    booker: str
    signing_deadline: date | None
    start_date: date | None
    case_key: str = ""
    signed_on: date | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class FakeContracts:
    """The ContractService port in memory. Seed it with add_agreement; play the customer with sign, decline and
    view, and time with set_today (a sent contract past its deadline expires); read what went out in deliveries."""

    def __init__(
        self,
        *,
        routine: RoutineSettings | None = None,
        settings: DealbuilderSettings | None = None,
        today: date | None = None,
        templates: tuple[str, ...] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.routine = routine or RoutineSettings()
        self.settings = settings or DealbuilderSettings()
        self.today = today or date.today()
        self.templates = {self.routine.contract_template, *templates}
        self.deliveries: list[Delivery] = []
        self.calls = 0
        self._now = now
        self._ids = count(FIRST_NEW_ID)
        self._documents: dict[str, _Document] = {}

    # --- seeding and the other parties (tests) ------------------------------------------------------------------
    def add_agreement(self, agreement: Agreement) -> Agreement:
        """A signed agreement of the customer. Without the routine's licence line in its `lines` it is a signed
        document of another product, which signed_agreements leaves out (its `licences` is then not read)."""
        self._documents[agreement.contract_id] = _Document(
            id=agreement.contract_id,
            template=agreement.template,
            title=f"{agreement.template} – {agreement.customer_name}",
            state=ContractState.SIGNED,
            lines=list(agreement.lines),
            agreement=agreement,
            signer=None,
            sender=agreement.sender,
            booker=agreement.booker,
            signing_deadline=None,
            start_date=agreement.start_date,
            signed_on=agreement.signed_on,
        )
        return agreement

    def sign(self, contract_id: str) -> Contract:
        """The signer signs (on the fake's `today`)."""
        return self._act(contract_id, "sign")

    def decline(self, contract_id: str) -> Contract:
        """The signer declines."""
        return self._act(contract_id, "decline")

    def view(self, contract_id: str) -> Contract:
        """The signer opens the contract."""
        return self._act(contract_id, "view")

    def someone_edits(self, contract_id: str, *, licences: int) -> None:
        """A person changes the licence line's quantity in the provider's own screens."""
        document = self._document(contract_id)
        line = self._required_licence_line(document)
        document.lines[document.lines.index(line)] = line.model_copy(update={"quantity": licences})
        document.updated_at = self._now()

    def set_today(self, today: date) -> None:
        """Move the provider's day: a sent contract whose deadline has passed expires."""
        self.today = today
        self._expire_due()

    # --- the ContractService port ------------------------------------------------------------------------------
    def signed_agreements(self, *, org_number: str) -> list[Agreement]:
        self.calls += 1
        self._expire_due()
        return [
            self._as_agreement(document)
            for document in self._documents.values()
            if _digits(document.agreement.org_number) == org_number
            and document.state == ContractState.SIGNED
            and document.signed_on is not None
            and self._licence_line(document) is not None
        ]

    def find_or_create_draft(self, *, draft: ContractDraft) -> Contract:
        self.calls += 1
        found = self._by_case_key(draft.case_key)
        if found is not None:
            return found
        if draft.template not in self.templates:
            raise ConfigurationError(SYSTEM, f"template {draft.template!r} does not exist", object_type="template")
        document_id = f"DB-{next(self._ids)}"
        self._documents[document_id] = _Document(
            id=document_id,
            template=draft.template,
            title=draft.title,
            state=ContractState.DRAFT,
            lines=list(draft.lines),
            agreement=draft.agreement,
            signer=draft.signer,
            sender=draft.sender,
            booker=draft.booker,
            signing_deadline=draft.signing_deadline,
            start_date=draft.start_date,
            case_key=draft.case_key,
            updated_at=self._now(),
        )
        return self._contract(self._documents[document_id])

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
        self.calls += 1
        document = self._document(contract_id)
        self._required_licence_line(document)
        wanted = {
            QUANTITY: str(licences),
            UNIT_PRICE: f"{price_per_licence:f}",
            DISCOUNT: "0",
            VALID_UNTIL: signing_deadline.isoformat(),
        }
        if start_date is not None:
            wanted[START_DATE] = start_date.isoformat()
        if since is not None:
            # Dealbuilder keeps no field history: a draft changed since the write began is someone else's.
            read = ReadBack(values=self._draft_fields(document), modified_at=document.updated_at)
            skew = timedelta(seconds=self.settings.clock_skew_seconds)
            check = check_write(wanted, read, since=since, clock_skew=skew)
            if check.verdict is Verdict.LANDED:
                return WriteOutcome(ours=wanted)
            if check.verdict is not Verdict.NOT_LANDED:
                return WriteOutcome(kept=check.theirs, ours=wanted, at=check.at)
        if document.state != ContractState.DRAFT:
            raise ValidationRejected(
                SYSTEM,
                f"PUT /v1/documents/{contract_id}: only a draft can be changed; status is {RAW_STATUS[document.state]}",
                object_type="document",
                status=409,
            )
        line = self._required_licence_line(document)
        index = document.lines.index(line)
        document.lines[index] = line.model_copy(
            update={"quantity": licences, "unit_price": price_per_licence, "discount_percent": Decimal("0")}
        )
        document.signing_deadline = signing_deadline
        if start_date is not None:
            document.start_date = start_date
        document.updated_at = self._now()
        return WriteOutcome(ours=wanted)

    def preview(self, *, contract_id: str) -> ContractPreview:
        self.calls += 1
        document = self._document(contract_id)
        return ContractPreview(
            contract_id=contract_id,
            url=_preview_url(contract_id),
            lines=tuple(document.lines),
            signer=document.signer,
            start_date=document.start_date,
            signing_deadline=document.signing_deadline,
            sender=document.sender,
            booker=document.booker,
        )

    def send(self, *, contract_id: str, signing_deadline: date) -> Contract:
        self.calls += 1
        document = self._document(contract_id)
        if document.state != ContractState.DRAFT:
            return self._contract(document)  # sent already: never twice
        self._dispatch(document, "send", signing_deadline)
        return self._contract(document)

    def read_status(self, *, contract_id: str) -> Contract:
        self.calls += 1
        return self._contract(self._document(contract_id))

    def read_statuses(self, *, contract_ids: list[str]) -> dict[str, Contract]:
        self.calls += 1
        self._expire_due()
        return {
            contract_id: self._contract(self._documents[contract_id])
            for contract_id in dict.fromkeys(contract_ids)
            if contract_id in self._documents
        }

    def cancel(self, *, contract_id: str) -> Contract:
        self.calls += 1
        document = self._document(contract_id)
        if document.state != ContractState.CANCELED:
            self._move(document, "revoke")
        return self._contract(document)

    def extend_and_resend(self, *, contract_id: str, signing_deadline: date) -> Contract:
        self.calls += 1
        document = self._document(contract_id)
        if document.state == ContractState.DRAFT:
            self._dispatch(document, "send", signing_deadline)
        elif not (
            document.state in {ContractState.SENT, ContractState.VIEWED}
            and document.signing_deadline == signing_deadline
        ):
            self._dispatch(document, "resend", signing_deadline)
        return self._contract(document)

    # --- inside ---------------------------------------------------------------------------------------------------
    def _document(self, contract_id: str) -> _Document:
        self._expire_due()
        document = self._documents.get(contract_id)
        if document is None:
            raise NotFoundError(
                SYSTEM, f"GET /v1/documents/{contract_id}: document {contract_id} not found", status=404
            )
        return document

    def _act(self, contract_id: str, action: str) -> Contract:
        document = self._document(contract_id)
        self._move(document, action)
        if action == "sign":
            document.signed_on = self.today
        return self._contract(document)

    def _move(self, document: _Document, action: str) -> None:
        sources, target = TRANSITIONS[action]
        if document.state not in sources:
            raise ValidationRejected(
                SYSTEM,
                f"cannot {action} a document in status {RAW_STATUS[document.state]}",
                object_type="document",
                status=409,
            )
        document.state = target
        document.updated_at = self._now()

    def _dispatch(self, document: _Document, action: str, signing_deadline: date) -> None:
        """Send or send again, refused as the sandbox refuses it: a deadline already past, a status that may not."""
        if signing_deadline < self.today:
            raise ValidationRejected(
                SYSTEM,
                f"validUntil {signing_deadline.isoformat()} has already passed",
                object_type="document",
                status=400,
            )
        self._move(document, action)
        document.signing_deadline = signing_deadline
        if document.signer is not None:
            self.deliveries.append(Delivery(document.id, action, document.signer.email, signing_deadline))

    def _expire_due(self) -> None:
        for document in self._documents.values():
            due = document.signing_deadline is not None and self.today > document.signing_deadline
            if due and document.state in TRANSITIONS["expire"][0]:
                self._move(document, "expire")

    def _by_case_key(self, case_key: str) -> Contract | None:
        """As DealbuilderContracts: the oldest live one, or the oldest one out to the customer; a canceled one
        only when no live one exists."""
        self._expire_due()
        found = [document for document in self._documents.values() if document.case_key == case_key]
        if not found:
            return None
        live = [document for document in found if document.state != ContractState.CANCELED]
        if not live:
            return self._contract(found[0])
        kept = next((document for document in live if document.state != ContractState.DRAFT), live[0])
        for twin in live:
            if twin is not kept and twin.state == ContractState.DRAFT:
                self._move(twin, "revoke")
        return self._contract(kept)

    def _licence_line(self, document: _Document) -> ContractLine | None:
        return next((line for line in document.lines if line.name == self.routine.licence_line), None)

    def _required_licence_line(self, document: _Document) -> ContractLine:
        line = self._licence_line(document)
        if line is None:
            raise ValidationRejected(
                SYSTEM,
                f"document {document.id} has no product line named {self.routine.licence_line!r}",
                object_type="document",
                field="products",
            )
        return line

    def _draft_fields(self, document: _Document) -> dict[str, str | None]:
        line = self._licence_line(document)
        fields: dict[str, str | None] = {
            QUANTITY: str(line.quantity) if line else "",
            UNIT_PRICE: f"{line.unit_price:f}" if line else "",
            DISCOUNT: f"{line.discount_percent:f}" if line else "0",
            VALID_UNTIL: document.signing_deadline.isoformat() if document.signing_deadline else "",
        }
        if document.start_date is not None:
            fields[START_DATE] = document.start_date.isoformat()
        return fields

    def _contract(self, document: _Document) -> Contract:
        line = self._licence_line(document)
        return Contract(
            id=document.id,
            case_key=document.case_key,
            state=document.state,
            raw_status=RAW_STATUS[document.state],
            signing_deadline=document.signing_deadline,
            signed_on=document.signed_on,
            start_date=document.start_date,
            preview_url=_preview_url(document.id),
            signing_urls=(f"fake://dealbuilder/sign/{document.id}",) if document.signer else (),
            licences=line.quantity if line else None,
            price_per_licence=line.unit_price if line else None,
            updated_at=document.updated_at,
        )

    def _as_agreement(self, document: _Document) -> Agreement:
        line = self._required_licence_line(document)
        assert document.signed_on is not None  # only signed documents are agreements
        basis = document.agreement
        return basis.model_copy(
            update={
                "contract_id": document.id,
                "licences": line.quantity,
                "price_per_licence": line.unit_price,
                "licence_discount_percent": line.discount_percent,
                "signed_on": document.signed_on,
                "start_date": document.start_date,
                "template": document.template,
                "sender": document.sender,
                "booker": document.booker,
                "lines": tuple(document.lines),
            }
        )


def _preview_url(contract_id: str) -> str:
    return f"fake://dealbuilder/preview/{contract_id}"


def _digits(org_number: str) -> str:
    return "".join(ch for ch in org_number if ch.isdigit())
