"""A resume is a claim, not a fact (issue 9): forged signatures and decisions by people who may not decide."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

from adapters import dealbuilder_api as api
from models.case import CaseState
from sandbox import records
from tests.flows.conftest import FJORDKRAFT, CaseDriver, routine_mails


def test_a_forged_signed_resume_completes_nothing_is_recorded_and_the_case_keeps_waiting(driver: CaseDriver) -> None:
    sandboxes = driver.sandboxes
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    assert case.state == CaseState.AWAITING_SIGNATURE

    # Anyone who reaches the Prefect API can send this; the contract in Dealbuilder is only Sent.
    driver.resume(case, state="SIGNED", raw_status="Signed", signed_on="2026-11-01", reported_by="mallory")

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_SIGNATURE, "signature-wait-2")
    assert sandboxes.licences.licences(FJORDKRAFT_ORG) == 40
    assert records.notes(sandboxes, "5001") == []
    assert routine_mails(sandboxes) == []
    [refused] = driver.runtime.store.events(case.case_key, kind="refused:signature")
    assert refused.actor == "mallory" and "Dealbuilder says 'Sent'" in json.loads(refused.details)["problems"][0]

    # The real signature still completes the case, through the poller.
    assert case.contract_id
    sandboxes.dealbuilder.sign(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)
    assert driver.case(case.case_key).state == CaseState.COMPLETED
    assert sandboxes.licences.licences(FJORDKRAFT_ORG) == 55


def test_the_form_offers_only_the_approvers_and_prefect_refuses_any_other_name_before_the_run_resumes(
    driver: CaseDriver,
) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    assert case.flow_run_id

    answer = driver.client.resume_flow_run(UUID(case.flow_run_id), run_input={"approved": True, "approver": "Mallory"})

    assert answer.status.value != "ACCEPT" and "Mallory" in str(answer.details), answer.details
    assert driver.pause_key(case) == "approval-1"
    assert driver.runtime.store.events(case.case_key, kind="decision:approval-1") == []
    schema = json.loads(driver.client.read_flow_run_input(UUID(case.flow_run_id), "suspended-approval-1-schema"))
    assert schema["properties"]["approver"]["enum"] == driver.runtime.settings.routine.approvers
    # Godkjent has a default (off) and is still required, so the UI does not call it "(Optional)".
    assert schema["required"] == ["approved", "approver"]


def taken_off_the_list(driver: CaseDriver, person: str) -> None:
    """An approver removed from routine.approvers after the form offered them: the run itself refuses them."""
    driver.runtime.settings.routine.approvers.remove(person)


def test_an_approval_from_someone_not_on_the_approvers_list_is_refused_and_asked_again(driver: CaseDriver) -> None:
    driver.runtime.settings.routine.approvers.append("Mallory")
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    taken_off_the_list(driver, "Mallory")

    driver.resume(case, approved=True, approver="Mallory")

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-2")
    assert driver.sandboxes.dealbuilder.deliveries() == []
    [document] = records.documents(driver.sandboxes, case.case_key)
    assert document[api.D_STATUS] == "Draft"
    [refused] = driver.runtime.store.events(case.case_key, kind="refused:approval-1")
    assert refused.actor == "Mallory"
    assert "Mallory står ikke på listen over godkjennere" in driver.form(case, "approval-2")


def test_a_follow_up_decision_from_someone_not_on_the_approvers_list_is_refused_and_asked_again(
    driver: CaseDriver,
) -> None:
    driver.runtime.settings.routine.approvers.append("Mallory")
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    assert case.contract_id
    driver.sandboxes.dealbuilder.decline(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)
    taken_off_the_list(driver, "Mallory")

    driver.resume(case, action="cancel", decided_by="Mallory", comment="bare prøver")

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_DECISION, "decision-1-2")
    [document] = records.documents(driver.sandboxes, case.case_key)
    assert document[api.D_STATUS] == "Declined"
    [refused] = driver.runtime.store.events(case.case_key, kind="refused:decision-1")
    assert refused.actor == "Mallory"

    driver.resume(case, action="cancel", decided_by="Ingrid", comment="Kunden takket nei")

    assert driver.case(case.case_key).state == CaseState.CANCELLED


def test_no_persisted_result_holds_a_signing_link(driver: CaseDriver) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola")
    case = driver.case(case.case_key)
    assert case.contract_id
    links = driver.runtime.contracts.read_status(contract_id=case.contract_id).signing_urls
    tokens = [link.rstrip("/").rsplit("/", 1)[-1] for link in links]
    assert tokens
    driver.sandboxes.dealbuilder.sign(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)

    storage = Path(str(PREFECT_LOCAL_STORAGE_PATH.value()))
    stored = [path for path in storage.rglob("*") if path.is_file()]
    assert stored
    assert [path for path in stored for token in tokens if token.encode() in path.read_bytes()] == []


FJORDKRAFT_ORG = "912345610"
