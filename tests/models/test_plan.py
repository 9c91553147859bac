"""`reforhandling plan`'s composition as table rows: each direction and route, a new signer, the lines, the value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from config.settings import RoutineSettings
from models.agreement import Agreement, AgreementBasis, ContractLine
from models.change import yearly_value
from models.crm import Company, Contact, Ticket
from models.plan import plan_text, renegotiation_plan
from models.renegotiation import RenegotiationRequest
from models.rules import Route

ROUTINE = RoutineSettings()
TODAY = date(2026, 12, 4)
TICKET = Ticket(id="5001", name="Kunden vil endre", stage="Ny", pipeline="Kundesenter")
COMPANY = Company(id="9001", name="Fjord *Kraft*", org_number="923 456 783")
CONTACT = Contact(id="7001", email="kari@fjord.example", first_name="Kari", last_name="N", phone="+4790000000")


def basis(*, sold_on: date = date(2025, 10, 1)) -> AgreementBasis:
    current = Agreement(
        contract_id="DB-1",
        licences=40,
        price_per_licence=Decimal("500"),
        licence_discount_percent=Decimal("10"),
        signed_on=sold_on,
        lines=(
            ContractLine(name=ROUTINE.licence_line, quantity=40, unit_price=Decimal("500"), discount_percent=10),
            ContractLine(name="Arbeidsmiljøkartlegging", quantity=1, unit_price=Decimal("9000")),
        ),
    )
    return AgreementBasis(org_number="923456783", current=current, sold=current)


def request(licences: int, price: str, **extra: str) -> RenegotiationRequest:
    return RenegotiationRequest(
        ticket_id="5001",
        signer_email="kari@fjord.example",
        licences=licences,
        price_per_licence=Decimal(price),
        agent_email="ola@avonova.example",
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("licences", "price", "sold_on", "removed", "route", "mails"),
    [
        pytest.param(30, "450", date(2025, 10, 1), 10, Route.CSC, ["csc-handover"], id="a large cut goes to CSC"),
        pytest.param(38, "450", date(2025, 10, 1), 2, Route.INVOICE_SERVICE, [], id="a small cut stays"),
        pytest.param(50, "450", date(2025, 10, 1), 0, Route.INVOICE_SERVICE, ["sales-registration"], id="up, new"),
        pytest.param(50, "450", date(2020, 10, 1), 0, Route.INVOICE_SERVICE, [], id="up, sold over 36 months ago"),
        pytest.param(40, "400", date(2025, 10, 1), 0, Route.INVOICE_SERVICE, [], id="price only"),
    ],
)
def test_the_post_signature_writes_follow_the_direction_and_route(
    licences: int, price: str, sold_on: date, removed: int, route: Route, mails: list[str]
) -> None:
    plan = renegotiation_plan(
        request(licences, price),
        ticket=TICKET,
        company=COMPANY,
        contact=CONTACT,
        basis=basis(sold_on=sold_on),
        routine=ROUTINE,
        today=TODAY,
    )

    after = plan.sections[-1].writes
    assert (plan.completion.removed, plan.completion.route) == (removed, route)
    assert [mail.kind for mail in plan.mails] == mails
    # Written on every signed case: 0 when the count went up or stayed.
    assert f"HubSpot company 9001: {ROUTINE.downward_property} = {removed}" in after
    assert after[0].startswith(f"HubSpot deal: stage -> {ROUTINE.deal_stage_won!r}")
    owner = ROUTINE.csc_owner if route is Route.CSC else ROUTINE.invoice_service_owner
    assert any(f"owner -> {owner}" in write for write in after)
    assert f"licences 40 -> {licences}" in " ".join(after)


def test_the_lines_show_before_and_after_and_onboarding_is_added_at_full_discount() -> None:
    plan = renegotiation_plan(
        request(30, "450"), ticket=TICKET, company=COMPANY, contact=CONTACT, basis=basis(), routine=ROUTINE, today=TODAY
    )

    text = plan_text(plan)
    assert f"line {ROUTINE.licence_line}: 40 x 500,00 kr - 10 % -> 30 x 450,00 kr" in text
    assert "line Arbeidsmiljøkartlegging: 1 x 9 000,00 kr -> 1 x 9 000,00 kr (unchanged)" in text
    assert f"line {ROUTINE.onboarding_line}: (new line) -> 1 x 2 500,00 kr - 100 %" in text
    assert "Assuming the contract is signed today, 04.12.2026" in text
    assert "'Kunden vil endre' -> 'Reforhandling - Fjord *Kraft*'" in text
    assert "close date 06.12.2026" in text


def test_an_unknown_signer_is_created_with_the_given_name() -> None:
    plan = renegotiation_plan(
        request(30, "450", signer_name="Kari Ny"),
        ticket=TICKET,
        company=COMPANY,
        contact=None,
        basis=basis(),
        routine=ROUTINE,
        today=TODAY,
    )

    assert plan.sections[0].writes[0] == "contact: create kari@fjord.example (Kari Ny), associated with Fjord *Kraft*"


@pytest.mark.parametrize(
    ("licences", "paid", "periods", "value"),
    [
        pytest.param(40, Decimal("450"), 1, Decimal("18000.00"), id="a yearly price"),
        pytest.param(40, Decimal("450"), 12, Decimal("216000.00"), id="a monthly price"),
        pytest.param(3, Decimal("449.995"), 1, Decimal("1349.99"), id="rounded to øre"),
    ],
)
def test_the_yearly_value(licences: int, paid: Decimal, periods: int, value: Decimal) -> None:
    assert yearly_value(licences, paid, periods) == value


def test_the_plan_says_the_yearly_value_before_and_after() -> None:
    plan = renegotiation_plan(
        request(30, "450"), ticket=TICKET, company=COMPANY, contact=CONTACT, basis=basis(), routine=ROUTINE, today=TODAY
    )

    assert (plan.yearly_before, plan.yearly_after) == (Decimal("18000.00"), Decimal("13500.00"))
    assert "Yearly value: 18 000,00 kr -> 13 500,00 kr (-4 500,00 kr)" in plan_text(plan)


def test_without_a_licence_api_the_plan_says_a_person_sets_the_count() -> None:
    plan = renegotiation_plan(
        request(30, "450"),
        ticket=TICKET,
        company=COMPANY,
        contact=CONTACT,
        basis=basis(),
        routine=ROUTINE,
        today=TODAY,
        manual_licences=True,
    )

    assert "Avonova Digital: by hand: a person sets the count and confirms it in the form" in plan.sections[-1].writes


def test_the_plan_creates_the_deal_on_the_ticket() -> None:
    plan = renegotiation_plan(
        request(30, "450"), ticket=TICKET, company=COMPANY, contact=CONTACT, basis=basis(), routine=ROUTINE, today=TODAY
    )

    hubspot = plan.sections[0].writes
    assert "deal: associate with the contact kari@fjord.example, the company Fjord *Kraft* and the ticket 5001" in (
        hubspot
    )
