"""The routine's exact rules (issue 8), each through a whole flow run against the seeded sandboxes."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from dateutil.relativedelta import relativedelta
from prefect.states import AwaitingRetry

from adapters import dealbuilder_api as api
from models.case import CaseState
from models.messages import format_date
from models.renegotiation import RenegotiationRequest
from reforhandling.starting import preflight
from sandbox import records
from sandbox.kit import FaultRule
from sandbox.world import customer_by_ticket
from tests.flows.conftest import CaseDriver, approve_and_sign, routine_mails

HAVBRIS = customer_by_ticket("5006")  # 30 at 500 kr less 20 %, a course line, no onboarding; card org nr spaced
GRANSKOG = customer_by_ticket("5007")  # sold 50 months ago, renegotiated to 20 at 430 kr 6 months ago
UTEN_ORGNR = customer_by_ticket("5008")  # no org number on the company card
KYSTLINJE = customer_by_ticket("5009")  # only renegotiations: 10 at 400 kr 30 months ago, 12 at 410 kr 3 months ago
FJORDKRAFT = customer_by_ticket("5001")


def test_a_company_without_an_org_number_stops_before_anything_is_created(driver: CaseDriver) -> None:
    case = driver.start(ticket="5008", signer=UTEN_ORGNR.signer_email, licences=5, price="450")

    assert case.state == CaseState.NEEDS_ATTENTION
    assert case.reason and "Uten Orgnr AS" in case.reason and "'orgnr'" in case.reason
    assert records.deals(driver.sandboxes, case.case_key) == []
    assert records.documents(driver.sandboxes, case.case_key) == []


def test_every_line_is_carried_over_and_price_before_is_what_the_customer_paid(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5006", signer=HAVBRIS.signer_email, licences=35, price="450")

    [draft] = records.documents(sandboxes, case.case_key)
    assert [
        (p[api.PR_NAME], p[api.PR_QUANTITY], p[api.PR_UNIT_PRICE], p[api.PR_DISCOUNT]) for p in draft[api.D_PRODUCTS]
    ] == [
        ("Avonova Assist lisens", 35, "450.00", "0"),
        ("Avonova Assist kursmodul", 1, "3000.00", "10"),
        ("digital oppstart", 1, "2500.00", "100"),
    ]
    # SMS goes to the mobile number, not the landline.
    assert draft[api.D_SIGNATORIES][0][api.S_PHONE] == "+4796789012"
    assert draft[api.D_CUSTOMER][api.C_ORG_NUMBER] == HAVBRIS.org_number
    form = driver.form(case, "approval-1")
    assert "**Pris per lisens:** 400,00 kr → **450,00 kr** (det kunden betaler)" in form
    assert "Avonova Assist kursmodul | 1 | 3 000,00 kr | 10 % | 2 700,00 kr |" in form
    assert (case.licences_before, case.price_before) == (30, Decimal("400.00"))

    approve_and_sign(driver, case.case_key)

    [note] = records.notes(sandboxes, "5006")
    assert "Pris per lisens: 400,00 kr → 450,00 kr" in note
    assert sandboxes.licences.licences(HAVBRIS.org_number) == 35


def test_the_form_shows_the_draft_as_dealbuilder_holds_it(driver: CaseDriver) -> None:
    case = driver.start(ticket="5006", signer=HAVBRIS.signer_email, licences=35, price="450")
    assert case.contract_id
    # Someone edits the draft behind the flow's back; the next form must show what would be sent.
    driver.sandboxes.dealbuilder.set_product(case.contract_id, "Avonova Assist kursmodul", quantity=3)

    driver.resume(case, approved=True, approver="Ola", licences=36)

    form = driver.form(driver.case(case.case_key), "approval-2")
    assert "Avonova Assist kursmodul | 3 |" in form
    assert "**Lisenser:** 30 → **36**" in form


def test_an_upward_or_price_only_case_hands_the_ticket_to_order_invoice(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5001", signer=FJORDKRAFT.signer_email, licences=40, price="425")

    approve_and_sign(driver, case.case_key)

    case = driver.case(case.case_key)
    assert (case.state, case.route) == (CaseState.COMPLETED, "invoice_service")
    owner = records.owner_email(sandboxes, records.ticket(sandboxes, "5001")["hubspot_owner_id"])
    assert owner == "invoice.service@avonova.example"
    [note] = records.notes(sandboxes, "5001")
    assert "Til ordre/faktura" in note and "Pris per lisens: 450,00 kr → 425,00 kr" in note
    assert routine_mails(sandboxes) == []
    assert records.company(sandboxes, "9001")["nedjustering"] == "0"  # written on every signed case


def test_a_renegotiation_never_restarts_the_sellers_36_month_clock(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5007", signer=GRANSKOG.signer_email, licences=25, price="430")

    # The current agreement (the routine's renegotiation 6 months ago) is the basis of every "before" figure.
    assert (case.licences_before, case.price_before) == (20, Decimal("430.00"))
    # No mobile number on the contact: SMS goes to its phone number.
    [draft] = records.documents(sandboxes, case.case_key)
    assert draft[api.D_SIGNATORIES][0][api.S_PHONE] == "+4790011223"
    approve_and_sign(driver, case.case_key)

    # Sold 50 months ago: an increase is not registered as a sale, though the last signature is 6 months old.
    assert routine_mails(sandboxes) == []
    [event] = driver.runtime.store.event_details(case.case_key, "agreement")
    assert (event["contract_id"], event["sold_contract_id"], event["sold_is_fallback"]) == (
        "DB-REF-1007",
        "DB-ORIG-1007",
        False,
    )


def test_without_a_sold_agreement_the_oldest_signed_one_is_used_and_said_so(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5009", signer=KYSTLINJE.signer_email, licences=15, price="410")

    assert "36-månedersregelen regnes fra den eldste signerte avtalen" in driver.form(case, "approval-1")
    approve_and_sign(driver, case.case_key)

    [mail] = routine_mails(sandboxes)
    assert mail["to"] == ["salgsregistrering@avonova.example"]
    assert "Eldste signerte avtale (ingen solgt avtale funnet)" in json.dumps(mail, ensure_ascii=False)


def test_a_request_that_changes_nothing_is_refused_before_a_deal_is_made(driver: CaseDriver) -> None:
    case = driver.start(ticket="5001", signer=FJORDKRAFT.signer_email, licences=40, price="450")

    assert case.state == CaseState.NEEDS_ATTENTION
    assert case.reason and "nothing to renegotiate" in case.reason
    assert records.deals(driver.sandboxes, case.case_key) == []


def test_an_unknown_signer_without_a_name_is_refused_and_no_contact_is_made(driver: CaseDriver) -> None:
    case = driver.start(
        ticket="5001", signer="kari.nordman@fjordkraftbygg.example", licences=45, price="450", company_id="9001"
    )

    assert case.state == CaseState.NEEDS_ATTENTION
    assert case.reason and "kari.nordman@fjordkraftbygg.example" in case.reason and "--signer-name" in case.reason
    emails = [c["properties"].get("email") for c in driver.sandboxes.hubspot.objects("contacts")]
    assert "kari.nordman@fjordkraftbygg.example" not in emails
    assert records.documents(driver.sandboxes, case.case_key) == []


def test_a_new_signer_is_created_with_the_name_the_agent_gave(driver: CaseDriver) -> None:
    email = "ny.signatar@fjordkraftbygg.example"
    case = driver.start(ticket="5001", signer=email, licences=45, price="450", signer_name="Nora Ny", company_id="9001")

    assert case.state == CaseState.AWAITING_APPROVAL
    [draft] = records.documents(driver.sandboxes, case.case_key)
    assert (draft[api.D_SIGNATORIES][0][api.S_NAME], draft[api.D_SIGNATORIES][0][api.S_EMAIL]) == ("Nora Ny", email)
    # No phone on the new contact: the form says the contract goes by e-mail only.
    assert "kontrakten sendes bare på e-post" in driver.form(case, "approval-1")


def test_an_agreed_start_date_on_the_first_of_the_month_is_kept(driver: CaseDriver) -> None:
    first = driver.sandboxes.dealbuilder.today.replace(day=1)
    case = driver.start(ticket="5001", signer=FJORDKRAFT.signer_email, licences=45, price="450", start_date=first)

    [draft] = records.documents(driver.sandboxes, case.case_key)
    assert date.fromisoformat(draft[api.D_START_DATE]) == first


def request(ticket: str, signer: str, licences: int, price: str, **extra: object) -> RenegotiationRequest:
    return RenegotiationRequest(
        ticket_id=ticket,
        signer_email=signer,
        licences=licences,
        price_per_licence=Decimal(price),
        agent_email="agent@avonova.example",
        **extra,  # type: ignore[arg-type]
    )


def test_start_reads_first_and_refuses_what_would_stop_the_case_writing_nothing(driver: CaseDriver) -> None:
    runtime, sandboxes = driver.runtime, driver.sandboxes
    sandboxes.hubspot.log.clear()
    sandboxes.dealbuilder.log.clear()

    assert preflight(request("5001", FJORDKRAFT.signer_email, 45, "450"), runtime=runtime) == []
    [unknown] = preflight(request("999999", FJORDKRAFT.signer_email, 45, "450"), runtime=runtime)
    assert unknown.startswith("ticket: HubSpot has no ticket 999999")
    [no_org] = preflight(request("5008", UTEN_ORGNR.signer_email, 5, "450"), runtime=runtime)
    assert "Uten Orgnr AS" in no_org and "no org number" in no_org
    [nothing] = preflight(request("5001", FJORDKRAFT.signer_email, 40, "450"), runtime=runtime)
    assert "nothing to renegotiate" in nothing
    [company] = preflight(request("5001", "ukjent@fjordkraftbygg.example", 45, "450"), runtime=runtime)
    assert company.endswith("give --company <HubSpot company id>")
    unknown_signer = request("5001", "ukjent@fjordkraftbygg.example", 45, "450", company_id="9001")
    [signer] = preflight(unknown_signer, runtime=runtime)
    assert signer.startswith("signer_email: no HubSpot contact has ukjent@fjordkraftbygg.example")
    named = unknown_signer.model_copy(update={"signer_name": "Ukjent Person"})
    assert preflight(named, runtime=runtime) == []

    writes = [r for app in (sandboxes.hubspot, sandboxes.dealbuilder) for r in app.log if r["method"] != "GET"]
    assert writes == []
    support = httpx.post(
        f"{runtime.settings.hubspot.base_url}/crm/v3/objects/tickets",
        headers={"Authorization": "Bearer sandbox-token"},
        json={"properties": {"subject": "Printer", "hs_pipeline": "0", "hs_pipeline_stage": "1"}},
        timeout=10,
    ).json()["id"]
    [pipeline] = preflight(request(support, FJORDKRAFT.signer_email, 45, "450"), runtime=runtime)
    assert pipeline == f"ticket: {support} is in the pipeline 'Support Pipeline', not 'Kundesenter'; start " + (
        "renegotiations from a ticket in that pipeline"
    )
    assert runtime.store.cases() == []


def test_after_an_ops_retry_on_a_later_day_contract_deal_and_note_carry_the_day_the_contract_was_sent(
    driver: CaseDriver,
) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5001", signer=FJORDKRAFT.signer_email, licences=55, price="450")
    # Sending is refused today (after the draft was brought to today's date): the run fails for ops.
    sandboxes.dealbuilder.faults.set([FaultRule(kind="error", status=400, route=r"/send$")])
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    assert case.state == CaseState.NEEDS_ATTENTION and case.flow_run_id
    sandboxes.dealbuilder.faults.set([])

    # Ops press Retry the next day.
    next_day = sandboxes.dealbuilder.today + timedelta(days=1)
    driver.runtime.clock = lambda: datetime.combine(next_day, time(9), tzinfo=ZoneInfo("Europe/Oslo"))
    sandboxes.dealbuilder.set_today(next_day)
    driver.client.set_flow_run_state(UUID(case.flow_run_id), AwaitingRetry(), force=True)
    driver.run(case)
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_SIGNATURE, "signature")
    assert case.contract_id
    sandboxes.dealbuilder.sign(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)

    case = driver.case(case.case_key)
    assert case.state == CaseState.COMPLETED, case.reason
    [document] = records.documents(sandboxes, case.case_key)
    [deal] = records.deals(sandboxes, case.case_key)
    assert document[api.D_START_DATE] == deal["properties"]["delivery_start_date"] == next_day.isoformat()
    [note] = records.notes(sandboxes, "5001")
    assert f"→ {format_date(next_day)}" in note.split("Oppstartsdato:")[1].split("<br>")[0]


def test_an_increase_signed_before_its_sold_agreement_is_held_for_a_person_with_the_reason(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5001", signer=FJORDKRAFT.signer_email, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    # Odd data: Dealbuilder dates the signature years before the agreement a seller sold (14 months ago).
    sandboxes.dealbuilder.set_today(sandboxes.dealbuilder.today - relativedelta(years=3))

    contract_id = driver.case(case.case_key).contract_id
    assert contract_id
    sandboxes.dealbuilder.sign(contract_id)
    assert driver.poll() == 1
    final = driver.run(driver.case(case.case_key))

    case = driver.case(case.case_key)
    assert final.state and final.state.is_completed()
    assert case.state == CaseState.NEEDS_ATTENTION and case.reason
    assert "the sold agreement DB-ORIG-1001 is dated" in case.reason and "after the new contract's signature" in (
        case.reason
    )
    # Held before any write after the signature.
    assert sandboxes.licences.licences(FJORDKRAFT.org_number) == 40
    assert records.notes(sandboxes, "5001") == []
    assert routine_mails(sandboxes) == []
