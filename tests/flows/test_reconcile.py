"""The reconciliation against the sandboxes: each kind of drift made behind the flow's back is reported, once, in
the artifact and in one e-mail to ops; a run without drift sends nothing, and nothing is ever corrected."""

from __future__ import annotations

import json
from decimal import Decimal
from uuid import UUID

import httpx
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

from adapters import dealbuilder_api as api
from models.case import CaseState
from models.renegotiation import RenegotiationRequest
from tasks.reconcile import DRIFT_ARTIFACT
from tests.flows.conftest import AERLIG, BLABAER, FJORDKRAFT, CaseDriver, approve_and_sign


def drift_table(driver: CaseDriver) -> list[dict[str, str]]:
    [artifact] = driver.client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[DRIFT_ARTIFACT])),
        sort=ArtifactSort.CREATED_DESC,
        limit=1,
    )
    data = artifact.data
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list)
    return rows


def test_each_drift_is_reported_in_the_artifact_and_one_mail_and_nothing_is_changed(driver: CaseDriver) -> None:
    cut = driver.start(**FJORDKRAFT, licences=30, price="450")
    approve_and_sign(driver, cut.case_key)
    rise = driver.start(**AERLIG, licences=70, price="420")
    approve_and_sign(driver, rise.case_key)
    waiting = driver.start(**BLABAER, licences=100, price="380")
    cut, rise, waiting = (driver.case(case.case_key) for case in (cut, rise, waiting))
    assert (cut.state, rise.state, waiting.state) == (
        CaseState.COMPLETED,
        CaseState.COMPLETED,
        CaseState.AWAITING_APPROVAL,
    )
    driver.sandboxes.smtp.clear()

    assert driver.reconciler()() == 0
    assert driver.sandboxes.smtp.messages == []
    assert drift_table(driver)[0]["drift"] == "none"

    # Behind the flow's back, as people in each system could.
    crm, dealbuilder = driver.runtime.crm, driver.sandboxes.dealbuilder
    assert cut.deal_id and cut.contract_id and waiting.contract_id and waiting.flow_run_id
    [set_by_case] = [c for c in driver.sandboxes.licences.changes() if c["reference"] == cut.case_key]
    driver.runtime.licences.set_licences(customer_id=set_by_case["customerId"], licences=35, case_key="by hand")
    crm.set_deal_licences(deal_id=cut.deal_id, licences=31)
    dealbuilder.force_status(cut.contract_id, api.STATUS_REVOKED)
    crm.assign_ticket(ticket_id=rise.ticket_id, owner_email="agent2@avonova.example")
    crm.move_ticket(ticket_id=rise.ticket_id, stage_label="Under arbeid")
    assert rise.deal_id
    crm.move_deal(deal_id=rise.deal_id, stage_label="Venter på beslutning")
    httpx.delete(
        f"{driver.runtime.settings.hubspot.base_url}/crm/v4/objects/deals/{rise.deal_id}/associations/tickets/"
        f"{rise.ticket_id}",
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    ).raise_for_status()
    dealbuilder.force_status(waiting.contract_id, api.STATUS_SIGNED)
    driver.client.delete_flow_run(UUID(waiting.flow_run_id))
    licence_log = driver.sandboxes.licences.changes()

    assert driver.reconciler()() == 9

    reported = {(row["case"].replace("\\", ""), row["drift"]) for row in drift_table(driver)}
    assert reported == {
        (cut.case_key, "licences"),
        (cut.case_key, "deal-amount"),
        (cut.case_key, "contract-revoked"),
        (rise.case_key, "ticket-owner"),
        (rise.case_key, "ticket-stage"),
        (rise.case_key, "deal-stage"),
        (rise.case_key, "deal-ticket"),
        (waiting.case_key, "signed-outside-the-flow"),
        (waiting.case_key, "run-missing"),
    }
    [mail] = driver.sandboxes.smtp.messages
    assert mail["to"] == [driver.runtime.settings.routine.ops_recipient]
    assert mail["subject"] == "Reforhandling: 9 findings in the reconciliation"
    for case_key, drift in reported:
        assert f"{case_key} " in mail["text"] and f": {drift}: " in mail["text"]
    assert "35 in Avonova Digital" in mail["text"] and "31 on the deal" in mail["text"]
    # Reported, not repaired.
    assert driver.sandboxes.licences.changes() == licence_log
    assert driver.case(waiting.case_key).state == CaseState.AWAITING_APPROVAL


def test_a_ticket_moved_back_to_sendt_kontrakt_after_the_case_completed_is_reported(driver: CaseDriver) -> None:
    # A completed case, as the case store holds it (the reconciliation reads no more of it than this).
    store = driver.runtime.store
    request = RenegotiationRequest(
        ticket_id="5001",
        signer_email=FJORDKRAFT["signer"],
        licences=30,
        price_per_licence=Decimal("450"),
        agent_email="agent@avonova.example",
    )
    case = store.open_case(request, actor="test")
    store.transition(case.case_key, CaseState.NEEDS_ATTENTION, actor="test")
    store.transition(case.case_key, CaseState.LICENCES_ADJUSTED, actor="test")
    store.transition(case.case_key, CaseState.COMPLETED, actor="test")
    crm = driver.runtime.crm
    crm.move_ticket(ticket_id="5001", stage_label="Sendt kontrakt")
    crm.move_ticket(ticket_id="5001", stage_label="Lukket")
    assert driver.reconciler()() == 0

    # A write that landed late (or a person) puts the closed ticket back at "Sendt kontrakt".
    crm.move_ticket(ticket_id="5001", stage_label="Sendt kontrakt")

    assert driver.reconciler()() == 1
    [row] = drift_table(driver)
    assert (row["case"].replace("\\", ""), row["drift"]) == (case.case_key, "ticket-moved-back")
    assert row["expected"].startswith("Lukket at ") and row["found"].startswith("back at Sendt kontrakt at ")
    [mail] = driver.sandboxes.smtp.messages
    assert f"{case.case_key} " in mail["text"] and ": ticket-moved-back: " in mail["text"]
