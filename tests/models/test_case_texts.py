from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from config.settings import RoutineSettings
from models.approval import ApprovalFacts, approval_description, approval_problems
from models.change import ChangeSummary, completion_plan
from models.contract import Contract, ContractLine, ContractState
from models.notes import invoice_note, rejection_note
from models.signature import signature_outcome


def facts(**changes: object) -> ApprovalFacts:
    base = ApprovalFacts(
        case_key="RF-5003-1-abc123",
        attempt=1,
        company_name="Blåbær Helse og Omsorg AS",
        org_number="934567811",
        signer_name="Bjørn Lærum",
        signer_email="bjorn.laerum@blabaerhelse.example",
        licences_before=100,
        licences_after=70,
        price_before=Decimal("390"),
        price_after=Decimal("1249.5"),
        start_date=date(2026, 12, 1),
        signing_deadline=date(2026, 12, 4),
        lines=(
            ContractLine(name="Avonova Assist lisens", quantity=70, unit_price=Decimal("1249.5")),
            ContractLine(name="Kursmodul", quantity=1, unit_price=Decimal("3000"), discount_percent=Decimal("10")),
            ContractLine(
                name="digital oppstart", quantity=1, unit_price=Decimal("2500"), discount_percent=Decimal("100")
            ),
        ),
        preview_url="http://127.0.0.1:8782/preview/t1",
        sold_signed_on=date(2024, 7, 20),
    )
    return base.model_copy(update=changes)


def test_the_approval_form_shows_before_and_after_lines_and_the_preview_link() -> None:
    text = approval_description(facts())

    assert "## Godkjenn reforhandling: Blåbær Helse og Omsorg AS" in text
    # The key figures first, one short line each.
    assert "**Lisenser:** 100 → **70**  \n" in text
    assert "**Pris per lisens:** 390,00 kr → **1 249,50 kr** (det kunden betaler)  \n" in text
    assert "**Oppstart:** **01.12.2026**, signeringsfrist **04.12.2026**" in text
    assert "**Årsverdi:** 39 000,00 kr → **87 465,00 kr**\n" in text
    assert text.index("**Årsverdi:**") < text.index("| Linje |")
    assert "| digital oppstart | 1 | 2 500,00 kr | 100 % | 0,00 kr |" in text
    assert "| Kursmodul | 1 | 3 000,00 kr | 10 % | 2 700,00 kr |" in text
    assert "Solgt avtale signert **20.07.2024**" in text
    assert "(http://127.0.0.1:8782/preview/t1)" in text
    assert "Ikke godkjent" not in text


def test_the_approval_form_repeats_why_the_last_answer_was_not_used() -> None:
    text = approval_description(facts(attempt=2, problems=("Godkjent av er tom",)))

    assert text.index("**Ikke godkjent:** Godkjent av er tom") < text.index("**Lisenser:**")


def test_without_a_sold_agreement_the_form_says_the_36_month_rule_uses_the_oldest_one() -> None:
    text = approval_description(facts(sold_is_fallback=True))

    assert "36-månedersregelen regnes fra den eldste signerte avtalen, signert **20.07.2024**" in text


def test_names_from_other_systems_render_as_text_in_the_form() -> None:
    text = approval_description(
        facts(company_name="![x](http://evil.example/x.png) [a](javascript:alert(1)) **b** <img src=x>\nNy linje")
    )
    heading = text.splitlines()[0]

    assert "](" not in heading.replace("\\]\\(", "")
    assert re.search(r"(?<!\\)<img", text) is None and "\\<img" in text
    assert "\nNy linje" not in text


@pytest.mark.parametrize(
    ("approver", "licences", "price", "problem"),
    [
        ("Ola", None, None, None),
        ("Ola", 50, Decimal("399.90"), None),
        ("  ", None, None, "Godkjent av er tom"),
        ("Mallory", None, None, "Mallory står ikke på listen over godkjennere"),
        ("Ola", 0, None, "Antall lisenser: fikk 0; 0 licences ends the agreement"),
        ("Ola", 100_001, None, "Antall lisenser: fikk 100001; give at most 100000"),
        ("Ola", None, Decimal("0"), "Pris per lisens: fikk 0"),
        ("Ola", None, Decimal("12.345"), "Pris per lisens: fikk 12\\.345"),
        ("Ola", None, Decimal("100000.01"), "give at most 100000 NOK"),
    ],
    ids=[
        "a named approval is usable",
        "a named correction is usable",
        "a blank approver is refused",
        "someone not on the approvers list is refused",
        "zero licences are refused as a termination",
        "more licences than the bound are refused",
        "a zero price is refused",
        "three decimals are refused",
        "a price above the bound is refused",
    ],
)
def test_approval_problems(approver: str, licences: int | None, price: Decimal | None, problem: str | None) -> None:
    problems = approval_problems(
        approver=approver, licences=licences, price_per_licence=price, approvers=RoutineSettings().approvers
    )

    assert problems == [] if problem is None else problem in problems[0]


def contract(state: ContractState) -> Contract:
    return Contract(id="D1", case_key="RF-1", state=state, raw_status=state.value.title())


@pytest.mark.parametrize(
    ("state", "today", "outcome"),
    [
        (ContractState.SENT, date(2026, 12, 4), None),
        (ContractState.VIEWED, date(2026, 12, 4), None),
        (ContractState.SENT, date(2026, 12, 5), ContractState.EXPIRED),
        (ContractState.SIGNED, date(2026, 12, 9), ContractState.SIGNED),
        (ContractState.DECLINED, date(2026, 12, 1), ContractState.DECLINED),
        (ContractState.EXPIRED, date(2026, 12, 1), ContractState.EXPIRED),
    ],
    ids=[
        "sent, on the deadline day: still waiting",
        "viewed, on the deadline day: still waiting",
        "sent, the day after the deadline: expired",
        "signed after the deadline: still signed",
        "declined: declined",
        "expired by the provider: expired",
    ],
)
def test_signature_outcome(state: ContractState, today: date, outcome: ContractState | None) -> None:
    assert signature_outcome(contract(state), deadline=date(2026, 12, 4), today=today) == outcome


def test_a_contract_the_provider_no_longer_returns_waits_until_its_deadline_and_then_counts_as_expired() -> None:
    assert signature_outcome(None, deadline=date(2026, 12, 4), today=date(2026, 12, 4)) is None
    assert signature_outcome(None, deadline=date(2026, 12, 4), today=date(2026, 12, 5)) == ContractState.EXPIRED


def test_the_invoice_note_gives_price_licences_and_start_date_before_and_after_the_route_and_where_to_look() -> None:
    summary = ChangeSummary(
        case_key="RF-5002-1-abc123",
        company_name="Ærlig Økonomi AS",
        org_number="923456716",
        licences_before=60,
        licences_after=54,
        price_before=Decimal("420"),
        price_after=Decimal("425.50"),
        start_before=date(2022, 9, 15),
        start_date=date(2026, 12, 1),
        signed_on=date(2026, 11, 30),
        sold_signed_on=date(2022, 9, 1),
        deal_url="https://app.example/record/0-3/77",
        ticket_url="https://app.example/record/0-5/5002",
        contract_id="DB-2001",
        contract_url="https://db.example/preview/abc",
    )
    note = invoice_note(summary, completion_plan(summary, RoutineSettings()))

    assert note.splitlines() == [
        "Reforhandling signert 30.11.2026 (sak RF-5002-1-abc123). Til ordre/faktura:",
        "Antall lisenser: 60 → 54",
        "Pris per lisens: 420,00 kr → 425,50 kr",
        "Oppstartsdato: 15.09.2022 → 01.12.2026",
        "Nedjusteringen (6 lisenser) håndteres av ordre/faktura (Invoice service); ticketen er tildelt dem "
        "(fordelingen regnes etter antall lisenser som fjernes).",
        "Sak: RF-5002-1-abc123",
        "Deal i HubSpot: https://app.example/record/0-3/77",
        "Ticket i HubSpot: https://app.example/record/0-5/5002",
        "Signert kontrakt i Dealbuilder: DB-2001 https://db.example/preview/abc",
    ]


def test_the_rejection_note_names_the_approver_and_the_reason() -> None:
    assert rejection_note(case_key="RF-1", approver="Ingrid", comment=" Feil pris ") == (
        "Reforhandling avvist av Ingrid (sak RF-1); kontraktutkastet er kansellert. Begrunnelse: Feil pris"
    )


def test_the_rejection_note_keeps_the_reasons_lines_and_drops_escapes_controls_and_bidi_overrides() -> None:
    note = rejection_note(
        case_key="RF-1", approver="Ingrid\x1b[2J\r\n", comment="Feil pris\r\n\x1b[31mRing\u202e kunden"
    )

    assert note == (
        "Reforhandling avvist av Ingrid (sak RF-1); kontraktutkastet er kansellert. Begrunnelse: Feil pris\nRing kunden"
    )
