"""FakeCrm: the Crm port in memory, behaving as HubSpotCrm does on the HubSpot sandbox (tests/contracts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import count

from adapters.errors import ConfigurationError, NotFoundError
from config.settings import HubSpotSettings, RoutineSettings
from models.crm import Company, Contact, Deal, DealDraft, Ticket
from models.field_history import FieldChange, ReadBack, Verdict, WriteOutcome, check_write
from models.links import DEAL, TICKET, hubspot_record_url
from models.text import one_line
from models.ticket_status import StatusUpdate

SYSTEM = "hubspot"
FIRST_NEW_ID = 100001  # as the sandbox: seeded records keep their own ids, new ones count from here
# When seeded records were set, as the sandbox's seed has it: long before any write a test makes (a `since` check).
SEEDED_AT = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)

# The sandbox's pipelines by label (sandbox/hubspot/seed.py): a stage label the portal lacks is a ConfigurationError.
TICKET_STAGES = {
    "Support Pipeline": ("New", "Waiting on contact", "Waiting on us", "Closed"),
    "Kundesenter": ("Ny", "Under arbeid", "Sendt kontrakt", "Lukket"),
}
DEAL_STAGES = {
    "Sales Pipeline": (
        "Appointment scheduled",
        "Qualified to buy",
        "Presentation scheduled",
        "Contract sent",
        "Closed won",
        "Closed lost",
    ),
    "Assist": ("Ny henvendelse", "Venter på beslutning", "Kontrakt sendt", "Lukket vunnet", "Lukket tapt"),
}
# Where the pipeline and stage are kept: stage values are labels here, ids in HubSpot.
PIPELINE_FIELDS = {"tickets": ("hs_pipeline", "hs_pipeline_stage"), "deals": ("pipeline", "dealstage")}


@dataclass
class _Record:
    """One CRM object: its properties and each property's history (oldest first), as HubSpot keeps them."""

    values: dict[str, str | None]
    history: dict[str, list[FieldChange]] = field(default_factory=dict)

    def set(self, values: dict[str, str], at: datetime) -> None:
        for name, value in values.items():
            if self.values.get(name) != value:
                self.history.setdefault(name, []).append(FieldChange(value=value, at=at))
            self.values[name] = value

    def read_back(self, names: Iterable[str], created: datetime) -> ReadBack:
        names = list(names)
        return ReadBack(
            values={name: self.values.get(name) for name in names},
            # A seeded value without a history shows as set when the record was created (as the sandbox does).
            history={
                name: tuple(
                    self.history.get(name)
                    or ([FieldChange(value=self.values[name], at=created)] if self.values.get(name) is not None else [])
                )
                for name in names
            },
        )


@dataclass
class _Note:
    id: str
    ticket_id: str
    marker: str
    body: str


class FakeCrm:
    """The Crm port in memory. Seed it with add_company, add_contact, add_ticket and add_owner; play someone else
    with someone_sets; read what was written with deal, notes and value."""

    def __init__(
        self,
        *,
        routine: RoutineSettings | None = None,
        settings: HubSpotSettings | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.routine = routine or RoutineSettings()
        self.settings = settings or HubSpotSettings()
        self._now = now
        self._ids = count(FIRST_NEW_ID)
        self._records: dict[str, dict[str, _Record]] = {kind: {} for kind in ("tickets", "companies", "deals")}
        self._created: dict[tuple[str, str], datetime] = {}
        self._contacts: dict[str, Contact] = {}
        self._contact_companies: dict[str, list[str]] = {}
        self._ticket_links: dict[str, dict[str, list[str]]] = {}
        self._deal_tickets: dict[str, list[str]] = {}
        self._notes: list[_Note] = []
        self._owners: dict[str, str] = {}
        self._calls = 0

    # --- seeding (tests) ----------------------------------------------------------------------------------------
    def add_owner(self, email: str, owner_id: str) -> None:
        """A HubSpot user the routine may assign tickets and deals to."""
        self._owners[email.strip().lower()] = owner_id

    def add_company(self, company: Company) -> Company:
        """A company card."""
        self._put(
            "companies",
            company.id,
            {
                "name": company.name,
                self.routine.org_number_property: company.org_number,
                "address": company.address,
                "zip": company.postal_code,
                "city": company.city,
            },
            seeded=True,
        )
        return self.read_company(company_id=company.id)

    def add_contact(self, contact: Contact) -> Contact:
        """A contact, associated with its `company_ids`."""
        self._contacts[contact.id] = contact.model_copy(update={"email": contact.email.strip().lower()})
        self._contact_companies[contact.id] = list(contact.company_ids)
        return self._contact(contact.id)

    def add_ticket(self, ticket: Ticket) -> Ticket:
        """A ticket (in `ticket.pipeline` at `ticket.stage`, by label; default: the routine's pipeline, its first
        stage), associated with its companies and contacts."""
        pipeline = ticket.pipeline or self.routine.ticket_pipeline
        stage = ticket.stage or self._stages("tickets", pipeline)[0]
        self._stage_check("tickets", pipeline, stage)
        values = {"subject": ticket.name, "hs_pipeline": pipeline, "hs_pipeline_stage": stage}
        if ticket.owner_id:
            values["hubspot_owner_id"] = ticket.owner_id
        self._put("tickets", ticket.id, values, seeded=True)
        self._ticket_links[ticket.id] = {"companies": list(ticket.company_ids), "contacts": list(ticket.contact_ids)}
        return self.read_ticket(ticket_id=ticket.id)

    def someone_sets(self, kind: str, object_id: str, values: dict[str, str]) -> None:
        """Someone else changes properties of a ticket, deal or company (`kind` as HubSpot names it: "tickets",
        "deals", "companies"), stages by label."""
        self._record(kind, object_id).set(values, self._now())

    # --- what was written (tests) -------------------------------------------------------------------------------
    def value(self, kind: str, object_id: str, name: str) -> str | None:
        """A property as it stands (stages by label)."""
        return self._record(kind, object_id).values.get(name)

    def notes(self, ticket_id: str) -> list[str]:
        """The bodies of the ticket's notes, oldest first."""
        return [note.body for note in self._notes if note.ticket_id == ticket_id]

    def deals(self) -> list[Deal]:
        """Every deal, oldest first."""
        return [self.read_deal(deal_id=deal_id) for deal_id in self._records["deals"]]

    # --- the Crm port -------------------------------------------------------------------------------------------
    @property
    def calls(self) -> int:
        """Port calls made so far (the fake's stand-in for HTTP requests)."""
        return self._calls

    def read_ticket(self, *, ticket_id: str) -> Ticket:
        self._calls += 1
        record = self._record("tickets", ticket_id)
        links = self._ticket_links.get(ticket_id, {})
        return Ticket(
            id=ticket_id,
            name=one_line(record.values.get("subject")),
            stage=record.values.get("hs_pipeline_stage") or "",
            pipeline=record.values.get("hs_pipeline") or "",
            owner_id=record.values.get("hubspot_owner_id") or None,
            company_ids=tuple(links.get("companies", ())),
            contact_ids=tuple(links.get("contacts", ())),
            url=hubspot_record_url(self.settings.records_url, self.settings.portal_id, TICKET, ticket_id),
        )

    def read_company(self, *, company_id: str) -> Company:
        self._calls += 1
        values = self._record("companies", company_id).values
        return Company(
            id=company_id,
            name=one_line(values.get("name")),
            org_number=one_line(values.get(self.routine.org_number_property)),
            address=one_line(values.get("address")),
            postal_code=one_line(values.get("zip")),
            city=one_line(values.get("city")),
        )

    def find_contact(self, *, email: str) -> Contact | None:
        self._calls += 1
        return self._contact_by_email(email.strip().lower())

    def find_or_create_contact(
        self, *, email: str, company_id: str, name: str = "", known: Contact | None = None
    ) -> Contact:
        self._calls += 1
        address = email.strip().lower()
        contact = known if known is not None and known.email.strip().lower() == address else None
        contact = contact or self._contact_by_email(address)
        if contact is not None:
            companies = self._contact_companies.setdefault(contact.id, [])
            if company_id not in contact.company_ids and company_id not in companies:
                companies.append(company_id)
            # As HubSpotCrm: the contact as found, before this association.
            return contact
        if not one_line(name):
            raise NotFoundError(
                SYSTEM,
                f"no HubSpot contact has the e-mail {address}; check the address, or give the signer's name "
                "(--signer-name) to create the contact",
                object_type="contact",
                field="email",
            )
        first, _, last = one_line(name).rpartition(" ")
        contact_id = str(next(self._ids))
        self._contacts[contact_id] = Contact(
            id=contact_id, email=address, first_name=first or last, last_name=last if first else ""
        )
        self._contact_companies[contact_id] = [company_id]
        # HubSpot's create answers without associations: the new contact comes back without its company.
        return self._contacts[contact_id]

    def associate_ticket(self, *, ticket_id: str, company_id: str, contact_id: str) -> None:
        self._calls += 1
        self._record("tickets", ticket_id)
        self._record("companies", company_id)
        if contact_id not in self._contacts:
            raise NotFoundError(SYSTEM, f"contact {contact_id} not found", object_type="contact")
        links = self._ticket_links.setdefault(ticket_id, {"companies": [], "contacts": []})
        for kind, target in (("companies", company_id), ("contacts", contact_id)):
            if target not in links[kind]:
                links[kind].append(target)

    def rename_ticket(self, *, ticket_id: str, name: str, status: StatusUpdate | None = None) -> None:
        self._calls += 1
        self._record("tickets", ticket_id).set({"subject": name, **self._status(status)}, self._now())

    def find_or_create_deal(self, *, deal: DealDraft) -> Deal:
        self._calls += 1
        found = self._deal_by_case_key(deal.case_key)
        if found is not None:
            return found
        owner_id = self.owner_id(email=deal.agent_email)
        deal_id = str(next(self._ids))
        self._put(
            "deals",
            deal_id,
            {
                "dealname": deal.name,
                "pipeline": self.routine.deal_pipeline,
                "dealstage": self._stage_check("deals", self.routine.deal_pipeline, self.routine.deal_stage),
                "closedate": f"{deal.close_date.isoformat()}T00:00:00.000Z",
                self.routine.deal_type_property: self.routine.deal_type,
                "hubspot_owner_id": owner_id,
                self.routine.delivery_start_property: deal.delivery_start.isoformat(),
                "deal_currency_code": self.routine.currency,
                "amount": str(deal.licences),
                self.routine.case_key_property: deal.case_key,
            },
        )
        self._deal_tickets[deal_id] = [deal.ticket_id] if deal.ticket_id else []
        return self._deal(deal_id)

    def set_deal_delivery_start(self, *, deal_id: str, start: date, since: datetime | None = None) -> WriteOutcome:
        self._calls += 1
        return self._update("deals", deal_id, {self.routine.delivery_start_property: start.isoformat()}, since)

    def set_deal_licences(self, *, deal_id: str, licences: int, since: datetime | None = None) -> WriteOutcome:
        self._calls += 1
        return self._update("deals", deal_id, {"amount": str(licences)}, since)

    def move_deal(self, *, deal_id: str, stage_label: str, since: datetime | None = None) -> WriteOutcome:
        self._calls += 1
        pipeline = self.routine.deal_pipeline
        stage = self._stage_check("deals", pipeline, stage_label)
        return self._update("deals", deal_id, {"pipeline": pipeline, "dealstage": stage}, since)

    def move_ticket(
        self, *, ticket_id: str, stage_label: str, since: datetime | None = None, status: StatusUpdate | None = None
    ) -> WriteOutcome:
        self._calls += 1
        pipeline = self.routine.ticket_pipeline
        stage = self._stage_check("tickets", pipeline, stage_label)
        stage_fields = {"hs_pipeline": pipeline, "hs_pipeline_stage": stage}
        return self._update("tickets", ticket_id, stage_fields, since, riding=self._status(status))

    def set_ticket_status(self, *, ticket_id: str, status: StatusUpdate, since: datetime | None = None) -> WriteOutcome:
        self._calls += 1
        # As the adapter: only the status is checked; the link rides along.
        routine = self.routine
        status_only = {routine.ticket_status_property: status.option(routine.ticket_statuses)}
        return self._update(
            "tickets", ticket_id, status_only, since, riding={routine.ticket_link_property: status.link}
        )

    def ticket_stage_history(self, *, ticket_id: str) -> list[FieldChange]:
        self._calls += 1
        record = self._record("tickets", ticket_id)
        changes = record.read_back(["hs_pipeline_stage"], self._created[("tickets", ticket_id)]).history
        return sorted(changes["hs_pipeline_stage"], key=lambda change: change.at)

    def add_ticket_note(self, *, ticket_id: str, marker: str, body: str, first_attempt: bool = False) -> str:
        self._calls += 1
        self._record("tickets", ticket_id)
        if not first_attempt:
            found = next((n for n in self._notes if n.ticket_id == ticket_id and n.marker == marker), None)
            if found is not None:
                return found.id
        note = _Note(id=str(next(self._ids)), ticket_id=ticket_id, marker=marker, body=body)
        self._notes.append(note)
        return note.id

    def set_company_property(
        self, *, company_id: str, name: str, value: str, since: datetime | None = None
    ) -> WriteOutcome:
        self._calls += 1
        return self._update("companies", company_id, {name: value}, since)

    def assign_ticket(
        self, *, ticket_id: str, owner_email: str, since: datetime | None = None, status: StatusUpdate | None = None
    ) -> WriteOutcome:
        owner_id = self.owner_id(email=owner_email)
        return self._update("tickets", ticket_id, {"hubspot_owner_id": owner_id}, since, riding=self._status(status))

    def read_deal(self, *, deal_id: str) -> Deal:
        self._calls += 1
        values = self._record("deals", deal_id).values
        return self._deal(deal_id).model_copy(
            update={
                "amount": _whole(values.get("amount")),
                "stage": values.get("dealstage") or "",
                "ticket_ids": tuple(self._deal_tickets.get(deal_id, ())),
            }
        )

    def owner_id(self, *, email: str) -> str:
        self._calls += 1
        address = email.strip().lower()
        if address not in self._owners:
            raise ConfigurationError(
                SYSTEM, f"no HubSpot owner (user) has the e-mail {address}", object_type="owner", field="email"
            )
        return self._owners[address]

    # --- inside ---------------------------------------------------------------------------------------------------
    def _put(self, kind: str, object_id: str, values: dict[str, str], *, seeded: bool = False) -> None:
        at = SEEDED_AT if seeded else self._now()
        record = _Record(values={})
        record.set(values, at)
        self._records[kind][object_id] = record
        self._created[(kind, object_id)] = at

    def _record(self, kind: str, object_id: str) -> _Record:
        record = self._records[kind].get(object_id)
        if record is None:
            raise NotFoundError(SYSTEM, f"{kind[:-1]} {object_id} not found", object_type=kind[:-1], status=404)
        return record

    def _status(self, status: StatusUpdate | None) -> dict[str, str]:
        """The ticket's status and link properties for `status` (none when None), to ride on another write."""
        if status is None:
            return {}
        routine = self.routine
        return {
            routine.ticket_status_property: status.option(routine.ticket_statuses),
            routine.ticket_link_property: status.link,
        }

    def _update(
        self,
        kind: str,
        object_id: str,
        wanted: dict[str, str],
        since: datetime | None,
        *,
        riding: dict[str, str] | None = None,
    ) -> WriteOutcome:
        """A checked write as adapters/checked_writes.py makes it when every answer arrives: `since` reads back
        first, and someone else's newer value is kept (or put back over ours). `riding`: written with `wanted`
        when it is written, not checked."""
        record = self._record(kind, object_id)
        if since is not None:
            read = record.read_back(wanted, self._created[(kind, object_id)])
            clock_skew = timedelta(seconds=self.settings.clock_skew_seconds)
            check = check_write(wanted, read, since=since, clock_skew=clock_skew)
            if check.verdict is Verdict.LANDED:
                return WriteOutcome(ours=wanted)
            if check.verdict is not Verdict.NOT_LANDED:
                restored = check.verdict is Verdict.OVERWRITTEN
                if restored:
                    record.set({name: value or "" for name, value in check.theirs.items()}, self._now())
                return WriteOutcome(kept=check.theirs, ours=wanted, at=check.at, restored=restored)
        record.set({**wanted, **(riding or {})}, self._now())
        return WriteOutcome(ours=wanted)

    def _stages(self, kind: str, pipeline: str) -> tuple[str, ...]:
        stages = (TICKET_STAGES if kind == "tickets" else DEAL_STAGES).get(pipeline)
        if stages is None:
            raise ConfigurationError(SYSTEM, f"no {kind[:-1]} pipeline is labelled {pipeline!r}", object_type=kind)
        return stages

    def _stage_check(self, kind: str, pipeline: str, stage: str) -> str:
        if stage not in self._stages(kind, pipeline):
            raise ConfigurationError(
                SYSTEM, f"the {kind[:-1]} pipeline {pipeline!r} has no stage {stage!r}", object_type=kind
            )
        return stage

    def _contact_by_email(self, address: str) -> Contact | None:
        found = next((c for c in self._contacts.values() if c.email == address), None)
        return self._contact(found.id) if found is not None else None

    def _contact(self, contact_id: str) -> Contact:
        contact = self._contacts[contact_id]
        return contact.model_copy(update={"company_ids": tuple(self._contact_companies.get(contact_id, ()))})

    def _deal_by_case_key(self, case_key: str) -> Deal | None:
        key = self.routine.case_key_property
        found = next((i for i, r in self._records["deals"].items() if r.values.get(key) == case_key), None)
        return self._deal(found) if found is not None else None

    def _deal(self, deal_id: str) -> Deal:
        values = self._records["deals"][deal_id].values
        return Deal(
            id=deal_id,
            name=values.get("dealname") or "",
            case_key=values.get(self.routine.case_key_property) or "",
            url=hubspot_record_url(self.settings.records_url, self.settings.portal_id, DEAL, deal_id),
        )


def _whole(value: str | None) -> int | None:
    """An amount as a whole number, as HubSpotCrm reads it ("30", "30.0")."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None
