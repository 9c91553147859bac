from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import UUID

import pytest
from prefect.states import AwaitingRetry

from adapters import dealbuilder_api as api
from adapters.errors import TransientError
from models.case import Case, CaseState
from models.notices import Notice
from reforhandling.cancelling import cancel_case
from sandbox import records
from sandbox.kit import FaultRule
from tasks.contract import send_contract
from tests.flows.conftest import FJORDKRAFT, CaseDriver, approve_and_sign, notices, routine_mails


def sent_case(driver: CaseDriver) -> str:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    assert driver.case(case.case_key).state == CaseState.AWAITING_SIGNATURE
    return case.case_key


def test_a_declined_contract_waits_for_a_decision_then_is_extended_resent_and_signed(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.case(sent_case(driver))
    contract_id = case.contract_id
    assert contract_id
    sandboxes.dealbuilder.decline(contract_id)

    assert driver.poll() == 1
    driver.run(case)
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_DECISION, "decision-1")

    driver.resume(case, action="extend_and_resend", decided_by="Ingrid")
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_SIGNATURE, "signature-2")
    assert [d["channel"] for d in sandboxes.dealbuilder.deliveries(case.contract_id)] == ["email", "sms"] * 2

    sandboxes.dealbuilder.sign(contract_id)
    assert driver.poll() == 1
    driver.run(case)

    assert driver.case(case.case_key).state == CaseState.COMPLETED
    assert len(records.documents(sandboxes, case.case_key)) == 1
    assert len(routine_mails(sandboxes)) == 1
    assert [e.actor for e in driver.runtime.store.events(case.case_key, kind="decision:decision-1")] == ["Ingrid"]
    [asked] = notices(sandboxes, Notice.DECISION_NEEDED)
    assert (asked["to"], driver.linked_run(asked)) == (["agent@avonova.example"], UUID(str(case.flow_run_id)))
    assert "(DECLINED)" in asked["subject"]


def test_an_expired_contract_is_cancelled_on_a_persons_decision_and_the_case_closes(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.case(sent_case(driver))
    contract_id = case.contract_id
    assert case.signing_deadline and contract_id

    assert driver.poll(today=case.signing_deadline) == 0
    assert driver.poll(today=case.signing_deadline + timedelta(days=1)) == 1
    driver.run(case)
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_DECISION, "decision-1")
    outcome = driver.runtime.store.events(case.case_key, kind="decision:signature")
    assert json.loads(outcome[0].details)["state"] == "EXPIRED"

    driver.resume(case, action="cancel", decided_by="Ingrid", comment="Kunden svarer ikke")

    case = driver.case(case.case_key)
    assert (case.state, case.open_ticket_id) == (CaseState.CANCELLED, None)
    assert sandboxes.dealbuilder.document(contract_id)[api.D_STATUS] == "Revoked"
    [note] = records.notes(sandboxes, "5001")
    assert "ikke signert (EXPIRED)" in note and "Kunden svarer ikke" in note
    assert sandboxes.licences.changes() == []
    assert case.deal_id and driver.runtime.crm.read_deal(deal_id=case.deal_id).stage == "Lukket tapt"


def test_with_the_manual_licence_routine_a_person_confirms_the_count_before_the_case_completes(
    manual_driver: CaseDriver,
) -> None:
    driver = manual_driver
    driver.runtime.settings.routine.approvers.append("Mallory")
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    approve_and_sign(driver, case.case_key)
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_LICENCE_CONFIRMATION, "licences-1")

    driver.resume(case, licences_set=50, confirmed_by="Ola")
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_LICENCE_CONFIRMATION, "licences-2")

    # A claim from someone who may not decide (taken off the list after the form offered them) is refused, however
    # right its count.
    driver.runtime.settings.routine.approvers.remove("Mallory")
    driver.resume(case, licences_set=55, confirmed_by="Mallory")
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_LICENCE_CONFIRMATION, "licences-3")
    [refused] = driver.runtime.store.events(case.case_key, kind="refused:licences-2")
    assert refused.actor == "Mallory"

    driver.resume(case, licences_set=55, confirmed_by="Ola")

    assert driver.case(case.case_key).state == CaseState.COMPLETED
    assert driver.sandboxes.licences.changes() == []
    assert len(routine_mails(driver.sandboxes)) == 1
    # The wait was announced once: a refused confirmation asks again on the form, not by another mail.
    asked = [m["message_id"] for m in notices(driver.sandboxes, Notice.LICENCE_CONFIRMATION)]
    assert asked == [f"<{case.case_key}.licence-confirmation-licences-1@reforhandling>"]


def test_an_ops_retry_after_a_failure_in_completion_redoes_only_what_failed_and_asks_nobody_again(
    driver: CaseDriver,
) -> None:
    sandboxes = driver.sandboxes
    sandboxes.licences.faults.set([FaultRule(kind="error", status=400, route="^PUT ")])
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    approve_and_sign(driver, case.case_key)
    case = driver.case(case.case_key)
    assert (case.state, case.attention_from) == (CaseState.NEEDS_ATTENTION, CaseState.SIGNED)
    assert case.reason and "licence" in case.reason.lower()
    # The run shows why it failed and where to retry it.
    failed = str(driver.summaries(case)[0].data)
    assert "tilstand **NEEDS\\_ATTENTION**" in failed and "> **Trenger oppfølging:**" in failed
    shown = ["Startet", "Venter på godkjenning", "Sendt til kunde", "Signert", "Trenger oppfølging"]
    assert records.ticket_statuses(sandboxes, "5001") == shown
    assert f"trykk **Retry** på [kjøringen i Prefect]({driver.runtime.settings.prefect.ui_url}" in failed
    requests_before = len(sandboxes.hubspot.requests())

    sandboxes.licences.faults.set([])
    assert case.flow_run_id
    driver.client.set_flow_run_state(UUID(case.flow_run_id), AwaitingRetry(), force=True)
    final = driver.run(case)

    assert final.state and final.state.is_completed()
    assert driver.case(case.case_key).state == CaseState.COMPLETED
    assert sandboxes.licences.licences("912345610") == 55
    assert len(records.deals(sandboxes, case.case_key)) == 1
    assert len(records.documents(sandboxes, case.case_key)) == 1
    assert len(records.notes(sandboxes, "5001")) == 1
    assert len(routine_mails(sandboxes)) == 1
    assert len(sandboxes.dealbuilder.deliveries()) == 2
    # Only the steps after the licences touched HubSpot again: the invoice note (look-up + create) and nothing earlier.
    retried = sandboxes.hubspot.requests()[requests_before:]
    assert not any(r["method"] == "POST" and r["path"] == "/crm/v3/objects/deals" for r in retried)
    assert len(driver.runtime.store.events(case.case_key, kind="decision:approval-1")) == 1
    # The retry put the case back where it failed, and the ticket with it.
    assert records.ticket_statuses(sandboxes, "5001") == [*shown, "Signert", "Fullført"]
    assert records.ticket_status_writes(sandboxes, "5001") == 7


def test_a_second_poll_finds_nothing_to_resume_and_a_case_is_resumed_once(driver: CaseDriver) -> None:
    case = driver.case(sent_case(driver))
    assert case.contract_id
    driver.sandboxes.dealbuilder.sign(case.contract_id)

    assert driver.poll() == 1
    assert driver.poll() == 0

    assert len(driver.runtime.store.events(case.case_key, kind="resumed")) == 1
    driver.run(case)
    assert driver.case(case.case_key).state == CaseState.COMPLETED


def test_a_second_case_for_a_ticket_is_refused_while_the_first_is_open(driver: CaseDriver) -> None:
    first = driver.start(**FJORDKRAFT, licences=55, price="450")

    try:
        driver.start(**FJORDKRAFT, licences=60, price="450")
    except ValueError as refused:
        assert first.case_key in str(refused)
    else:
        raise AssertionError("a second open case was accepted")
    assert len(driver.runtime.store.cases()) == 1


def test_a_ticket_without_a_company_and_an_unknown_signer_stops_for_a_person_and_creates_nothing(
    driver: CaseDriver,
) -> None:
    contacts_before = len(driver.sandboxes.hubspot.objects("contacts"))

    case = driver.start(ticket="5002", signer="ny.person@ukjent.example", licences=50, price="420")

    assert case.state == CaseState.NEEDS_ATTENTION
    assert case.reason and "--company" in case.reason and "ny.person@ukjent.example" in case.reason
    assert driver.sandboxes.hubspot.objects("deals") == []
    assert len(driver.sandboxes.hubspot.objects("contacts")) == contacts_before
    assert driver.sandboxes.dealbuilder.deliveries() == []


def test_an_ops_retry_after_a_failure_late_in_completion_writes_no_second_note_or_email(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(ticket="5003", signer="bjorn.laerum@blabaerhelse.example", licences=70, price="390")
    case = driver.case(case.case_key)
    driver.resume(case, approved=True, approver="Ola")
    # The hand-over to CSC fails when the ticket is assigned: after the invoice note, before the CSC e-mail (the
    # ticket's status `Signert` goes through first).
    ticket_write = r"^PATCH /crm/v3/objects/tickets/5003$"
    sandboxes.hubspot.faults.set([FaultRule(kind="error", status=400, route=ticket_write, skip=1)])
    case = driver.case(case.case_key)
    assert case.contract_id
    sandboxes.dealbuilder.sign(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)
    case = driver.case(case.case_key)
    assert (case.state, case.attention_from) == (CaseState.NEEDS_ATTENTION, CaseState.LICENCES_ADJUSTED)
    assert len(records.notes(sandboxes, "5003")) == 1

    sandboxes.hubspot.faults.set([])
    assert case.flow_run_id
    driver.client.set_flow_run_state(UUID(case.flow_run_id), AwaitingRetry(), force=True)
    driver.run(case)

    case = driver.case(case.case_key)
    assert (case.state, case.route, case.reason) == (CaseState.COMPLETED, "csc", None)
    assert len(records.notes(sandboxes, "5003")) == 1
    assert [m["to"] for m in routine_mails(sandboxes)] == [["csc@avonova.example"]]
    assert (
        records.owner_email(sandboxes, records.ticket(sandboxes, "5003")["hubspot_owner_id"]) == "csc@avonova.example"
    )


def test_a_case_cancelled_by_ops_stops_its_run_revokes_its_contract_and_frees_the_ticket(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.case(sent_case(driver))
    contract_id, flow_run_id = case.contract_id, case.flow_run_id
    assert contract_id and flow_run_id

    cancel_case(case.case_key, reason="Kunden har sagt opp", runtime=driver.runtime, client=driver.client, actor="ops")

    case = driver.case(case.case_key)
    assert case.state == CaseState.CANCELLED
    run = driver.client.read_flow_run(UUID(flow_run_id))
    assert run.state and run.state.is_cancelled()
    assert sandboxes.dealbuilder.document(contract_id)[api.D_STATUS] == "Revoked"
    assert any("avbrutt av ops" in note and "Kunden har sagt opp" in note for note in records.notes(sandboxes, "5001"))
    assert case.deal_id and driver.runtime.crm.read_deal(deal_id=case.deal_id).stage == "Lukket tapt"
    # The ticket says so, and the next case's statuses start over on it.
    statuses = ["Startet", "Venter på godkjenning", "Sendt til kunde", "Avbrutt"]
    assert records.ticket_statuses(sandboxes, "5001") == statuses
    assert driver.start(**FJORDKRAFT, licences=60, price="450").state == CaseState.AWAITING_APPROVAL
    assert records.ticket_statuses(sandboxes, "5001") == [*statuses, "Startet", "Venter på godkjenning"]


def declined_case(driver: CaseDriver) -> tuple[Case, str]:
    """A sent case whose contract the customer declined, its run waiting for a person's decision."""
    case = driver.case(sent_case(driver))
    assert case.contract_id
    driver.sandboxes.dealbuilder.decline(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)
    assert driver.pause_key(case) == "decision-1"
    return driver.case(case.case_key), case.contract_id


def test_a_resend_that_went_out_before_a_crash_is_not_sent_again_by_a_rerun_days_later(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case, contract_id = declined_case(driver)
    assert case.signing_deadline
    # Round 2 was attempted and reached the customer, then the worker died before anything else was recorded.
    first_try: dict[str, object] = {"round": 2, "deadline": case.signing_deadline.isoformat()}
    driver.runtime.store.add_event(case.case_key, actor="flow", kind="contract-resending", details=first_try)
    driver.runtime.contracts.extend_and_resend(contract_id=contract_id, signing_deadline=case.signing_deadline)
    deliveries = len(sandboxes.dealbuilder.deliveries(contract_id))

    three_days_later = case.signing_deadline - timedelta(days=4)
    send_contract(driver.runtime, case.case_key, 2, contract_id, three_days_later)

    assert len(sandboxes.dealbuilder.deliveries(contract_id)) == deliveries == 4
    case = driver.case(case.case_key)
    assert (case.state, case.signing_deadline) == (CaseState.SENT, date.fromisoformat(str(first_try["deadline"])))


def test_a_resend_that_failed_on_a_transient_error_goes_out_when_the_task_retries(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case, contract_id = declined_case(driver)
    assert case.signing_deadline
    sandboxes.dealbuilder.faults.set([FaultRule(kind="error", status=503, route="/resend$")])
    with pytest.raises(TransientError, match="status=503"):
        send_contract.with_options(retries=0)(driver.runtime, case.case_key, 2, contract_id, case.signing_deadline)
    sandboxes.dealbuilder.faults.set([])

    send_contract(driver.runtime, case.case_key, 2, contract_id, case.signing_deadline)

    assert [d["kind"] for d in sandboxes.dealbuilder.deliveries(contract_id)] == ["send", "send", "resend", "resend"]
    assert sandboxes.dealbuilder.document(contract_id)[api.D_STATUS] == "Sent"


def test_a_retried_run_whose_case_was_cancelled_meanwhile_changes_nothing(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    # The contract goes out, then setting the deal's start date is refused: the run fails after sending.
    sandboxes.hubspot.faults.set([FaultRule(kind="error", status=400, route=r"^PATCH /crm/v3/objects/deals/")])
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    assert case.state == CaseState.NEEDS_ATTENTION and case.flow_run_id
    sandboxes.hubspot.faults.set([])
    cancel_case(case.case_key, reason="Kunden trakk seg", runtime=driver.runtime, client=driver.client, actor="ops")
    stage_before = records.stage_label(sandboxes, "5001")

    driver.client.set_flow_run_state(UUID(case.flow_run_id), AwaitingRetry(), force=True)
    final = driver.run(case)

    assert final.state and final.state.is_completed()
    assert driver.case(case.case_key).state == CaseState.CANCELLED
    assert records.stage_label(sandboxes, "5001") == stage_before != "Sendt kontrakt"
