"""The people's answers, including replays: each resume re-runs the flow from the top with every earlier answer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from adapters import dealbuilder_api as api
from models.case import CaseState
from models.notices import Notice
from sandbox import records
from tests.flows.conftest import FJORDKRAFT, CaseDriver, approve_and_sign, notices, routine_mails

SONDRE_AS = {"ticket": "5004", "signer": "per.hakonsen@sondreas.example"}  # 25 licences, signed 40 months ago


def test_a_correction_with_approved_off_is_a_correction_and_the_second_answer_sends(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")

    driver.resume(case, approved=False, approver="Ola", licences=50)
    assert driver.pause_key(case) == "approval-2"
    driver.resume(case, approved=True, approver="Ola")

    # Each form was announced to the agent once, with a link to the run; the replays repeated none.
    asked = notices(sandboxes, Notice.APPROVAL_NEEDED)
    assert sorted(m["message_id"] for m in asked) == [
        f"<{case.case_key}.approval-needed-approval-{n}@reforhandling>" for n in (1, 2)
    ]
    assert {driver.linked_run(m) for m in asked} == {UUID(str(case.flow_run_id))}
    assert [m["to"] for m in asked] == [["agent@avonova.example"]] * 2
    [event] = driver.runtime.store.event_details(case.case_key, "notified:approval-needed:approval-2")
    assert event["link"].endswith(f"/runs/flow-run/{case.flow_run_id}")

    case = driver.case(case.case_key)
    assert (case.state, case.licences_after) == (CaseState.AWAITING_SIGNATURE, 50)
    [document] = records.documents(sandboxes, case.case_key)
    assert (document[api.D_STATUS], document[api.D_PRODUCTS][0][api.PR_QUANTITY]) == ("Sent", 50)
    [deal] = records.deals(sandboxes, case.case_key)
    assert deal["properties"]["amount"] == "50"


def test_a_correction_then_a_rejection_rejects_and_sends_nothing(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")

    driver.resume(case, approved=True, approver="Ola", price_per_licence=440)
    driver.resume(case, approved=False, approver="Ola", comment="Kunden trakk seg")

    assert driver.case(case.case_key).state == CaseState.REJECTED
    assert sandboxes.dealbuilder.deliveries() == []
    [document] = records.documents(sandboxes, case.case_key)
    assert document[api.D_STATUS] == "Revoked"


def test_a_rejection_without_a_reason_is_asked_again(driver: CaseDriver) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")

    driver.resume(case, approved=False, approver="Ola")

    assert (driver.case(case.case_key).state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-2")
    [document] = records.documents(driver.sandboxes, case.case_key)
    assert document[api.D_STATUS] == "Draft"


def test_an_unchanged_licence_count_gets_the_invoice_note_and_the_ticket_goes_to_order_invoice(
    driver: CaseDriver,
) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=40, price="499")

    approve_and_sign(driver, case.case_key)

    case = driver.case(case.case_key)
    assert (case.state, case.route) == (CaseState.COMPLETED, "invoice_service")
    [note] = records.notes(sandboxes, "5001")
    assert "Antall lisenser: 40 → 40" in note and "450,00 kr → 499,00 kr" in note
    assert records.company(sandboxes, "9001")["nedjustering"] == "0"
    owner = records.owner_email(sandboxes, records.ticket(sandboxes, "5001").get("hubspot_owner_id"))
    assert owner == "invoice.service@avonova.example"
    assert routine_mails(sandboxes) == []


def test_an_increase_more_than_36_months_after_signing_is_not_sent_to_sales_registration(driver: CaseDriver) -> None:
    case = driver.start(**SONDRE_AS, licences=30, price="500")

    approve_and_sign(driver, case.case_key)

    assert driver.case(case.case_key).state == CaseState.COMPLETED
    assert driver.sandboxes.licences.licences("945678909") == 30
    assert routine_mails(driver.sandboxes) == []


def test_a_contract_signed_while_the_expiry_decision_waited_completes_instead_of_being_cancelled(
    driver: CaseDriver,
) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    contract_id = case.contract_id
    assert case.signing_deadline and contract_id
    assert driver.poll(today=case.signing_deadline + timedelta(days=1)) == 1
    driver.run(case)
    assert driver.pause_key(case) == "decision-1"

    driver.sandboxes.dealbuilder.sign(contract_id)
    driver.resume(case, action="cancel", decided_by="Ingrid")

    case = driver.case(case.case_key)
    assert case.state == CaseState.COMPLETED
    assert driver.sandboxes.dealbuilder.document(contract_id)[api.D_STATUS] == "Signed"
    assert len(routine_mails(driver.sandboxes)) == 1
    assert case.price_after == Decimal("450.00")


def test_a_correction_back_to_the_current_agreement_is_refused_like_start_and_asked_again(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")  # the customer has 40 at 450 kr

    driver.resume(case, approved=True, approver="Ola", licences=40)

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-2")
    [refusal] = driver.runtime.store.event_details(case.case_key, "refused:approval-1")
    assert refusal["problems"] == [
        "nothing to renegotiate: the customer already has 40 licences at 450.00 NOK; "
        "give a new licence count or a new price"
    ]
    assert "nothing to renegotiate" in driver.form(case, "approval-2")
    [draft] = records.documents(sandboxes, case.case_key)
    assert (case.licences_after, draft[api.D_PRODUCTS][0][api.PR_QUANTITY]) == (55, 55)
    assert sandboxes.dealbuilder.deliveries() == []
