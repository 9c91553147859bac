"""HubSpotCrm: the Crm port on HubSpot's CRM API through the official SDK (hubspot-api-client 12)."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from hubspot.crm.companies import SimplePublicObjectInput as CompanyUpdate
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import BatchReadInputSimplePublicObjectId as DealBatchRead
from hubspot.crm.deals import SimplePublicObjectId as DealId
from hubspot.crm.deals import SimplePublicObjectInput as DealUpdate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.objects.notes import BatchReadInputSimplePublicObjectId as NoteBatchRead
from hubspot.crm.objects.notes import SimplePublicObjectId as NoteId
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteCreate
from hubspot.crm.tickets import SimplePublicObjectInput as TicketUpdate

from adapters.checked_writes import write_checked
from adapters.errors import NotFoundError
from adapters.hubspot_labels import portal_labels
from adapters.hubspot_records import TICKET_ASSOCIATIONS, TICKET_PROPERTIES, associated_ids, ticket_from_record
from adapters.hubspot_transport import SYSTEM, HubSpotTransport, sdk_crm
from adapters.ports import PortalCache, RateBudget
from adapters.rate_budget import Unlimited
from config.settings import HubSpotSettings, RoutineSettings
from models.crm import Company, Contact, Deal, DealDraft, Ticket
from models.field_history import FieldChange, ReadBack, WriteOutcome
from models.links import DEAL, hubspot_record_url
from models.text import one_line
from models.ticket_status import StatusUpdate

logger = logging.getLogger(__name__)

# HUBSPOT_DEFINED association type ids (hubspot.crm.association_type.AssociationType).
DEAL_TO_CONTACT = 3
DEAL_TO_COMPANY = 341
DEAL_TO_TICKET = 27
CONTACT_TO_COMPANY = 279
NOTE_TO_TICKET = 228
BATCH_READ_LIMIT = 100

R = TypeVar("R")


def _association(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _creation_order(record: Any) -> tuple[datetime, int, str]:
    """Oldest first: by HubSpot's createdAt, then by id (numeric ids grow with time)."""
    created = record.created_at or datetime.max.replace(tzinfo=UTC)
    identifier = str(record.id)
    return created, int(identifier) if identifier.isdigit() else 0, identifier


def _whole(value: object) -> int | None:
    """An amount as a whole number; HubSpot returns numbers as text ("30", "30.0")."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


class HubSpotCrm:
    """The Crm port on HubSpot: SDK payloads translated to our models at this edge."""

    def __init__(
        self,
        settings: HubSpotSettings,
        routine: RoutineSettings,
        *,
        cache: PortalCache | None = None,
        budget: RateBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._routine = routine
        self._transport = HubSpotTransport(settings, budget=budget or Unlimited(), sleep=sleep)
        crm = sdk_crm(settings)  # each *_api access below builds a connection pool: build them once, here
        self._tickets = crm.tickets.basic_api
        self._companies = crm.companies.basic_api
        self._contacts = crm.contacts.basic_api
        self._deals = crm.deals.basic_api
        self._deals_batch = crm.deals.batch_api
        self._notes = crm.objects.notes.basic_api
        self._notes_batch = crm.objects.notes.batch_api
        self._associations = crm.associations.v4.basic_api
        self._labels = portal_labels(crm, self._transport, settings, cache)

    @property
    def calls(self) -> int:
        """HTTP requests made so far, retries included."""
        return self._transport.calls

    # --- phase 1: enrich the ticket ---------------------------------------------------------------------
    def read_ticket(self, *, ticket_id: str) -> Ticket:
        with self._operation("read_ticket"):
            record = self._call(
                self._tickets.get_by_id,
                ticket_id,
                object_type="ticket",
                properties=list(TICKET_PROPERTIES),
                associations=list(TICKET_ASSOCIATIONS),
            )
            return ticket_from_record(record, self._labels, self._settings)

    def read_company(self, *, company_id: str) -> Company:
        with self._operation("read_company"):
            org_number = self._routine.org_number_property
            record = self._call(
                self._companies.get_by_id,
                company_id,
                object_type="company",
                properties=["name", org_number, "address", "zip", "city"],
            )
            values = record.properties or {}
            return Company(
                id=str(record.id),
                name=one_line(values.get("name")),
                org_number=one_line(values.get(org_number)),
                address=one_line(values.get("address")),
                postal_code=one_line(values.get("zip")),
                city=one_line(values.get("city")),
            )

    def find_contact(self, *, email: str) -> Contact | None:
        with self._operation("find_contact"):
            return self._contact_or_none(email.strip().lower())

    def find_or_create_contact(
        self, *, email: str, company_id: str, name: str = "", known: Contact | None = None
    ) -> Contact:
        address = email.strip().lower()
        with self._operation("find_or_create_contact"):
            contact = known if known is not None and known.email.strip().lower() == address else None
            contact = contact or self._contact_or_none(address)
            if contact is not None:
                if company_id not in contact.company_ids:
                    self._call(
                        self._associations.create_default,
                        "contacts",
                        contact.id,
                        "companies",
                        company_id,
                        object_type="contact",
                    )
                return contact
            if not one_line(name):
                # A contract must never go to a nameless contact made from a mistyped address.
                raise NotFoundError(
                    SYSTEM,
                    f"no HubSpot contact has the e-mail {address}; check the address, or give the signer's "
                    "name (--signer-name) to create the contact",
                    object_type="contact",
                    field="email",
                )
            first, _, last = one_line(name).rpartition(" ")
            body = ContactCreate(
                properties={"email": address, "firstname": first or last, "lastname": last if first else ""},
                associations=[_association(company_id, CONTACT_TO_COMPANY)],
            )
            return self._transport.retry.write_once(
                lambda: self._to_contact(self._transport.once(self._contacts.create, body, object_type="contact")),
                lambda: self._contact_or_none(address),
                operation="contact create",
                duplicates_refused=True,  # HubSpot refuses a second contact with one e-mail (409)
            )

    def associate_ticket(self, *, ticket_id: str, company_id: str, contact_id: str) -> None:
        with self._operation("associate_ticket"):
            # PUT .../default/... is idempotent, so a retried request cannot double an association.
            self._call(
                self._associations.create_default, "tickets", ticket_id, "companies", company_id, object_type="ticket"
            )
            self._call(
                self._associations.create_default, "tickets", ticket_id, "contacts", contact_id, object_type="ticket"
            )

    def rename_ticket(self, *, ticket_id: str, name: str, status: StatusUpdate | None = None) -> None:
        with self._operation("rename_ticket"):
            self.update_properties("tickets", ticket_id, {"subject": name}, riding=self._status(status))

    # --- phase 2: the deal --------------------------------------------------------------------------------
    def find_or_create_deal(self, *, deal: DealDraft) -> Deal:
        with self._operation("find_or_create_deal"):
            found = self._deal_by_case_key(deal.case_key)
            if found is not None:
                return found
            associations = [
                _association(deal.contact_id, DEAL_TO_CONTACT),
                _association(deal.company_id, DEAL_TO_COMPANY),
            ]
            if deal.ticket_id:
                # Inline, as the ticket's "Deals" card links them: no request of its own, and never half-linked.
                associations.append(_association(deal.ticket_id, DEAL_TO_TICKET))
            body = DealCreate(properties=self._deal_properties(deal), associations=associations)
            return self._transport.retry.write_once(
                lambda: self._to_deal(self._transport.once(self._deals.create, body, object_type="deal")),
                lambda: self._deal_by_case_key(deal.case_key),
                operation="deal create",
                duplicates_refused=True,  # the case key is a unique value: HubSpot refuses a second deal with it
            )

    def set_deal_delivery_start(self, *, deal_id: str, start: date, since: datetime | None = None) -> WriteOutcome:
        with self._operation("set_deal_delivery_start"):
            properties = {self._routine.delivery_start_property: start.isoformat()}
            return self.update_properties("deals", deal_id, properties, since=since)

    def set_deal_licences(self, *, deal_id: str, licences: int, since: datetime | None = None) -> WriteOutcome:
        with self._operation("set_deal_licences"):
            # The routine's amount is the licence count, not money (DOMAIN.md step 7).
            return self.update_properties("deals", deal_id, {"amount": str(licences)}, since=since)

    def move_deal(self, *, deal_id: str, stage_label: str, since: datetime | None = None) -> WriteOutcome:
        with self._operation("move_deal"):
            # The close date keeps the routine's rule: only the stage moves.
            pipeline = self._labels.pipeline("deals", self._routine.deal_pipeline)
            stage_id = self._labels.stage_id(pipeline, stage_label, "deals")
            return self.update_properties(
                "deals", deal_id, {"pipeline": pipeline.id, "dealstage": stage_id}, since=since
            )

    # --- phase 4 and 6: ticket status, notes, company, assignment ------------------------------------------
    def move_ticket(
        self, *, ticket_id: str, stage_label: str, since: datetime | None = None, status: StatusUpdate | None = None
    ) -> WriteOutcome:
        with self._operation("move_ticket"):
            pipeline = self._labels.pipeline("tickets", self._routine.ticket_pipeline)
            stage_id = self._labels.stage_id(pipeline, stage_label, "tickets")
            properties = {"hs_pipeline": pipeline.id, "hs_pipeline_stage": stage_id}
            return self.update_properties("tickets", ticket_id, properties, since=since, riding=self._status(status))

    def set_ticket_status(self, *, ticket_id: str, status: StatusUpdate, since: datetime | None = None) -> WriteOutcome:
        with self._operation("set_ticket_status"):
            routine = self._routine
            # Only the status is checked: the link is the same in every status write of a case.
            status_only = {routine.ticket_status_property: status.option(routine.ticket_statuses)}
            return self.update_properties(
                "tickets", ticket_id, status_only, since=since, riding={routine.ticket_link_property: status.link}
            )

    def _status(self, status: StatusUpdate | None) -> dict[str, str]:
        """The ticket's status and link properties for `status` (none when None), to ride on another write: the
        other write's fields decide whether it landed, as the status's own history holds our earlier statuses."""
        if status is None:
            return {}
        routine = self._routine
        return {
            routine.ticket_status_property: status.option(routine.ticket_statuses),
            routine.ticket_link_property: status.link,
        }

    def add_ticket_note(self, *, ticket_id: str, marker: str, body: str, first_attempt: bool = False) -> str:
        """Write a note once: a note carrying `marker` already on the ticket is returned instead."""
        tag = html.escape(f"[{marker}]")
        with self._operation("add_ticket_note"):
            # A first attempt (the caller recorded that none was made before) has nothing to look for.
            found = None if first_attempt else self._note_with_tag(ticket_id, tag)
            if found is not None:
                return found
            # The visible tag survives HubSpot's HTML sanitising, where a comment might not.
            lines = "<br>".join(html.escape(line) for line in body.splitlines())
            note = NoteCreate(
                properties={
                    "hs_note_body": f"<p>{lines}</p><p>{tag}</p>",
                    "hs_timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                },
                associations=[_association(ticket_id, NOTE_TO_TICKET)],
            )
            # HubSpot cannot refuse a second note as a duplicate (no unique value on notes): the create waits for
            # an unanswered attempt to settle before looking, and the look-up removes any twin it finds.
            return self._transport.retry.write_once(
                lambda: str(self._transport.once(self._notes.create, note, object_type="note").id),
                lambda: self._note_with_tag(ticket_id, tag),
                operation="note create",
            )

    def set_company_property(
        self, *, company_id: str, name: str, value: str, since: datetime | None = None
    ) -> WriteOutcome:
        with self._operation("set_company_property"):
            return self.update_properties("companies", company_id, {name: value}, since=since)

    def assign_ticket(
        self, *, ticket_id: str, owner_email: str, since: datetime | None = None, status: StatusUpdate | None = None
    ) -> WriteOutcome:
        with self._operation("assign_ticket"):
            properties = {"hubspot_owner_id": self._labels.owner_id(owner_email)}
            return self.update_properties("tickets", ticket_id, properties, since=since, riding=self._status(status))

    def update_properties(
        self,
        object_type: str,
        object_id: str,
        properties: dict[str, str],
        *,
        since: datetime | None = None,
        riding: dict[str, str] | None = None,
    ) -> WriteOutcome:
        """PATCH named properties of a ticket, deal or company, checked: an unanswered PATCH is read back (with
        the properties' history) once it must have landed, never sent again blind; a newer value someone else set
        meanwhile is kept, or put back when our late PATCH landed over it. `since`: an earlier attempt of this
        write began then, so it is read back before the first PATCH too. `riding`: properties written in the same
        PATCH but not checked (they land or not with `properties`)."""
        api, body, kind = self._patchable(object_type)
        names = list(properties)

        def read_back() -> ReadBack:
            record = self._call(
                api.get_by_id, object_id, object_type=kind, properties=names, properties_with_history=names
            )
            history = record.properties_with_history or {}
            return ReadBack(
                values={name: (record.properties or {}).get(name) for name in names},
                history={
                    name: tuple(
                        FieldChange(value=change.value, at=change.timestamp) for change in history.get(name) or []
                    )
                    for name in names
                },
            )

        return write_checked(
            self._transport.retry,
            wanted=properties,
            write=lambda: self._transport.once(
                api.update, object_id, body(properties={**properties, **(riding or {})}), object_type=kind
            ),
            read_back=read_back,
            # HubSpot clears a property given "".
            restore=lambda theirs: self._call(
                api.update,
                object_id,
                body(properties={name: value or "" for name, value in theirs.items()}),
                object_type=kind,
            ),
            operation=f"{kind} update",
            since=since,
            clock_skew=timedelta(seconds=self._settings.clock_skew_seconds),
        )

    def ticket_stage_history(self, *, ticket_id: str) -> list[FieldChange]:
        """Every stage the ticket has stood at, by label (an id no longer in the pipeline as it is), oldest first."""
        with self._operation("ticket_stage_history"):
            record = self._call(
                self._tickets.get_by_id,
                ticket_id,
                object_type="ticket",
                properties=["hs_pipeline_stage"],
                properties_with_history=["hs_pipeline_stage"],
            )
            changes = (record.properties_with_history or {}).get("hs_pipeline_stage") or []
            # Stage ids are unique across a portal's pipelines: an earlier pipeline's stage is named too.
            return sorted(
                (
                    FieldChange(value=self._labels.stage_label("tickets", None, change.value), at=change.timestamp)
                    for change in changes
                ),
                key=lambda change: change.at,
            )

    # --- reconciliation: reads only ---------------------------------------------------------------------------
    def read_deal(self, *, deal_id: str) -> Deal:
        with self._operation("read_deal"):
            record = self._call(
                self._deals.get_by_id,
                deal_id,
                object_type="deal",
                properties=["dealname", "amount", "pipeline", "dealstage", self._routine.case_key_property],
                associations=["tickets"],
            )
            values = record.properties or {}
            # Only here: a deal found or created elsewhere is the same Deal whatever properties its answer held.
            return self._to_deal(record).model_copy(
                update={
                    "amount": _whole(values.get("amount")),
                    "stage": self._labels.stage_label("deals", values.get("pipeline"), values.get("dealstage")),
                    "ticket_ids": associated_ids(record, "tickets"),
                }
            )

    def owner_id(self, *, email: str) -> str:
        return self._labels.owner_id(email)

    # --- requests ---------------------------------------------------------------------------------------------
    def _call(self, fn: Callable[..., R], *args: Any, object_type: str, **kwargs: Any) -> R:
        return self._transport.call(fn, *args, object_type=object_type, **kwargs)

    @contextmanager
    def _operation(self, name: str) -> Iterator[None]:
        before = self.calls
        try:
            yield
        finally:
            logger.info("hubspot %s: %d requests", name, self.calls - before)

    def _patchable(self, object_type: str) -> tuple[Any, Callable[..., Any], str]:
        """The SDK api, update body and singular name of an object type whose properties we update."""
        apis: dict[str, tuple[Any, Callable[..., Any], str]] = {
            "tickets": (self._tickets, TicketUpdate, "ticket"),
            "deals": (self._deals, DealUpdate, "deal"),
            "companies": (self._companies, CompanyUpdate, "company"),
        }
        return apis[object_type]

    # --- look-ups ---------------------------------------------------------------------------------------------
    def _contact_or_none(self, address: str) -> Contact | None:
        try:
            record = self._call(
                self._contacts.get_by_id,
                address,
                id_property="email",
                object_type="contact",
                properties=["email", "firstname", "lastname", "phone", "mobilephone"],
                associations=["companies"],
            )
        except NotFoundError:
            return None
        return self._to_contact(record)

    def _deal_by_case_key(self, case_key: str) -> Deal | None:
        # batch/read by a unique-value property reads the datastore itself, unlike search's lagging index.
        key_property = self._routine.case_key_property
        request = DealBatchRead(
            inputs=[DealId(id=case_key)],
            id_property=key_property,
            properties=["dealname", key_property],
            properties_with_history=[],
        )
        response = self._call(self._deals_batch.read, request, object_type="deal")
        results = response.results or []
        return self._to_deal(results[0]) if results else None

    def _note_with_tag(self, ticket_id: str, tag: str) -> str | None:
        """The ticket's first note carrying `tag`; later twins (a create that landed late) are archived, logged."""
        note_ids: list[str] = []
        after: str | None = None
        while True:
            page = self._call(
                self._associations.get_page, "tickets", ticket_id, "notes", object_type="ticket", limit=500, after=after
            )
            note_ids += [str(row.to_object_id) for row in page.results or []]
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                break
        tagged: list[Any] = []
        for start in range(0, len(note_ids), BATCH_READ_LIMIT):
            chunk = note_ids[start : start + BATCH_READ_LIMIT]
            request = NoteBatchRead(
                inputs=[NoteId(id=i) for i in chunk], properties=["hs_note_body"], properties_with_history=[]
            )
            response = self._call(self._notes_batch.read, request, object_type="note")
            tagged += [
                note for note in response.results or [] if tag in ((note.properties or {}).get("hs_note_body") or "")
            ]
        if not tagged:
            return None
        first, *twins = sorted(tagged, key=_creation_order)
        for twin in twins:
            self._call(self._notes.archive, str(twin.id), object_type="note")
        if twins:
            logger.warning(
                "hubspot: ticket %s had %d notes marked %s; kept %s (the first), archived %s",
                ticket_id,
                len(tagged),
                tag,
                first.id,
                ", ".join(str(twin.id) for twin in twins),
            )
        return str(first.id)

    # --- the deal's properties, labels resolved to ids ---------------------------------------------------------
    def _deal_properties(self, deal: DealDraft) -> dict[str, str]:
        routine, labels = self._routine, self._labels
        pipeline = labels.pipeline("deals", routine.deal_pipeline)
        owner_id = labels.owner_id(deal.agent_email)
        booker = routine.meeting_booker_property
        return {
            "dealname": deal.name,
            "pipeline": pipeline.id,
            "dealstage": labels.stage_id(pipeline, routine.deal_stage, "deals"),
            "closedate": f"{deal.close_date.isoformat()}T00:00:00.000Z",
            routine.deal_type_property: labels.option("deals", routine.deal_type_property, routine.deal_type),
            booker: labels.owner_option("deals", booker, owner_id=owner_id, email=deal.agent_email),
            "hubspot_owner_id": owner_id,
            routine.delivery_start_property: deal.delivery_start.isoformat(),
            "deal_currency_code": routine.currency,
            "amount": str(deal.licences),  # the routine's "amount" is the licence count, not money
            routine.case_key_property: deal.case_key,
        }

    # --- translation ------------------------------------------------------------------------------------------
    def _to_contact(self, record: Any) -> Contact:
        values = record.properties or {}
        # SMS goes to the mobile number; the phone number is the fallback (DOMAIN.md).
        return Contact(
            id=str(record.id),
            email=values.get("email") or "",
            first_name=one_line(values.get("firstname")),
            last_name=one_line(values.get("lastname")),
            phone=one_line(values.get("mobilephone")) or one_line(values.get("phone")),
            company_ids=associated_ids(record, "companies"),
        )

    def _to_deal(self, record: Any) -> Deal:
        values = record.properties or {}
        return Deal(
            id=str(record.id),
            name=values.get("dealname") or "",
            case_key=values.get(self._routine.case_key_property) or "",
            url=hubspot_record_url(self._settings.records_url, self._settings.portal_id, DEAL, str(record.id)),
        )
