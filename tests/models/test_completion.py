"""The one composition of a case's completion and closing notes, as table rows: the writes in the flow's order per
direction and route, the texts they carry, and the notes of a case closed before its signature."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config.settings import RoutineSettings
from models.agreement import Agreement, AgreementBasis
from models.completion import (
    AssignTicket,
    Completion,
    CompletionWrite,
    MoveDeal,
    SendMail,
    SetDownwardAdjustment,
    SetLicences,
    WriteNote,
    compose_completion,
)
from models.crm import Company, Ticket
from models.messages import csc_handover_message, sales_registration_message
from models.notes import cancellation_note, invoice_note, ops_cancellation_note, rejection_note
from models.plan import describe_write
from models.rules import Route

ROUTINE = RoutineSettings()
TICKET = Ticket(id="5001", name="Reforhandling - Fjord", url="https://app.example/record/0-5/5001")
COMPANY = Company(id="9001", name="Fjord Kraft AS")
SIGNED_ON = date(2026, 12, 4)


def completion(licences: int, *, sold_on: date = date(2025, 10, 1)) -> Completion:
    current = Agreement(contract_id="DB-1", licences=40, price_per_licence=Decimal("450"), signed_on=sold_on)
    return compose_completion(
        AgreementBasis(org_number="923456783", current=current, sold=current),
        case_key="RF-5001-1-abc",
        company=COMPANY,
        ticket=TICKET,
        licences=licences,
        price_per_licence=Decimal("450"),
        start_date=date(2027, 1, 1),
        signed_on=SIGNED_ON,
        routine=ROUTINE,
        deal_url="https://app.example/record/0-3/77",
        contract_id="DB-2",
        contract_url="https://db.example/preview/2",
    )


@pytest.mark.parametrize(
    ("licences", "sold_on", "removed", "route", "mails"),
    [
        pytest.param(30, date(2025, 10, 1), 10, Route.CSC, ["csc-handover"], id="a large cut goes to CSC"),
        pytest.param(38, date(2025, 10, 1), 2, Route.INVOICE_SERVICE, [], id="a small cut stays with invoice"),
        pytest.param(50, date(2025, 10, 1), 0, Route.INVOICE_SERVICE, ["sales-registration"], id="up, a new sale"),
        pytest.param(50, date(2020, 10, 1), 0, Route.INVOICE_SERVICE, [], id="up, sold over 36 months ago"),
        pytest.param(40, date(2025, 10, 1), 0, Route.INVOICE_SERVICE, [], id="the count unchanged"),
    ],
)
def test_the_completion_writes_in_the_flows_order_with_the_decided_values(
    licences: int, sold_on: date, removed: int, route: Route, mails: list[str]
) -> None:
    composed = completion(licences, sold_on=sold_on)

    owner = ROUTINE.csc_owner if route is Route.CSC else ROUTINE.invoice_service_owner
    assert composed.writes == (
        MoveDeal(step="won", stage=ROUTINE.deal_stage_won),
        SetLicences(customer_id="923456783", licences_before=40, licences=licences),
        SetDownwardAdjustment(company_id="9001", property_name=ROUTINE.downward_property, removed=removed),
        WriteNote(step="invoice", ticket_id="5001", text=composed.note),
        AssignTicket(ticket_id="5001", owner=owner, route=route),
        *composed.mails,
    )
    assert [mail.step for mail in composed.mails] == mails
    assert (composed.decisions.ticket_owner, composed.decisions.route) == (owner, route)


@pytest.mark.parametrize(
    ("licences", "handover", "registration"),
    [
        pytest.param(30, True, False, id="CSC is told of a large cut"),
        pytest.param(50, False, True, id="sales registration is told of a new sale"),
        pytest.param(38, False, False, id="a small cut tells no one by e-mail"),
    ],
)
def test_the_texts_are_the_notes_and_messages_of_the_change(licences: int, handover: bool, registration: bool) -> None:
    composed = completion(licences)
    summary = composed.summary

    assert (summary.deal_url, summary.ticket_url, summary.contract_id) == (
        "https://app.example/record/0-3/77",
        TICKET.url,
        "DB-2",
    )
    assert composed.note == invoice_note(summary, composed.decisions)
    assert composed.handover == (csc_handover_message(summary, recipient=ROUTINE.csc_recipient) if handover else None)
    assert composed.registration == (
        sales_registration_message(
            summary,
            recipient=ROUTINE.sales_registration_recipient,
            months=ROUTINE.sales_registration_months,
            periods_per_year=ROUTINE.price_periods_per_year,
        )
        if registration
        else None
    )
    sent = [mail.message for mail in composed.mails]
    assert sent == [message for message in (composed.handover, composed.registration) if message is not None]


def test_an_increase_whose_sold_agreement_is_dated_after_the_signature_is_held_for_a_person() -> None:
    composed = completion(50, sold_on=date(2026, 12, 5))

    assert composed.decisions.attention and "2026-12-05" in composed.decisions.attention
    assert composed.registration is None


@pytest.mark.parametrize(
    ("write", "manual", "line"),
    [
        pytest.param(
            SetLicences(customer_id="923456783", licences_before=40, licences=30),
            False,
            "Avonova Digital: customer 923456783: licences 40 -> 30",
            id="licences through the API",
        ),
        pytest.param(
            SetLicences(customer_id="923456783", licences_before=40, licences=30),
            True,
            "Avonova Digital: by hand: a person sets the count and confirms it in the form",
            id="licences by hand",
        ),
        pytest.param(
            AssignTicket(ticket_id="5001", owner="csc@avonova.example", route=Route.CSC),
            False,
            "HubSpot ticket 5001: owner -> csc@avonova.example (csc)",
            id="the ticket's owner",
        ),
        pytest.param(
            SetDownwardAdjustment(company_id="9001", property_name="nedjustering", removed=0),
            False,
            "HubSpot company 9001: nedjustering = 0",
            id="nedjustering",
        ),
    ],
)
def test_the_plan_lists_a_write_as_the_flow_makes_it(write: CompletionWrite, manual: bool, line: str) -> None:
    assert describe_write(write, routine=ROUTINE, manual_licences=manual) == line


def test_the_plan_names_each_mail_by_its_recipient_and_subject() -> None:
    [mail] = completion(30).mails

    assert isinstance(mail, SendMail)
    assert describe_write(mail, routine=ROUTINE, manual_licences=False) == (
        f"e-mail to {ROUTINE.csc_recipient}: {mail.message.subject}"
    )


@pytest.mark.parametrize(
    ("note", "text"),
    [
        pytest.param(
            rejection_note(case_key="RF-1", approver="Ingrid", comment="Feil pris"),
            "Reforhandling avvist av Ingrid (sak RF-1); kontraktutkastet er kansellert. Begrunnelse: Feil pris",
            id="rejected by the approver",
        ),
        pytest.param(
            cancellation_note(case_key="RF-1", decided_by="Ingrid", outcome="EXPIRED", comment="Svarer ikke"),
            "Reforhandling avbrutt av Ingrid (sak RF-1); kontrakten ble ikke signert (EXPIRED) og er kansellert. "
            "Begrunnelse: Svarer ikke",
            id="cancelled after an expiry",
        ),
        pytest.param(
            cancellation_note(case_key="RF-1", decided_by="", outcome="DECLINED", comment=None),
            "Reforhandling avbrutt av ukjent (sak RF-1); kontrakten ble ikke signert (DECLINED) og er kansellert.",
            id="cancelled after a decline, no name and no reason",
        ),
        pytest.param(
            ops_cancellation_note(
                case_key="RF-1", actor="ops", reason=" Kunden har sagt opp ", contract_cancelled=True
            ),
            "Reforhandling avbrutt av ops (sak RF-1); kontrakten er kansellert. Begrunnelse: Kunden har sagt opp",
            id="cancelled by ops with a contract",
        ),
        pytest.param(
            ops_cancellation_note(case_key="RF-1", actor="ops", reason="Feil kunde", contract_cancelled=False),
            "Reforhandling avbrutt av ops (sak RF-1). Begrunnelse: Feil kunde",
            id="cancelled by ops before a contract was drafted",
        ),
        pytest.param(
            ops_cancellation_note(
                case_key="RF-1",
                actor="ops\x1b[2J\r\n",
                reason="Sagt opp\r\n\x1b[31mRing\u202e kunden",
                contract_cancelled=True,
            ),
            "Reforhandling avbrutt av ops (sak RF-1); kontrakten er kansellert. Begrunnelse: Sagt opp\nRing kunden",
            id="ops' words without escapes, controls or bidi overrides",
        ),
    ],
)
def test_every_closing_note_has_one_shape(note: str, text: str) -> None:
    assert note == text
