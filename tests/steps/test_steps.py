"""The routine's steps on the in-memory fakes of the ports: no Prefect, no HTTP, no case store. Each step is given
its input and its ports, and the test reads what the fake system holds and which transition the step asks for."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from config.settings import RoutineSettings
from fakes import FakeContracts, FakeCrm, FakeMailer
from models.case import CaseState
from models.contract import Contract, ContractState
from models.crm import EnrichedTicket, Ticket
from models.mail import MailMessage
from models.renegotiation import NothingToRenegotiate, Terms
from models.rules import deal_close_date, signing_deadline
from sandbox.world import CUSTOMERS, SeedCustomer
from steps import contract, deal, licences, mail, ticket
from steps.agreement import find_agreements, refuse_if_unchanged
from steps.enrichment import EnrichTicket, TicketNotReady, enrich_ticket
from steps.transition import Done
from tests.contracts.world import seeded_contracts, seeded_crm, seeded_licences

ROUTINE = RoutineSettings()
TODAY = date(2026, 3, 10)
FJORDKRAFT = CUSTOMERS[0]
AGENT = "agent@avonova.example"


@pytest.fixture
def crm() -> FakeCrm:
    return seeded_crm()


@pytest.fixture
def contracts() -> FakeContracts:
    return seeded_contracts(TODAY)


def enriched(crm: FakeCrm, customer: SeedCustomer = FJORDKRAFT) -> EnrichedTicket:
    return enrich_ticket(crm, EnrichTicket(ticket_id=customer.ticket_id, signer_email=customer.signer_email)).value


@pytest.mark.parametrize("customer", CUSTOMERS[:3], ids=lambda customer: customer.name)
def test_enriching_links_the_ticket_to_the_signers_company_and_names_it(crm: FakeCrm, customer: SeedCustomer) -> None:
    done = enrich_ticket(crm, EnrichTicket(ticket_id=customer.ticket_id, signer_email=customer.signer_email))

    ticket_read = crm.read_ticket(ticket_id=customer.ticket_id)
    assert ticket_read.name == f"Reforhandling - {customer.name}"
    assert ticket_read.company_ids == (customer.company_id,)
    assert done.value.contact.id in ticket_read.contact_ids
    assert done.transition.state is CaseState.ENRICHED
    assert done.transition.fields == {"company_id": customer.company_id, "company_name": customer.name}
    assert done.transition.details["hubspot_calls"] > 0


def test_enriching_again_writes_nothing(crm: FakeCrm) -> None:
    request = EnrichTicket(ticket_id=FJORDKRAFT.ticket_id, signer_email=FJORDKRAFT.signer_email)
    enrich_ticket(crm, request)
    before = crm.value("tickets", FJORDKRAFT.ticket_id, "subject")

    again = enrich_ticket(crm, request)

    # Reads only: ticket, signer, company, contact (found): no association and no rename the second time.
    assert again.transition.details["hubspot_calls"] == 4
    assert crm.value("tickets", FJORDKRAFT.ticket_id, "subject") == before


def test_a_ticket_with_two_companies_needs_a_person_to_say_which(crm: FakeCrm) -> None:
    crm.add_ticket(Ticket(id="5999", name="Two", company_ids=(CUSTOMERS[0].company_id, CUSTOMERS[1].company_id)))

    with pytest.raises(TicketNotReady, match="has companies"):
        enrich_ticket(crm, EnrichTicket(ticket_id="5999", signer_email=FJORDKRAFT.signer_email))
    # The company the agent names settles it.
    done = enrich_ticket(
        crm, EnrichTicket(ticket_id="5999", signer_email=FJORDKRAFT.signer_email, company_id=CUSTOMERS[1].company_id)
    )
    assert done.value.company.id == CUSTOMERS[1].company_id


@pytest.mark.parametrize(
    ("licences", "price", "refused"),
    [
        (40, "450.00", True),  # what the customer has
        (30, "450.00", False),
        (40, "399.00", False),
        (55, "500.00", False),
    ],
)
def test_a_request_that_changes_nothing_is_refused(
    crm: FakeCrm, contracts: FakeContracts, licences: int, price: str, refused: bool
) -> None:
    basis = find_agreements(contracts, ROUTINE, enriched(crm).company)
    assert (basis.current.licences, basis.current.paid_per_licence) == (40, Decimal("450.00"))
    terms = Terms(licences=licences, price_per_licence=Decimal(price))

    if refused:
        with pytest.raises(NothingToRenegotiate):
            refuse_if_unchanged(basis, terms)
    else:
        refuse_if_unchanged(basis, terms)


@pytest.mark.parametrize(
    ("today", "agreed_start", "close", "delivery"),
    [
        (date(2026, 3, 10), None, date(2026, 3, 12), "2026-03-10"),
        (date(2026, 3, 31), None, date(2026, 3, 31), "2026-03-31"),  # never past the month's last day
        (date(2026, 3, 10), date(2026, 4, 1), date(2026, 3, 12), "2026-04-01"),  # the agreed start
    ],
)
def test_the_deal_is_created_once_with_the_routines_fields(
    crm: FakeCrm, today: date, agreed_start: date | None, close: date, delivery: str
) -> None:
    request = deal.CreateDeal(
        case_key="R-1", enriched=enriched(crm), licences=55, agent_email=AGENT, agreed_start=agreed_start, today=today
    )

    done = deal.create_deal(crm, request)
    again = deal.create_deal(crm, request)

    assert again.value.id == done.value.id and len(crm.deals()) == 1
    assert done.value.name == f"{FJORDKRAFT.name} - REFORHANDLING"
    assert crm.value("deals", done.value.id, "amount") == "55"
    assert crm.value("deals", done.value.id, "closedate") == f"{close.isoformat()}T00:00:00.000Z"
    assert close == deal_close_date(today)
    assert crm.value("deals", done.value.id, ROUTINE.delivery_start_property) == delivery
    assert (done.transition.state, done.transition.fields) == (CaseState.DEAL_CREATED, {"deal_id": done.value.id})


def draft(crm: FakeCrm, contracts: FakeContracts, terms: Terms) -> Done[Contract]:
    ticket_ = enriched(crm)
    basis = find_agreements(contracts, ROUTINE, ticket_.company)
    request = contract.DraftContract(
        case_key="R-1",
        enriched=ticket_,
        deal_id="D-1",
        agreement=basis.current,
        terms=terms,
        agreed_start=None,
        today=TODAY,
    )
    return contract.draft_contract(contracts, ROUTINE, request)


def test_the_draft_carries_the_new_terms_and_a_weeks_deadline(crm: FakeCrm, contracts: FakeContracts) -> None:
    done = draft(crm, contracts, Terms(licences=55, price_per_licence=Decimal("430")))

    preview = contracts.preview(contract_id=done.value.id)
    [line] = [line for line in preview.lines if line.name == ROUTINE.licence_line]
    assert (line.quantity, line.unit_price) == (55, Decimal("430"))
    assert preview.signing_deadline == signing_deadline(TODAY)
    assert done.transition.state is CaseState.DRAFTED
    assert done.transition.fields == {"contract_id": done.value.id, "signing_deadline": signing_deadline(TODAY)}
    # Found again, not drafted twice.
    assert draft(crm, contracts, Terms(licences=55, price_per_licence=Decimal("430"))).value.id == done.value.id


def test_a_correction_changes_the_draft_and_the_case_terms(crm: FakeCrm, contracts: FakeContracts) -> None:
    contract_id = draft(crm, contracts, Terms(licences=55, price_per_licence=Decimal("430"))).value.id
    correction = contract.CorrectDraft(
        contract_id=contract_id, attempt=1, terms=Terms(licences=50, price_per_licence=Decimal("440")), today=TODAY
    )

    outcome = contract.correct_draft(contracts, correction, None)

    assert not outcome.kept
    [line] = [x for x in contracts.preview(contract_id=contract_id).lines if x.name == ROUTINE.licence_line]
    assert (line.quantity, line.unit_price) == (50, Decimal("440"))
    transition = contract.corrected(correction)
    assert (transition.state, transition.fields) == (
        CaseState.DRAFTED,
        {"licences_after": 50, "price_after": Decimal("440")},
    )


@pytest.mark.parametrize(
    ("customer_does", "round_", "deliveries"),
    [
        (None, 1, ["send"]),
        ("decline", 2, ["send", "resend"]),
        ("sign", 2, ["send"]),  # signed meanwhile: not resent, the poller resumes the case as signed
    ],
)
def test_sending_and_resending(
    crm: FakeCrm, contracts: FakeContracts, customer_does: str | None, round_: int, deliveries: list[str]
) -> None:
    contract_id = draft(crm, contracts, Terms(licences=55, price_per_licence=Decimal("430"))).value.id
    first = contract.send_contract(
        contracts, contract.SendContract(contract_id=contract_id, round=1, deadline=signing_deadline(TODAY))
    )
    done = first
    if customer_does is not None:
        getattr(contracts, customer_does)(contract_id)
        later = signing_deadline(TODAY + timedelta(days=3))
        done = contract.send_contract(
            contracts, contract.SendContract(contract_id=contract_id, round=round_, deadline=later)
        )

    assert [delivery.kind for delivery in contracts.deliveries] == deliveries
    assert done.transition.state is CaseState.SENT
    assert done.transition.details["round"] == round_
    if customer_does == "sign":
        assert done.value.state is ContractState.SIGNED


def test_cancelling_a_sent_contract(crm: FakeCrm, contracts: FakeContracts) -> None:
    contract_id = draft(crm, contracts, Terms(licences=55, price_per_licence=Decimal("430"))).value.id
    contract.send_contract(
        contracts, contract.SendContract(contract_id=contract_id, round=1, deadline=signing_deadline(TODAY))
    )

    assert contract.cancel_contract(contracts, contract_id).state is ContractState.CANCELED
    assert contract.read_contract(contracts, contract_id).state is ContractState.CANCELED


def test_the_crm_writes_land_on_the_deal_ticket_and_company(crm: FakeCrm) -> None:
    found = enriched(crm)
    created = deal.create_deal(
        crm, deal.CreateDeal("R-1", found, licences=55, agent_email=AGENT, agreed_start=None, today=TODAY)
    ).value
    owner = "fakturering@avonova.example"
    crm.add_owner(owner, "777")

    deal.set_deal_licences(crm, deal.DealLicences(deal_id=created.id, licences=50), None)
    deal.set_delivery_start(crm, deal.DeliveryStart(deal_id=created.id, start=date(2026, 4, 1)), None)
    deal.move_deal(crm, deal.DealStage(deal_id=created.id, stage_label=ROUTINE.deal_stage_won), None)
    ticket.move_ticket(crm, ticket.TicketStage(ticket_id=found.ticket.id, stage_label=ROUTINE.ticket_stage_sent), None)
    ticket.assign_ticket(crm, ticket.TicketOwner(ticket_id=found.ticket.id, owner_email=owner), None)
    change = ticket.DownwardAdjustment(company_id=found.company.id, field=ROUTINE.downward_property, removed=5)
    ticket.set_downward_adjustment(crm, change, None)
    note = ticket.TicketNote(ticket_id=found.ticket.id, marker="[R-1/invoice]", body="Ny pris", first_attempt=True)
    first = ticket.write_ticket_note(crm, note)
    again = ticket.write_ticket_note(crm, ticket.TicketNote(found.ticket.id, "[R-1/invoice]", "Ny pris", False))

    assert crm.value("deals", created.id, "amount") == "50"
    assert crm.value("deals", created.id, ROUTINE.delivery_start_property) == "2026-04-01"
    assert crm.value("deals", created.id, "dealstage") == ROUTINE.deal_stage_won
    assert crm.value("tickets", found.ticket.id, "hs_pipeline_stage") == ROUTINE.ticket_stage_sent
    assert crm.value("tickets", found.ticket.id, "hubspot_owner_id") == "777"
    assert crm.value("companies", found.company.id, ROUTINE.downward_property) == "5"
    # One note: the retry found the first by its marker.
    assert (again, crm.notes(found.ticket.id)) == (first, ["Ny pris"])


def test_the_licence_count_is_set_once_per_case() -> None:
    admin = seeded_licences()
    change = licences.SetLicences(case_key="R-1", customer_id=FJORDKRAFT.org_number, licences=55)

    done = licences.adjust_licences(admin, change)
    licences.adjust_licences(admin, change)

    assert done.value == 55 and admin.read_licences(customer_id=FJORDKRAFT.org_number) == 55
    assert len(admin.changes) == 1
    assert (done.transition.state, dict(done.transition.details)) == (
        CaseState.LICENCES_ADJUSTED,
        {"licences": 55, "by": "api"},
    )


def test_a_mail_goes_out_with_its_fixed_message_id() -> None:
    mailer = FakeMailer()
    message = MailMessage(
        to=("salg@avonova.example",), subject="Salg", text="Registrer", html="<p>Registrer</p>", message_id="<r-1@x>"
    )

    assert mail.send_mail(mailer, message) == "<r-1@x>"
    assert mailer.to("salg@avonova.example") == [message]
