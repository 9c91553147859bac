"""The Crm port's contract, on FakeCrm and on HubSpotCrm against the HubSpot sandbox: reads, find-or-create by
case key, not-found errors, and checked writes (`since`, someone else's newer value kept or put back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from adapters.errors import ConfigurationError, NotFoundError
from adapters.hubspot_crm import HubSpotCrm
from adapters.ports import Crm
from config.settings import HubSpotSettings, RoutineSettings
from fakes import FakeCrm
from models.crm import Company, Contact, DealDraft, Ticket
from models.ticket_status import StatusUpdate, TicketStatus
from sandbox.hubspot.seed import DEAL_PIPELINES, TICKET_PIPELINES, signer_contact_id
from sandbox.stack import SandboxStack
from sandbox.world import CUSTOMERS, OWNERS
from tests.contracts.conftest import FAST, moment, sandbox_settings
from tests.contracts.world import seeded_crm

ROUTINE = RoutineSettings()
FJORDKRAFT, AERLIG = CUSTOMERS[0], CUSTOMERS[1]
AGENT = OWNERS[0]


@dataclass
class CrmWorld:
    """The port, and the other side of it: what someone else does in HubSpot, and what HubSpot holds."""

    crm: Crm
    # Someone else sets properties of a "tickets", "deals" or "companies" record (stages as `stage` gives them).
    someone_sets: Callable[[str, str, dict[str, str]], None]
    # The stored value of a stage label ("tickets" or "deals", label): an id in HubSpot, the label in the fake.
    stage: Callable[[str, str], str]
    value: Callable[[str, str, str], str | None]
    note_count: Callable[[str], int]
    deal_count: Callable[[str], int]


def _stage_id(kind: str, label: str) -> str:
    table, pipeline = (TICKET_PIPELINES, ROUTINE.ticket_pipeline) if kind == "tickets" else (DEAL_PIPELINES, "Assist")
    stages = next(stages for _, name, stages in table if name == pipeline)
    return next(stage_id for stage_id, name in stages if name == label)


def _fake() -> CrmWorld:
    fake = seeded_crm(FakeCrm(settings=HubSpotSettings(**FAST)))
    return CrmWorld(
        crm=fake,
        someone_sets=fake.someone_sets,
        stage=lambda kind, label: label,
        value=fake.value,
        note_count=lambda ticket_id: len(fake.notes(ticket_id)),
        deal_count=lambda key: sum(deal.case_key == key for deal in fake.deals()),
    )


def _sandbox(sandboxes: SandboxStack) -> CrmWorld:
    app = sandboxes.hubspot
    app.reset()
    app.faults.set([])
    settings = sandbox_settings(sandboxes)

    def someone_sets(kind: str, object_id: str, values: dict[str, str]) -> None:
        with app.lock:
            app.store.update(kind, object_id, values)

    def value(kind: str, object_id: str, name: str) -> str | None:
        record = app.object(kind, object_id)
        assert record is not None
        found = record["properties"].get(name)
        return None if found is None else str(found)

    return CrmWorld(
        crm=HubSpotCrm(settings.hubspot, settings.routine),
        someone_sets=someone_sets,
        stage=_stage_id,
        value=value,
        note_count=lambda ticket_id: len(app.associations("tickets", ticket_id, "notes")),
        deal_count=lambda key: sum(
            deal["properties"].get(ROUTINE.case_key_property) == key for deal in app.objects("deals")
        ),
    )


@pytest.fixture
def world(target_kind: str, request: pytest.FixtureRequest) -> Iterator[CrmWorld]:
    yield _fake() if target_kind == "fake" else _sandbox(request.getfixturevalue("sandboxes"))


def deal_draft(case_key: str = "case-contract-1", licences: int = 30) -> DealDraft:
    return DealDraft(
        case_key=case_key,
        name=f"{FJORDKRAFT.name} - REFORHANDLING",
        close_date=date(2024, 10, 6),
        delivery_start=date(2024, 10, 4),
        licences=licences,
        agent_email=AGENT.email,
        company_id=FJORDKRAFT.company_id,
        contact_id=signer_contact_id(FJORDKRAFT),
        ticket_id=FJORDKRAFT.ticket_id,
    )


# --- reads ----------------------------------------------------------------------------------------------------------
def test_read_ticket(world: CrmWorld) -> None:
    ticket = world.crm.read_ticket(ticket_id=FJORDKRAFT.ticket_id)
    assert ticket.model_copy(update={"url": ""}) == Ticket(
        id=FJORDKRAFT.ticket_id,
        name=f"Henvendelse fra {FJORDKRAFT.signer_first} {FJORDKRAFT.signer_last}",
        stage="Ny",
        pipeline=ROUTINE.ticket_pipeline,
    )
    assert ticket.url.endswith(f"/record/0-5/{FJORDKRAFT.ticket_id}")


def test_read_company(world: CrmWorld) -> None:
    assert world.crm.read_company(company_id=FJORDKRAFT.company_id) == Company(
        id=FJORDKRAFT.company_id,
        name=FJORDKRAFT.name,
        org_number=FJORDKRAFT.org_number,
        address=FJORDKRAFT.address,
        postal_code=FJORDKRAFT.postal_code,
        city=FJORDKRAFT.city,
    )


@pytest.mark.parametrize(
    "read",
    [
        lambda crm: crm.read_ticket(ticket_id="999999"),
        lambda crm: crm.read_company(company_id="999999"),
        lambda crm: crm.read_deal(deal_id="999999"),
        lambda crm: crm.rename_ticket(ticket_id="999999", name="x"),
        lambda crm: crm.set_deal_licences(deal_id="999999", licences=3),
    ],
    ids=["ticket", "company", "deal", "rename", "deal-update"],
)
def test_missing_records_are_not_found(world: CrmWorld, read: Callable[[Crm], object]) -> None:
    with pytest.raises(NotFoundError):
        read(world.crm)


def test_find_contact_by_email_in_any_case(world: CrmWorld) -> None:
    contact = world.crm.find_contact(email=f"  {FJORDKRAFT.signer_email.upper()} ")
    assert contact == Contact(
        id=signer_contact_id(FJORDKRAFT),
        email=FJORDKRAFT.signer_email,
        first_name=FJORDKRAFT.signer_first,
        last_name=FJORDKRAFT.signer_last,
        phone=FJORDKRAFT.signer_phone,
        company_ids=(FJORDKRAFT.company_id,),
    )
    assert world.crm.find_contact(email="nobody@nowhere.example") is None


def test_owner_id_by_email_and_unknown_owner(world: CrmWorld) -> None:
    assert world.crm.owner_id(email=AGENT.email.upper()) == AGENT.id
    with pytest.raises(ConfigurationError):
        world.crm.owner_id(email="stranger@avonova.example")


# --- find or create -------------------------------------------------------------------------------------------------
def test_find_or_create_contact_finds_and_associates_the_company(world: CrmWorld) -> None:
    found = world.crm.find_or_create_contact(email=FJORDKRAFT.signer_email, company_id=AERLIG.company_id)
    # The contact as it was found, before this association.
    assert (found.id, found.company_ids) == (signer_contact_id(FJORDKRAFT), (FJORDKRAFT.company_id,))
    again = world.crm.find_contact(email=FJORDKRAFT.signer_email)
    assert again is not None and set(again.company_ids) == {FJORDKRAFT.company_id, AERLIG.company_id}


def test_find_or_create_contact_needs_a_name_to_create(world: CrmWorld) -> None:
    with pytest.raises(NotFoundError):
        world.crm.find_or_create_contact(email="ny.signer@fjordkraftbygg.example", company_id=FJORDKRAFT.company_id)
    assert world.crm.find_contact(email="ny.signer@fjordkraftbygg.example") is None


def test_find_or_create_contact_creates_once(world: CrmWorld) -> None:
    email = "Ny.Signer@fjordkraftbygg.example"
    created = world.crm.find_or_create_contact(email=email, company_id=FJORDKRAFT.company_id, name="Nora Ny Signer")
    assert (created.email, created.first_name, created.last_name) == (email.lower(), "Nora Ny", "Signer")
    again = world.crm.find_or_create_contact(email=email, company_id=FJORDKRAFT.company_id, name="Nora Ny Signer")
    assert again.id == created.id
    found = world.crm.find_contact(email=email)
    assert found is not None and found.id == created.id and found.company_ids == (FJORDKRAFT.company_id,)


def test_find_or_create_deal_never_makes_two(world: CrmWorld) -> None:
    first = world.crm.find_or_create_deal(deal=deal_draft())
    second = world.crm.find_or_create_deal(deal=deal_draft(licences=99))
    assert second.id == first.id
    assert (first.case_key, first.name) == ("case-contract-1", f"{FJORDKRAFT.name} - REFORHANDLING")
    assert world.deal_count("case-contract-1") == 1
    read = world.crm.read_deal(deal_id=first.id)
    assert (read.amount, read.stage, read.ticket_ids) == (30, ROUTINE.deal_stage, (FJORDKRAFT.ticket_id,))
    assert world.value("deals", first.id, ROUTINE.delivery_start_property) == "2024-10-04"


def test_associate_ticket_is_idempotent(world: CrmWorld) -> None:
    contact = signer_contact_id(FJORDKRAFT)
    for _ in range(2):
        world.crm.associate_ticket(ticket_id=FJORDKRAFT.ticket_id, company_id=FJORDKRAFT.company_id, contact_id=contact)
    ticket = world.crm.read_ticket(ticket_id=FJORDKRAFT.ticket_id)
    assert (ticket.company_ids, ticket.contact_ids) == ((FJORDKRAFT.company_id,), (contact,))


def test_note_with_a_marker_is_written_once(world: CrmWorld) -> None:
    ticket = FJORDKRAFT.ticket_id
    first = world.crm.add_ticket_note(ticket_id=ticket, marker="case-1:sent", body="Kontrakt sendt\nlinje 2")
    again = world.crm.add_ticket_note(ticket_id=ticket, marker="case-1:sent", body="Kontrakt sendt")
    other = world.crm.add_ticket_note(ticket_id=ticket, marker="case-1:signed", body="Signert")
    assert again == first != other
    assert world.note_count(ticket) == 2


# --- writes ---------------------------------------------------------------------------------------------------------
def test_rename_and_move_ticket_with_its_history(world: CrmWorld) -> None:
    ticket = FJORDKRAFT.ticket_id
    world.crm.rename_ticket(ticket_id=ticket, name="Reforhandling – Fjordkraft Bygg AS")
    outcome = world.crm.move_ticket(ticket_id=ticket, stage_label=ROUTINE.ticket_stage_sent)
    assert outcome.kept == {}
    read = world.crm.read_ticket(ticket_id=ticket)
    assert (read.name, read.stage) == ("Reforhandling – Fjordkraft Bygg AS", ROUTINE.ticket_stage_sent)
    history = world.crm.ticket_stage_history(ticket_id=ticket)
    assert [change.value for change in history] == ["Ny", ROUTINE.ticket_stage_sent]
    assert history[0].at < history[1].at


def test_unknown_stage_label_is_a_configuration_error(world: CrmWorld) -> None:
    with pytest.raises(ConfigurationError):
        world.crm.move_ticket(ticket_id=FJORDKRAFT.ticket_id, stage_label="Finnes ikke")
    assert world.crm.read_ticket(ticket_id=FJORDKRAFT.ticket_id).stage == "Ny"


def test_move_deal_and_set_its_fields(world: CrmWorld) -> None:
    deal = world.crm.find_or_create_deal(deal=deal_draft())
    world.crm.move_deal(deal_id=deal.id, stage_label=ROUTINE.deal_stage_won)
    world.crm.set_deal_licences(deal_id=deal.id, licences=42)
    world.crm.set_deal_delivery_start(deal_id=deal.id, start=date(2024, 11, 1))
    read = world.crm.read_deal(deal_id=deal.id)
    assert (read.stage, read.amount) == (ROUTINE.deal_stage_won, 42)
    assert world.value("deals", deal.id, ROUTINE.delivery_start_property) == "2024-11-01"


def test_assign_ticket_and_set_company_property(world: CrmWorld) -> None:
    world.crm.assign_ticket(ticket_id=FJORDKRAFT.ticket_id, owner_email=OWNERS[2].email)
    world.crm.set_company_property(company_id=FJORDKRAFT.company_id, name=ROUTINE.downward_property, value="12")
    assert world.crm.read_ticket(ticket_id=FJORDKRAFT.ticket_id).owner_id == OWNERS[2].id
    assert world.value("companies", FJORDKRAFT.company_id, ROUTINE.downward_property) == "12"


def _shown(world: CrmWorld, ticket: str) -> tuple[str | None, str | None]:
    return (
        world.value("tickets", ticket, ROUTINE.ticket_status_property),
        world.value("tickets", ticket, ROUTINE.ticket_link_property),
    )


def test_ticket_status_written_alone_and_riding_on_the_ticket_writes(world: CrmWorld) -> None:
    ticket, link = FJORDKRAFT.ticket_id, "http://prefect.example/runs/flow-run/1"
    world.crm.rename_ticket(
        ticket_id=ticket,
        name="Reforhandling – Fjordkraft Bygg AS",
        status=StatusUpdate(status=TicketStatus.STARTED, link=link),
    )
    assert _shown(world, ticket) == ("Startet", link)
    outcome = world.crm.set_ticket_status(
        ticket_id=ticket, status=StatusUpdate(status=TicketStatus.AWAITING_APPROVAL, link=link)
    )
    assert (outcome.kept, outcome.ours) == ({}, {ROUTINE.ticket_status_property: "Venter på godkjenning"})
    assert _shown(world, ticket) == ("Venter på godkjenning", link)
    world.crm.move_ticket(
        ticket_id=ticket,
        stage_label=ROUTINE.ticket_stage_sent,
        status=StatusUpdate(status=TicketStatus.SENT, link=link),
    )
    assert _shown(world, ticket) == ("Sendt til kunde", link)
    world.crm.assign_ticket(
        ticket_id=ticket, owner_email=OWNERS[2].email, status=StatusUpdate(status=TicketStatus.COMPLETED, link=link)
    )
    assert _shown(world, ticket) == ("Fullført", link)
    # No status given: the ticket keeps the one it shows.
    world.crm.move_ticket(ticket_id=ticket, stage_label="Lukket")
    assert _shown(world, ticket) == ("Fullført", link)


def test_since_keeps_a_newer_ticket_status_someone_else_set(world: CrmWorld) -> None:
    ticket = FJORDKRAFT.ticket_id
    since = moment()
    world.someone_sets("tickets", ticket, {ROUTINE.ticket_status_property: "Avbrutt"})
    outcome = world.crm.set_ticket_status(
        ticket_id=ticket, status=StatusUpdate(status=TicketStatus.SIGNED, link=""), since=since
    )
    assert outcome.kept == {ROUTINE.ticket_status_property: "Avbrutt"}
    assert _shown(world, ticket)[0] == "Avbrutt"


# --- checked writes -------------------------------------------------------------------------------------------------
def test_since_with_nothing_changed_writes(world: CrmWorld) -> None:
    deal = world.crm.find_or_create_deal(deal=deal_draft())
    outcome = world.crm.set_deal_licences(deal_id=deal.id, licences=50, since=moment())
    assert (outcome.kept, outcome.ours) == ({}, {"amount": "50"})
    assert world.crm.read_deal(deal_id=deal.id).amount == 50


def test_since_finds_our_own_landed_write(world: CrmWorld) -> None:
    ticket = FJORDKRAFT.ticket_id
    since = moment()
    world.crm.move_ticket(ticket_id=ticket, stage_label=ROUTINE.ticket_stage_sent)
    outcome = world.crm.move_ticket(ticket_id=ticket, stage_label=ROUTINE.ticket_stage_sent, since=since)
    assert outcome.kept == {} and not outcome.restored
    assert len(world.crm.ticket_stage_history(ticket_id=ticket)) == 2


def test_since_keeps_a_newer_value_someone_else_set(world: CrmWorld) -> None:
    deal = world.crm.find_or_create_deal(deal=deal_draft())
    since = moment()
    world.someone_sets("deals", deal.id, {"amount": "45"})
    outcome = world.crm.set_deal_licences(deal_id=deal.id, licences=50, since=since)
    assert outcome.kept == {"amount": "45"} and not outcome.restored
    assert outcome.at is not None and outcome.at >= since
    assert world.crm.read_deal(deal_id=deal.id).amount == 45


def test_since_keeps_a_newer_ticket_stage(world: CrmWorld) -> None:
    ticket = FJORDKRAFT.ticket_id
    since = moment()
    closed = world.stage("tickets", "Lukket")
    world.someone_sets("tickets", ticket, {"hs_pipeline_stage": closed})
    outcome = world.crm.move_ticket(ticket_id=ticket, stage_label=ROUTINE.ticket_stage_sent, since=since)
    assert outcome.kept == {"hs_pipeline_stage": closed}
    assert world.crm.read_ticket(ticket_id=ticket).stage == "Lukket"


def test_since_puts_back_a_value_our_late_write_landed_over(world: CrmWorld) -> None:
    company = FJORDKRAFT.company_id
    since = moment()
    world.someone_sets("companies", company, {ROUTINE.downward_property: "7"})
    world.someone_sets("companies", company, {ROUTINE.downward_property: "12"})  # our request, landing late
    outcome = world.crm.set_company_property(
        company_id=company, name=ROUTINE.downward_property, value="12", since=since
    )
    assert (outcome.kept, outcome.restored) == ({ROUTINE.downward_property: "7"}, True)
    assert world.value("companies", company, ROUTINE.downward_property) == "7"


def test_fake_is_a_crm() -> None:
    # mypy checks this assignment: the fake implements the port exactly.
    crm: Crm = FakeCrm()
    assert crm.calls == 0
