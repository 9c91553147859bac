"""The start form's run (deployment `start-renegotiation`): `reforhandling start`'s checks, then the case and run."""

from __future__ import annotations

from datetime import date

import pytest
from prefect import Flow

from models.case import CaseState
from reforhandling.start_form import StartRefused, start_form_flow
from sandbox import records
from tests.flows.conftest import AERLIG, CaseDriver


@pytest.fixture
def start_renegotiation(driver: CaseDriver) -> Flow[..., str]:
    """The start form's flow on the driver's runtime, as the deployment builds it on its own."""
    runtime = driver.runtime
    return start_form_flow(lambda: runtime)


def test_a_form_run_opens_the_case_and_its_run_waits_for_approval(
    driver: CaseDriver, start_renegotiation: Flow[..., str]
) -> None:
    case_key = start_renegotiation(
        ticket_id=AERLIG["ticket"],
        signer_email=AERLIG["signer"],
        licences=75,
        price_per_licence=420.0,
        agent_email="agent@avonova.example",
    )

    case = driver.case(case_key)
    assert (case.ticket_id, case.licences_after, str(case.price_after), case.agent_email) == (
        "5002",
        75,
        "420.00",
        "agent@avonova.example",
    )
    driver.run(case)
    assert driver.pause_key(case) == "approval-1"
    assert driver.case(case_key).state == CaseState.AWAITING_APPROVAL
    assert records.ticket_statuses(driver.sandboxes, "5002") == ["Startet", "Venter på godkjenning"]


def test_a_refused_form_run_names_every_problem_and_writes_nothing(
    driver: CaseDriver, start_renegotiation: Flow[..., str]
) -> None:
    with pytest.raises(StartRefused) as refused:
        start_renegotiation(
            ticket_id="5002",
            signer_email="ikke-en-adresse",
            licences=0,
            price_per_licence=420.555,
            agent_email="agent@avonova.example",
            start_date=date(2020, 1, 1),
        )
    lines = str(refused.value).splitlines()
    assert lines[0] == "Nothing was started; fix these and run again:"
    assert [line.split(":")[0] for line in lines[1:]] == ["signer_email", "licences", "price_per_licence", "start_date"]
    # Valid values, but HubSpot does not know the signer (and the ticket has no company): preflight's refusal.
    with pytest.raises(StartRefused, match=r"company: ticket 5002 has no company and the signer ny\.signatar@"):
        start_renegotiation(
            ticket_id="5002",
            signer_email="ny.signatar@aerligokonomi.example",
            licences=75,
            price_per_licence=420,
            agent_email="agent@avonova.example",
        )

    assert driver.runtime.store.cases() == []
    for sandbox in (driver.sandboxes.hubspot, driver.sandboxes.dealbuilder):
        assert [r["path"] for r in sandbox.requests() if r["method"] != "GET"] == []
    assert len(driver.sandboxes.hubspot.requests()) > 0  # it did read
