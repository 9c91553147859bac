from __future__ import annotations

import json
import re
from datetime import date, time
from decimal import Decimal
from uuid import UUID

from adapters import dealbuilder_api as api
from models.case import CaseState
from models.markdown import md_text
from models.messages import format_date
from models.notices import Notice
from sandbox import records
from tests.flows.conftest import AERLIG, BLABAER, FJORDKRAFT, CaseDriver, approve_and_sign, notices, routine_mails


def test_an_increase_within_36_months_goes_through_every_system_once_and_is_registered_as_a_sale(
    driver: CaseDriver,
) -> None:
    sandboxes = driver.sandboxes
    crm = driver.runtime.crm  # read back over the HubSpot SDK, as a person's integration would
    # The card holds a reduction from an earlier case; an increase must not leave it standing.
    crm.set_company_property(company_id="9001", name="nedjustering", value="5")
    case = driver.start(**FJORDKRAFT, licences=55, price="475.50")

    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-1")
    assert records.ticket(sandboxes, "5001")["subject"] == "Reforhandling - Fjordkraft Bygg AS"
    assert sandboxes.hubspot.associations("tickets", "5001", "companies") == ["9001"]
    [deal] = records.deals(sandboxes, case.case_key)
    assert deal["properties"]["dealname"] == "Fjordkraft Bygg AS - REFORHANDLING"
    assert deal["properties"]["amount"] == "55"
    assert deal["properties"]["deal_currency_code"] == "NOK"
    assert sorted(sandboxes.hubspot.associations("deals", deal["id"], "companies")) == ["9001"]
    on_deal = crm.read_deal(deal_id=deal["id"])
    assert (on_deal.stage, on_deal.ticket_ids) == ("Venter på beslutning", ("5001",))
    [draft] = records.documents(sandboxes, case.case_key)
    assert draft[api.D_STATUS] == "Draft"
    assert (draft[api.D_SENDER], draft[api.D_BOOKER]) == ("user non human", "kundesenter")
    assert [(p[api.PR_NAME], p[api.PR_QUANTITY], p[api.PR_DISCOUNT]) for p in draft[api.D_PRODUCTS]] == [
        ("Avonova Assist lisens", 55, "0"),
        ("digital oppstart", 1, "100"),
    ]

    [asked] = notices(sandboxes, Notice.APPROVAL_NEEDED)
    assert (asked["to"], driver.linked_run(asked)) == (["agent@avonova.example"], UUID(str(case.flow_run_id)))

    # Signed at 00:30 in Oslo: Dealbuilder stamps 22:30 UTC on the day before; the routine counts the Oslo day.
    sandboxes.dealbuilder.time_of_day = time(0, 30)
    approve_and_sign(driver, case.case_key)

    case = driver.case(case.case_key)
    assert case.state == CaseState.COMPLETED
    assert case.deal_id and case.contract_id
    closed = crm.read_deal(deal_id=case.deal_id)
    assert (closed.stage, closed.ticket_ids) == ("Lukket vunnet", ("5001",))
    # The replays after each resume sent no second notice, and the run shows the case: one summary per state
    # change, each saying whom the case waited for then.
    assert len(notices(sandboxes)) == 1
    summaries = [str(artifact.data) for artifact in reversed(driver.summaries(case))]
    steps = [step.replace("\\", "") for summary in summaries for step in re.findall(r"etter steg ([^)]+)\)", summary)]
    assert steps == ["drafted", "approval-1", "signature", "signed", "completed"]
    drafted, approval, signature, completed = summaries[0], summaries[1], summaries[2], summaries[-1]
    assert "| Lisenser | 40 | 55 |" in drafted and "ikke bestemt ennå" in drafted
    assert "Venter på godkjenning eller avgjørelse fra **agent@avonova\\.example**" in approval
    assert "Venter på at kunden signerer: **kari\\.nordmann@fjordkraftbygg\\.example**" in signature
    assert "| Pris per lisens | 450,00 kr | 475,50 kr |" in completed
    assert "rute: **invoice\\_service**" in completed and "[Deal i HubSpot](http" in completed
    assert "[Saken i HubSpot](http" in completed and "[Kontrakten i Dealbuilder](http" in completed
    assert records.stage_label(sandboxes, "5001") == "Sendt kontrakt"
    assert sandboxes.licences.licences("912345610") == 55
    assert crm.read_company(company_id="9001").id == "9001"
    assert records.company(sandboxes, "9001")["nedjustering"] == "0"
    [note] = records.notes(sandboxes, "5001")
    assert f"Reforhandling signert {format_date(sandboxes.dealbuilder.today)}" in note
    assert f"Deal i HubSpot: {closed.url}" in note
    assert re.search(r"Ticket i HubSpot: http\S+/contacts/1234567/record/0-5/5001\b", note), note
    assert f"Signert kontrakt i Dealbuilder: {case.contract_id} http" in note
    assert f"Sak: {case.case_key}" in note
    assert "Antall lisenser: 40 → 55" in note
    assert "Pris per lisens: 450,00 kr → 475,50 kr" in note
    # No start was agreed, so delivery starts the day the contract was sent; the deal says the same.
    original_start = date.fromisoformat(sandboxes.dealbuilder.document("DB-ORIG-1001")[api.D_START_DATE])
    [deal] = records.deals(sandboxes, case.case_key)
    started = date.fromisoformat(deal["properties"]["delivery_start_date"])
    assert records.documents(sandboxes, case.case_key)[0][api.D_START_DATE] == started.isoformat()
    assert f"Oppstartsdato: {format_date(original_start)} → {format_date(started)}" in note
    # The summary shows the start the contract says, from the draft on.
    shown_start = md_text(format_date(started))
    assert all(f"| Oppstartsdato |  | {shown_start} |" in summary for summary in summaries)
    [mail] = routine_mails(sandboxes)
    assert mail["to"] == ["salgsregistrering@avonova.example"]
    assert "Fjordkraft Bygg AS" in mail["subject"] and "(selger Selger Avonova)" in mail["subject"]
    for shown in ("DB-ORIG-1001", "Selger Avonova", "Møtebooker Avonova", case.contract_id, closed.url, "Ny årsverdi"):
        assert shown in mail["text"], shown
    [document] = records.documents(sandboxes, case.case_key)
    assert document[api.D_STATUS] == "Signed"
    assert [d["channel"] for d in sandboxes.dealbuilder.deliveries(document[api.D_ID])] == ["email", "sms"]
    assert len(records.deals(sandboxes, case.case_key)) == 1
    decisions = driver.runtime.store.events(case.case_key, kind="decision:approval-1")
    assert [(e.actor, json.loads(e.details)["approved"]) for e in decisions] == [("Ola Kundeservice", True)]


def test_a_small_reduction_is_recorded_on_the_customer_card_and_handed_to_invoice_service(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**AERLIG, licences=54, price="420")

    approve_and_sign(driver, case.case_key)

    case = driver.case(case.case_key)
    assert (case.state, case.route) == (CaseState.COMPLETED, "invoice_service")
    assert records.company(sandboxes, "9002")["nedjustering"] == "6"
    assert records.owner_email(sandboxes, records.ticket(sandboxes, "5002")["hubspot_owner_id"]) == (
        "invoice.service@avonova.example"
    )
    [note] = records.notes(sandboxes, "5002")
    assert "Invoice service" in note
    assert sandboxes.licences.licences("923456716") == 54
    assert routine_mails(sandboxes) == []


def test_a_large_reduction_is_handed_over_to_csc_with_an_email(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**BLABAER, licences=70, price="390")

    approve_and_sign(driver, case.case_key)

    case = driver.case(case.case_key)
    assert (case.state, case.route) == (CaseState.COMPLETED, "csc")
    assert records.company(sandboxes, "9003")["nedjustering"] == "30"
    assert (
        records.owner_email(sandboxes, records.ticket(sandboxes, "5003")["hubspot_owner_id"]) == "csc@avonova.example"
    )
    [mail] = routine_mails(sandboxes)
    assert mail["to"] == ["csc@avonova.example"]
    assert "CSC" in records.notes(sandboxes, "5003")[0]
    assert case.contract_id and case.contract_id in mail["text"] and "/record/0-5/5003" in mail["text"]


def test_a_corrected_draft_is_updated_and_approved_under_a_new_key(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")

    driver.resume(case, approved=True, approver="Ola", licences=50, price_per_licence=449.5)

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-2")
    assert (case.licences_after, case.price_after) == (50, Decimal("449.50"))
    [draft] = records.documents(sandboxes, case.case_key)
    assert draft[api.D_PRODUCTS][0][api.PR_QUANTITY] == 50
    assert sandboxes.dealbuilder.deliveries() == []

    approve_and_sign(driver, case.case_key)

    assert driver.case(case.case_key).state == CaseState.COMPLETED
    assert sandboxes.licences.licences("912345610") == 50


def test_a_decision_without_an_approver_is_asked_again_and_sends_nothing(driver: CaseDriver) -> None:
    # No approvers list: anyone may decide, the field is free text, and the run itself wants a name in it.
    driver.runtime.settings.routine.approvers.clear()
    case = driver.start(**FJORDKRAFT, licences=55, price="450")

    driver.resume(case, approved=True, approver=" ")

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-2")
    assert driver.sandboxes.dealbuilder.deliveries() == []


def test_a_rejected_draft_is_cancelled_and_the_ticket_says_so(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")

    final = driver.resume(case, approved=False, approver="Ingrid", comment="Kunden vil vente")

    case = driver.case(case.case_key)
    assert final.state and final.state.is_completed()
    assert (case.state, case.open_ticket_id) == (CaseState.REJECTED, None)
    [document] = records.documents(sandboxes, case.case_key)
    assert document[api.D_STATUS] == "Revoked"
    [note] = records.notes(sandboxes, "5001")
    assert "avvist av Ingrid" in note and "Kunden vil vente" in note
    assert sandboxes.dealbuilder.deliveries() == []
    assert case.deal_id and driver.runtime.crm.read_deal(deal_id=case.deal_id).stage == "Lukket tapt"
    assert records.ticket_statuses(sandboxes, "5001") == ["Startet", "Venter på godkjenning", "Avvist"]
    assert records.ticket_status_writes(sandboxes, "5001") == 3
