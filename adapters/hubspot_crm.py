"""HubSpotCrm: the Crm port on HubSpot's CRM API through the official SDK (hubspot-api-client 12)."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from hubspot import HubSpot
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
from urllib3.util.retry import Retry

from adapters.errors import ConfigurationError, NotFoundError, TransientError, ValidationRejected, may_still_land
from adapters.hubspot_labels import Pipeline, PortalLabels, portal_labels, resolve
from adapters.hubspot_transport import SYSTEM, Conflict, HubSpotTransport, RetryableFailure
from config.settings import HubSpotSettings, RoutineSettings
from models.crm import Company, Contact, Deal, DealDraft, Ticket, one_line

logger = logging.getLogger(__name__)

# HUBSPOT_DEFINED association type ids (hubspot.crm.association_type.AssociationType).
DEAL_TO_CONTACT = 3
DEAL_TO_COMPANY = 341
CONTACT_TO_COMPANY = 279
NOTE_TO_TICKET = 228
BATCH_READ_LIMIT = 100

R = TypeVar("R")


def _association(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _gave_up(failure: RetryableFailure, attempt: int, object_type: str) -> TransientError:
    return TransientError(
        SYSTEM,
        f"{failure.message} (create gave up after {attempt} attempts)",
        object_type=object_type,
        status=failure.status,
        correlation_id=failure.correlation_id,
    )


def _creation_order(record: Any) -> tuple[datetime, int, str]:
    """Oldest first: by HubSpot's createdAt, then by id (numeric ids grow with time)."""
    created = record.created_at or datetime.max.replace(tzinfo=UTC)
    identifier = str(record.id)
    return created, int(identifier) if identifier.isdigit() else 0, identifier


def _associated(record: Any, to_type: str) -> tuple[str, ...]:
    # Creates answer without associations (SimplePublicObject), reads with them.
    collection = (getattr(record, "associations", None) or {}).get(to_type)
    if collection is None:
        return ()
    return tuple(dict.fromkeys(str(item.id) for item in collection.results or []))


class HubSpotCrm:
    """The Crm port on HubSpot: SDK payloads translated to our models at this edge."""

    def __init__(
        self, settings: HubSpotSettings, routine: RoutineSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._settings = settings
        self._routine = routine
        self._sleep = sleep
        self._transport = HubSpotTransport(settings, sleep=sleep)
        self._labels: PortalLabels = portal_labels(f"{settings.base_url}|{settings.portal_id}")
        # urllib3 must not retry on its own: a blind POST retry duplicates, and we count every request.
        client = HubSpot(
            access_token=settings.token.get_secret_value(),
            host=settings.base_url.rstrip("/"),
            retry=Retry(total=0, read=False, redirect=False),
        )
        crm = client.crm  # each *_api access below builds a connection pool: build them once, here
        self._tickets = crm.tickets.basic_api
        self._companies = crm.companies.basic_api
        self._contacts = crm.contacts.basic_api
        self._deals = crm.deals.basic_api
        self._deals_batch = crm.deals.batch_api
        self._notes = crm.objects.notes.basic_api
        self._notes_batch = crm.objects.notes.batch_api
        self._associations = crm.associations.v4.basic_api
        self._pipelines = crm.pipelines.pipelines_api
        self._owners = crm.owners.owners_api
        self._properties = crm.properties.core_api

    @property
    def calls(self) -> int:
        return self._transport.calls

    @calls.setter
    def calls(self, value: int) -> None:
        self._transport.calls = value

    # --- phase 1: enrich the ticket ---------------------------------------------------------------------
    def read_ticket(self, *, ticket_id: str) -> Ticket:
        with self._operation("read_ticket"):
            record = self._call(
                self._tickets.get_by_id,
                ticket_id,
                object_type="ticket",
                properties=["subject", "hs_pipeline", "hs_pipeline_stage", "hubspot_owner_id"],
                associations=["companies", "contacts"],
            )
            values = record.properties or {}
            return Ticket(
                id=str(record.id),
                name=one_line(values.get("subject")),
                stage=self._stage_label("tickets", values.get("hs_pipeline"), values.get("hs_pipeline_stage")),
                pipeline=self._pipeline_label("tickets", values.get("hs_pipeline")),
                owner_id=values.get("hubspot_owner_id") or None,
                company_ids=_associated(record, "companies"),
                contact_ids=_associated(record, "contacts"),
            )

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

    def find_or_create_contact(self, *, email: str, company_id: str, name: str = "") -> Contact:
        address = email.strip().lower()
        with self._operation("find_or_create_contact"):
            contact = self._contact_or_none(address)
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
            return self._create_once(
                lambda: self._contact_or_none(address),
                lambda: self._to_contact(self._call(self._contacts.create, body, object_type="contact", retry=False)),
                object_type="contact",
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

    def rename_ticket(self, *, ticket_id: str, name: str) -> None:
        with self._operation("rename_ticket"):
            self._update_ticket(ticket_id, {"subject": name})

    # --- phase 2: the deal --------------------------------------------------------------------------------
    def find_or_create_deal(self, *, deal: DealDraft) -> Deal:
        with self._operation("find_or_create_deal"):
            found = self._deal_by_case_key(deal.case_key)
            if found is not None:
                return found
            body = DealCreate(
                properties=self._deal_properties(deal),
                associations=[
                    _association(deal.contact_id, DEAL_TO_CONTACT),
                    _association(deal.company_id, DEAL_TO_COMPANY),
                ],
            )
            return self._create_once(
                lambda: self._deal_by_case_key(deal.case_key),
                lambda: self._to_deal(self._call(self._deals.create, body, object_type="deal", retry=False)),
                object_type="deal",
            )

    def set_deal_delivery_start(self, *, deal_id: str, start: date) -> None:
        with self._operation("set_deal_delivery_start"):
            body = DealUpdate(properties={self._routine.delivery_start_property: start.isoformat()})
            self._call(self._deals.update, deal_id, body, object_type="deal")

    def set_deal_licences(self, *, deal_id: str, licences: int) -> None:
        with self._operation("set_deal_licences"):
            # The routine's amount is the licence count, not money (DOMAIN.md step 7).
            body = DealUpdate(properties={"amount": str(licences)})
            self._call(self._deals.update, deal_id, body, object_type="deal")

    # --- phase 4 and 6: ticket status, notes, company, assignment ------------------------------------------
    def move_ticket(self, *, ticket_id: str, stage_label: str) -> None:
        with self._operation("move_ticket"):
            pipeline = self._pipeline("tickets", self._routine.ticket_pipeline)
            stage_id = self._stage_id(pipeline, stage_label, "tickets")
            self._update_ticket(ticket_id, {"hs_pipeline": pipeline.id, "hs_pipeline_stage": stage_id})

    def add_ticket_note(self, *, ticket_id: str, marker: str, body: str) -> str:
        """Write a note once: a note carrying `marker` already on the ticket is returned instead."""
        tag = html.escape(f"[{marker}]")
        with self._operation("add_ticket_note"):
            found = self._note_with_tag(ticket_id, tag)
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
            return self._create_once(
                lambda: self._note_with_tag(ticket_id, tag),
                lambda: str(self._call(self._notes.create, note, object_type="note", retry=False).id),
                object_type="note",
                refuses_duplicates=False,
            )

    def set_company_property(self, *, company_id: str, name: str, value: str) -> None:
        with self._operation("set_company_property"):
            body = CompanyUpdate(properties={name: value})
            self._call(self._companies.update, company_id, body, object_type="company")

    def assign_ticket(self, *, ticket_id: str, owner_email: str) -> None:
        with self._operation("assign_ticket"):
            self._update_ticket(ticket_id, {"hubspot_owner_id": self._owner_id(owner_email)})

    # --- requests ---------------------------------------------------------------------------------------------
    def _call(self, fn: Callable[..., R], *args: Any, object_type: str, retry: bool = True, **kwargs: Any) -> R:
        return self._transport.call(fn, *args, object_type=object_type, retry=retry, **kwargs)

    @contextmanager
    def _operation(self, name: str) -> Iterator[None]:
        before = self.calls
        try:
            yield
        finally:
            logger.info("hubspot %s: %d requests", name, self.calls - before)

    def _create_once(
        self,
        lookup: Callable[[], R | None],
        create: Callable[[], R],
        *,
        object_type: str,
        refuses_duplicates: bool = True,
    ) -> R:
        """Create, having looked up first; after a failure that may or may not have landed (dropped connection,
        timeout, 5xx), look up again and only create again when the object is still not there.

        `refuses_duplicates`: the object carries a unique value (a contact's e-mail, the deal's case key), so an
        earlier attempt landing late is refused by HubSpot and looking up at once is safe. Otherwise a look-up
        right after an unanswered attempt could miss it while HubSpot still works on it: wait `settle_seconds`
        first. The last attempt is settled and looked for too, so no request of ours is left in flight behind a
        task retry's look-up."""
        attempts = self._settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return create()
            except ValidationRejected as refusal:
                # Someone (or our own earlier attempt) created it meanwhile: HubSpot refuses the duplicate with 409
                # for a contact's e-mail; its status for a custom unique value is not documented, so look either way.
                found = lookup() if isinstance(refusal, Conflict) or refuses_duplicates else None
                if found is not None:
                    return found
                raise
            except RetryableFailure as failure:
                if failure.status == 429:
                    # Refused before HubSpot did anything with it: nothing to look for.
                    if attempt >= attempts:
                        raise _gave_up(failure, attempt, object_type) from failure
                    self._sleep(failure.wait)
                    continue
                found = self._settle_and_look(lookup, failure, object_type=object_type, settle=not refuses_duplicates)
                if found is not None:
                    return found
                if attempt >= attempts:
                    raise _gave_up(failure, attempt, object_type) from failure
        raise AssertionError("unreachable")

    def _settle_and_look(
        self, lookup: Callable[[], R | None], failure: RetryableFailure, *, object_type: str, settle: bool
    ) -> R | None:
        """Wait as the failure asks (with `settle`, until an attempt that may still land must have), then look up."""
        wait = failure.wait
        if settle and may_still_land(failure):
            wait = max(wait, self._settings.settle_seconds)
        logger.warning("hubspot create %s: %s; looking it up in %.1fs", object_type, failure.message, wait)
        self._sleep(wait)
        return lookup()

    def _update_ticket(self, ticket_id: str, properties: dict[str, str]) -> None:
        self._call(self._tickets.update, ticket_id, TicketUpdate(properties=properties), object_type="ticket")

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

    # --- labels, options and owners (cached per process) -------------------------------------------------------
    def _deal_properties(self, deal: DealDraft) -> dict[str, str]:
        routine = self._routine
        pipeline = self._pipeline("deals", routine.deal_pipeline)
        owner_id = self._owner_id(deal.agent_email)
        return {
            "dealname": deal.name,
            "pipeline": pipeline.id,
            "dealstage": self._stage_id(pipeline, routine.deal_stage, "deals"),
            "closedate": f"{deal.close_date.isoformat()}T00:00:00.000Z",
            routine.deal_type_property: self._option("deals", routine.deal_type_property, routine.deal_type),
            routine.meeting_booker_property: self._booker_option(owner_id, deal.agent_email),
            "hubspot_owner_id": owner_id,
            routine.delivery_start_property: deal.delivery_start.isoformat(),
            "deal_currency_code": routine.currency,
            "amount": str(deal.licences),  # the routine's "amount" is the licence count, not money
            routine.case_key_property: deal.case_key,
        }

    def _fetch_pipelines(self, object_type: str) -> dict[str, Pipeline]:
        response = self._call(self._pipelines.get_all, object_type, object_type="pipeline")
        pipelines = {
            p.label: Pipeline(id=str(p.id), label=p.label, stages={s.label: str(s.id) for s in p.stages or []})
            for p in response.results or []
            if not p.archived
        }
        with self._labels.lock:
            self._labels.pipelines[object_type] = pipelines
        return pipelines

    def _pipeline(self, object_type: str, label: str) -> Pipeline:
        def cached() -> dict[str, str] | None:
            table = self._labels.pipelines.get(object_type)
            return {name: name for name in table} if table is not None else None

        def fetch() -> dict[str, str]:
            return {name: name for name in self._fetch_pipelines(object_type)}

        name = resolve(cached, fetch, label, what=f"{object_type} pipeline", object_type=object_type)
        return self._labels.pipelines[object_type][name]

    def _stage_id(self, pipeline: Pipeline, label: str, object_type: str) -> str:
        def fetch() -> dict[str, str]:
            fresh = self._fetch_pipelines(object_type).get(pipeline.label)
            return fresh.stages if fresh is not None else {}

        return resolve(
            lambda: pipeline.stages,
            fetch,
            label,
            what=f"stage of {object_type} pipeline {pipeline.label!r}",
            object_type=object_type,
        )

    def _stage_label(self, object_type: str, pipeline_id: str | None, stage_id: str | None) -> str:
        """The stage's label, as our models speak labels; the raw id if HubSpot has no such stage."""
        if not stage_id:
            return ""

        def find(pipelines: dict[str, Pipeline]) -> str | None:
            for pipeline in pipelines.values():
                if pipeline_id in (None, pipeline.id):
                    for label, candidate in pipeline.stages.items():
                        if candidate == stage_id:
                            return label
            return None

        cached = self._labels.pipelines.get(object_type)
        found = find(cached) if cached is not None else None
        if found is None:
            found = find(self._fetch_pipelines(object_type))
        return found or stage_id

    def _pipeline_label(self, object_type: str, pipeline_id: str | None) -> str:
        """The pipeline's label (known after `_stage_label` has read the pipelines); the raw id otherwise."""
        for pipeline in (self._labels.pipelines.get(object_type) or {}).values():
            if pipeline.id == pipeline_id:
                return pipeline.label
        return pipeline_id or ""

    def _fetch_options(self, object_type: str) -> None:
        response = self._call(self._properties.get_all, object_type, object_type="property")
        with self._labels.lock:
            for definition in response.results or []:
                if definition.type == "enumeration":
                    self._labels.options[(object_type, definition.name)] = {
                        option.label: option.value for option in definition.options or [] if not option.hidden
                    }

    def _options(self, object_type: str, name: str, *, refresh: bool = False) -> dict[str, str]:
        if refresh or (object_type, name) not in self._labels.options:
            self._fetch_options(object_type)
        options = self._labels.options.get((object_type, name))
        if options is None:
            raise ConfigurationError(
                SYSTEM,
                f"{object_type} property {name!r} does not exist or is no enumeration",
                object_type=object_type,
                field=name,
            )
        return options

    def _option(self, object_type: str, name: str, label: str) -> str:
        return resolve(
            lambda: self._labels.options.get((object_type, name)),
            lambda: self._options(object_type, name, refresh=True),
            label,
            what=f"option of {name}",
            object_type=object_type,
        )

    def _booker_option(self, owner_id: str, email: str) -> str:
        """The meeting booker is the agent: the option whose value is the agent's owner id."""
        name = self._routine.meeting_booker_property
        for refresh in (False, True):
            options = self._options("deals", name, refresh=refresh)
            if owner_id in options.values():
                return owner_id
        existing = ", ".join(repr(label) for label in options) or "none"
        raise ConfigurationError(
            SYSTEM,
            f"no option of {name} for owner {email} (id {owner_id}); existing: {existing}",
            object_type="deals",
            field=name,
        )

    def _owner_id(self, email: str) -> str:
        address = email.strip().lower()
        cached = self._labels.owners.get(address)
        if cached is not None:
            return cached
        response = self._call(self._owners.get_page, email=address, limit=1, object_type="owner")
        results = response.results or []
        if not results:
            raise ConfigurationError(
                SYSTEM, f"no HubSpot owner (user) has the e-mail {address}", object_type="owner", field="email"
            )
        owner_id = str(results[0].id)
        with self._labels.lock:
            self._labels.owners[address] = owner_id
        return owner_id

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
            company_ids=_associated(record, "companies"),
        )

    def _to_deal(self, record: Any) -> Deal:
        values = record.properties or {}
        return Deal(
            id=str(record.id),
            name=values.get("dealname") or "",
            case_key=values.get(self._routine.case_key_property) or "",
            url=f"{self._settings.app_url.rstrip('/')}/contacts/{self._settings.portal_id}/record/0-3/{record.id}",
        )
