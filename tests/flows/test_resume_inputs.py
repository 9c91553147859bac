"""A resume input is typed by anyone with the API's password (issue 22): numbers that are no numbers, look-alike
names and terminal escapes are refused or cleaned; a refusal asks again without another mail, and the mail that
asks goes out only once the run is suspended."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from prefect.settings import PREFECT_API_URL

from models.case import Case, CaseState
from models.notices import Notice
from tests.flows.conftest import FJORDKRAFT, CaseDriver, notices
from tests.waiting import wait_until

ESC = "\x1b"


def paused_at(driver: CaseDriver, run_id: str, key: str) -> datetime:
    """When the Prefect server put the run in its Suspended state at `key`."""
    states = driver.client.read_flow_run_states(UUID(run_id))
    [paused] = [state for state in states if state.is_paused() and state.state_details.pause_key == key]
    return paused.timestamp


def resume_raw(driver: CaseDriver, case: Case, run_input: dict[str, Any]) -> None:
    """Resume as a hand-written API call does: Python's JSON writes NaN and Infinity, which Prefect's client won't."""
    body = json.dumps({"run_input": run_input})
    answers: list[httpx.Response] = []

    def answered() -> bool:
        # A busy server answers 503 for what its client may retry (a locked SQLite, a PostgreSQL connection it lost);
        # Prefect's own client retries that too, so we ask again until it answers otherwise.
        answers.append(
            httpx.post(
                f"{PREFECT_API_URL.value()}/flow_runs/{case.flow_run_id}/resume",
                content=body,
                headers={"content-type": "application/json"},
                timeout=60,
            )
        )
        return answers[-1].status_code != 503

    wait_until(answered, "an answer to the resume other than 503", every=0.5)
    answer = answers[-1]
    assert answer.status_code < 300 and answer.json().get("status") == "ACCEPT", (answer.status_code, answer.text)
    driver.run(driver.case(case.case_key))


def test_a_price_that_is_no_number_is_refused_and_refusals_ask_again_without_another_mail(driver: CaseDriver) -> None:
    forged = f"Mallory{ESC}[2J{ESC}[H\r\n2026-12-06 12:00 Ola {ESC}[32mapproval-9 approved{ESC}[0m"
    # On the list when the form offered it (the server checks the form's choice list), off it when the run reads it.
    driver.runtime.settings.routine.approvers.append(forged)
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    run_id = case.flow_run_id
    assert run_id
    [asked] = notices(driver.sandboxes, Notice.APPROVAL_NEEDED)
    # Mailed once the run was suspended: a link followed at once finds the Resume button.
    assert datetime.fromisoformat(asked["received_at"]) >= paused_at(driver, run_id, "approval-1")

    # The Prefect server stores NaN and infinities as null: without a check this was a plain approval at 450.
    resume_raw(driver, case, {"approved": True, "approver": "Ola", "price_per_licence": float("nan")})
    resume_raw(driver, case, {"approved": True, "approver": "Ola", "price_per_licence": float("-inf")})
    driver.runtime.settings.routine.approvers.remove(forged)
    driver.resume(case, approved=True, approver=forged, comment=f"ok{ESC}]0;pwned\x07")

    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_APPROVAL, "approval-4")
    assert driver.sandboxes.dealbuilder.deliveries() == []
    refusals = {
        step: driver.runtime.store.events(case.case_key, kind=f"refused:{step}")
        for step in ("approval-1", "approval-2", "approval-3")
    }
    [nan], [infinity], [stranger] = refusals.values()
    for refusal in (nan, infinity):
        assert "Pris per lisens: fikk ikke et tall (NaN eller uendelig)" in json.loads(refusal.details)["problems"][0]
    assert "Pris per lisens: fikk ikke et tall" in driver.form(case, "approval-2")
    assert stranger.actor == "Mallory 2026-12-06 12:00 Ola approval-9 approved"
    [decision] = driver.runtime.store.event_details(case.case_key, "decision:approval-3")
    assert (decision["approver"], decision["comment"]) == (stranger.actor, "ok")
    assert len(notices(driver.sandboxes, Notice.APPROVAL_NEEDED)) == 1

    # A correction is a new draft and a new round: asked by mail once more, after that suspend too.
    driver.resume(case, approved=False, approver="Ola", price_per_licence=440)
    assert driver.pause_key(driver.case(case.case_key)) == "approval-5"
    second = notices(driver.sandboxes, Notice.APPROVAL_NEEDED)[-1]
    assert datetime.fromisoformat(second["received_at"]) >= paused_at(driver, run_id, "approval-5")
    driver.resume(case, approved=True, approver="Ola")
    assert driver.case(case.case_key).state == CaseState.AWAITING_SIGNATURE
    assert sorted(d["channel"] for d in driver.sandboxes.dealbuilder.deliveries()) == ["email", "sms"]
    assert driver.case(case.case_key).price_after == 440
    assert len(notices(driver.sandboxes, Notice.APPROVAL_NEEDED)) == 2


def test_an_approver_typed_with_a_kelvin_sign_is_recorded_as_the_approvers_list_spells_the_name(
    driver: CaseDriver,
) -> None:
    typed = "Ola \u212aundeservice"
    # Offered by the form when the list was written so; compared after NFKC when the run reads it.
    driver.runtime.settings.routine.approvers.append(typed)
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.runtime.settings.routine.approvers.remove(typed)

    driver.resume(case, approved=True, approver=typed)

    case = driver.case(case.case_key)
    assert case.state == CaseState.AWAITING_SIGNATURE
    [decision] = driver.runtime.store.events(case.case_key, kind="decision:approval-1")
    assert (decision.actor, json.loads(decision.details)["approver"]) == ("Ola Kundeservice", "Ola Kundeservice")
