"""A case starts from its HubSpot ticket: moved to the ready stage, it is taken in once, whatever fires (the webhook,
the scheduled intake, both at once, an event twice); refused values end as one Norwegian note and the needs-fixing
stage, with nothing else written. Against the flow tests' sandboxes and Prefect server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.settings import PREFECT_API_URL, temporary_settings

from adapters.hubspot_intake import subscribe_to_stage_changes
from models.case import CaseState
from reforhandling.hubspot_webhook import HUBSPOT_WEBHOOK_PATH
from reforhandling.intake import Intake, Taken, intake_flow
from reforhandling.webhook import DealbuilderWebhook
from sandbox.hubspot.seed import KUNDESENTER_NEW_STAGE, KUNDESENTER_READY_STAGE
from sandbox.hubspot.webhooks import signed_headers
from sandbox.kit import SandboxServer
from sandbox.world import customer_by_ticket
from tests.flows.conftest import FJORDKRAFT, CaseDriver
from tests.waiting import wait_until

OLA = "7001"  # agent@avonova.example
READY = {
    "reforhandling_lisenser": "55",
    "reforhandling_pris": "450",
    "reforhandling_signatar": "kari.nordmann@fjordkraftbygg.example",
    "hubspot_owner_id": OLA,
}


class Agent:
    """Edits tickets in HubSpot as an agent does (the sandbox's API, as HubSpot's UI writes it)."""

    def __init__(self, driver: CaseDriver) -> None:
        self.hubspot = driver.sandboxes.hubspot
        self.url = driver.runtime.settings.hubspot.base_url
        self.token = driver.runtime.settings.hubspot.token.get_secret_value()

    def set(self, ticket_id: str, **properties: str) -> None:
        response = httpx.patch(
            f"{self.url}/crm/v3/objects/tickets/{ticket_id}",
            json={"properties": properties},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text

    def associate_company(self, ticket_id: str) -> None:
        company = customer_by_ticket(ticket_id).company_id
        response = httpx.put(
            f"{self.url}/crm/v4/objects/tickets/{ticket_id}/associations/default/companies/{company}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text

    def ready(self, ticket_id: str, **properties: str) -> int:
        """Fill the ticket and move it to the ready stage; the sandbox's request count after the move."""
        self.set(ticket_id, **properties)
        self.set(ticket_id, hs_pipeline_stage=KUNDESENTER_NEW_STAGE)
        self.set(ticket_id, hs_pipeline_stage=KUNDESENTER_READY_STAGE)
        return len(self.hubspot.log)

    def writes_since(self, mark: int) -> list[str]:
        """Every write after `mark`, as "METHOD path" (searches and batch reads are reads)."""
        return [
            f"{entry['method']} {entry['path']}"
            for entry in self.hubspot.log[mark:]
            if entry["method"] != "GET" and not entry["path"].endswith(("/search", "/batch/read"))
        ]

    def notes(self, ticket_id: str) -> list[str]:
        ids = self.hubspot.associations("tickets", ticket_id, "notes")
        return [str((self.hubspot.object("notes", i) or {})["properties"]["hs_note_body"]) for i in ids]

    def stage(self, ticket_id: str) -> str:
        return str((self.hubspot.object("tickets", ticket_id) or {})["properties"]["hs_pipeline_stage"])


@pytest.fixture
def agent(driver: CaseDriver) -> Agent:
    return Agent(driver)


@pytest.fixture
def intake(driver: CaseDriver, prefect_api: str) -> Intake:
    @contextmanager
    def client() -> Iterator[SyncPrefectClient]:
        # Each thread its own client on the test server, as the receiver's worker threads and the flow have.
        with temporary_settings({PREFECT_API_URL: prefect_api}), get_client(sync_client=True) as one:
            yield one

    return Intake(driver.runtime, prefect_client=client)


def runs_of_ticket(driver: CaseDriver, ticket_id: str) -> int:
    tagged = FlowRunFilter(tags=FlowRunFilterTags(all_=[f"ticket:{ticket_id}"]))
    return len(driver.client.read_flow_runs(flow_run_filter=tagged))


def cases_of_ticket(driver: CaseDriver, ticket_id: str) -> list[Any]:
    return [case for case in driver.runtime.store.cases() if case.ticket_id == ticket_id]


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # shown in the assertion, not lost in a thread
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_webhook_and_poll_racing_with_a_duplicated_event_open_exactly_one_case(
    driver: CaseDriver, agent: Agent, intake: Intake
) -> None:
    before = runs_of_ticket(driver, "5004")
    signer = {"reforhandling_signatar": "per.hakonsen@sondreas.example"}
    agent.ready("5004", **READY | signer | {"reforhandling_lisenser": "20", "reforhandling_pris": "500"})

    # The webhook's event, the same event delivered again, and the scheduled intake, at the same moment.
    results = at_once(lambda: intake.take_in("5004"), lambda: intake.take_in("5004"), intake.sweep)

    assert not [r for r in results if isinstance(r, Exception)], results
    taken: list[Taken] = [*results[:2], *results[2]]
    assert sorted(t.outcome for t in taken) in (["seen", "seen", "started"], ["seen", "started"])
    [case] = cases_of_ticket(driver, "5004")
    assert (case.state, case.licences_after, case.agent_email) == (CaseState.STARTED, 20, "agent@avonova.example")
    assert runs_of_ticket(driver, "5004") == before + 1
    # A delivery seen again later changes nothing either.
    assert intake.take_in("5004").outcome == "seen"
    assert len(cases_of_ticket(driver, "5004")) == 1


def test_a_started_ticket_is_not_read_again_by_the_poll(driver: CaseDriver, agent: Agent, intake: Intake) -> None:
    agent.ready("5001", **READY)
    [first] = intake.sweep()
    assert first.outcome == "started"
    mark = len(agent.hubspot.log)

    assert intake.sweep() == []
    assert [e["path"] for e in agent.hubspot.log[mark:]] == ["/crm/v3/objects/tickets/search"]


REFUSALS = [
    pytest.param(
        {"reforhandling_lisenser": ""}, "Nytt antall lisenser (reforhandling_lisenser): (tomt)", id="no licences"
    ),
    pytest.param({"reforhandling_lisenser": "0"}, "0 avslutter avtalen", id="zero licences"),
    pytest.param(
        {"reforhandling_pris": "449.505"}, "Ny pris per lisens (reforhandling_pris): «449.505»", id="three decimals"
    ),
    pytest.param({"reforhandling_oppstartsdato": "2020-01-01"}, "tidligst første dag", id="start date in the past"),
    pytest.param(
        {"reforhandling_signatar": "ukjent@fjordkraftbygg.example"},
        "«ukjent@fjordkraftbygg.example». Ingen kontakt i HubSpot",
        id="unknown signer without a name",
    ),
    pytest.param({"hubspot_owner_id": ""}, "Ticket-eier: (tomt)", id="no owner"),
    # Fjordkraft has 40 licences at 450 today.
    pytest.param(
        {"reforhandling_lisenser": "40", "reforhandling_pris": "450"},
        "Kunden har allerede dette antallet",
        id="nothing changes",
    ),
]


@pytest.mark.parametrize(("change", "expected"), REFUSALS)
def test_each_refused_value_ends_as_one_note_and_the_needs_fixing_stage_with_nothing_else_written(
    driver: CaseDriver, agent: Agent, intake: Intake, change: dict[str, str], expected: str
) -> None:
    # The company on the ticket, so that an unknown signer is not also a company nobody can tell.
    agent.associate_company("5001")
    mark = agent.ready("5001", **READY | change)

    taken = intake.take_in("5001")

    assert taken.outcome == "refused"
    [note] = agent.notes("5001")
    assert expected in note
    assert "Trenger retting" not in note and "Klar for reforhandling" in note
    assert agent.stage("5001") == "81234573"
    assert agent.writes_since(mark) == ["POST /crm/v3/objects/notes", "PATCH /crm/v3/objects/tickets/5001"]
    assert cases_of_ticket(driver, "5001") == []


def test_a_ticket_without_an_org_number_is_refused_on_the_ticket(agent: Agent, intake: Intake) -> None:
    signer = {"reforhandling_signatar": "lene.berg@utenorgnr.example"}
    agent.ready("5008", **READY | signer | {"reforhandling_lisenser": "10"})

    assert intake.take_in("5008").outcome == "refused"
    [note] = agent.notes("5008")
    assert "Firma (kundekort) på ticketen: «Uten Orgnr AS»" in note and "organisasjonsnummer" in note


def test_one_note_lists_every_problem_and_values_cannot_forge_lines_or_markup(agent: Agent, intake: Intake) -> None:
    bad = {"reforhandling_lisenser": "", "reforhandling_pris": "1e3", "reforhandling_signatar": "x\n2. <b>ok</b>"}
    agent.ready("5001", **READY | bad)

    taken = intake.take_in("5001")

    [note] = agent.notes("5001")
    fields = [problem.field.split(" (")[0] for problem in taken.problems]
    assert fields == ["Signatar", "Nytt antall lisenser", "Ny pris per lisens"]
    assert "«x 2. &lt;b&gt;ok&lt;/b&gt;»" in note and "<b>" not in note
    assert [note.count(f"<br>{n}. ") for n in (1, 2, 3, 4)] == [1, 1, 1, 0]


def test_the_same_move_seen_twice_writes_one_note_and_a_fixed_ticket_moved_back_starts(
    driver: CaseDriver, agent: Agent, intake: Intake
) -> None:
    agent.ready("5001", **READY | {"reforhandling_pris": "449.505"})
    assert intake.take_in("5001").outcome == "refused"
    # HubSpot delivers the event again, and the poll comes by: the ticket has left the stage, the move was seen.
    assert intake.take_in("5001").outcome == "not-ready"
    assert len(agent.notes("5001")) == 1

    agent.ready("5001", reforhandling_pris="449.50")
    taken = intake.take_in("5001")

    assert taken.outcome == "started"
    assert len(agent.notes("5001")) == 1
    [case] = cases_of_ticket(driver, "5001")
    assert str(case.price_after) == "449.50"


def test_the_scheduled_intake_flow_starts_the_case_of_a_ready_ticket(
    driver: CaseDriver, agent: Agent, prefect_api: str
) -> None:
    signer = {"reforhandling_signatar": "ase.odegard@aerligokonomi.example"}
    agent.ready("5002", **READY | signer | {"reforhandling_lisenser": "75", "reforhandling_pris": "420"})

    runtime = driver.runtime
    counts = intake_flow(lambda: runtime)()

    assert counts == {"started": 1}
    [case] = cases_of_ticket(driver, "5002")
    driver.run(case)
    assert driver.case(case.case_key).state is CaseState.AWAITING_APPROVAL


@pytest.fixture
def receiver(driver: CaseDriver, prefect_api: str) -> Iterator[tuple[DealbuilderWebhook, str]]:
    """The receiver on a free port; yields it and the URL of its HubSpot path."""
    app = DealbuilderWebhook(driver.runtime, {PREFECT_API_URL: prefect_api})
    with SandboxServer(app) as server:
        yield app, f"{server.url}{HUBSPOT_WEBHOOK_PATH}"
    app.hubspot.close()


def stage_event(ticket_id: str, *, event_id: int = 1) -> bytes:
    event = {
        "eventId": event_id,
        "subscriptionId": 1000,
        "portalId": 1234567,
        "appId": 2345678,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": "ticket.propertyChange",
        "attemptNumber": 0,
        "objectId": int(ticket_id),
        "propertyName": "hs_pipeline_stage",
        "propertyValue": KUNDESENTER_READY_STAGE,
        "changeSource": "CRM_UI",
    }
    return json.dumps([event]).encode()


def test_a_stage_change_delivered_by_hubspots_webhook_opens_the_case(
    driver: CaseDriver, agent: Agent, receiver: tuple[DealbuilderWebhook, str]
) -> None:
    app, url = receiver
    subscribe_to_stage_changes(driver.runtime.settings.hubspot, url=url)
    signer = {"reforhandling_signatar": "per.hakonsen@sondreas.example"}

    agent.ready("5004", **READY | signer | {"reforhandling_lisenser": "20", "reforhandling_pris": "500"})

    wait_until(lambda: cases_of_ticket(driver, "5004"), "a case of ticket 5004")
    assert app.hubspot.idle().result() is None
    [case] = cases_of_ticket(driver, "5004")
    assert case.signer_email == "per.hakonsen@sondreas.example"
    # One delivery (the fields' changes are not subscribed to); the ticket was read once, by the intake, and start's
    # preflight used that read (with the ticket's company and contacts) instead of reading it again.
    attempts = agent.hubspot.webhooks.sender.attempts()
    assert [a["status"] for a in attempts] == [200]
    [read] = agent.hubspot.requests("GET", r"^/crm/v3/objects/tickets/5004$")
    assert any("companies" in value for value in read["query"].get("associations", [])), read


SECRET = "sandbox-client-secret"
FORGERIES = [
    pytest.param(lambda url, body: signed_headers(secret="guessed", url=url, body=body), id="forged"),
    pytest.param(
        lambda url, body: signed_headers(
            secret=SECRET, url=url, body=body, timestamp_ms=int((time.time() - 301) * 1000)
        ),
        id="stale",
    ),
    pytest.param(
        lambda url, body: signed_headers(secret=SECRET, url=url.replace("hubspot", "other"), body=body),
        id="signed for another address",
    ),
    pytest.param(lambda url, body: {"Content-Type": "application/json"}, id="unsigned"),
]


@pytest.mark.parametrize("sign", FORGERIES)
def test_a_forged_stale_or_unsigned_delivery_is_refused_with_401_and_changes_nothing(
    driver: CaseDriver, agent: Agent, receiver: tuple[DealbuilderWebhook, str], sign: Any
) -> None:
    app, url = receiver
    mark = agent.ready("5001", **READY)
    body = stage_event("5001")

    response = httpx.post(url, content=body, headers=sign(url, body))

    assert response.status_code == 401
    assert app.hubspot.idle().result() is None
    assert agent.hubspot.log[mark:] == []
    assert cases_of_ticket(driver, "5001") == []


def test_a_replayed_delivery_is_refused_with_401_and_changes_nothing(
    driver: CaseDriver, agent: Agent, receiver: tuple[DealbuilderWebhook, str]
) -> None:
    app, url = receiver
    agent.ready("5001", **READY)
    body = stage_event("5001")
    headers = signed_headers(secret=SECRET, url=url, body=body)
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    assert app.hubspot.idle().result() is None
    [case] = cases_of_ticket(driver, "5001")
    mark = len(agent.hubspot.log)

    replayed = httpx.post(url, content=body, headers=headers)

    assert replayed.status_code == 401
    assert app.hubspot.idle().result() is None
    assert agent.hubspot.log[mark:] == []
    assert [c.case_key for c in cases_of_ticket(driver, "5001")] == [case.case_key]


def test_a_ticket_whose_case_is_open_is_left_alone(driver: CaseDriver, agent: Agent, intake: Intake) -> None:
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    mark = agent.ready("5001", **READY | {"reforhandling_lisenser": ""})

    assert intake.take_in("5001").outcome == "open-case"
    assert agent.writes_since(mark) == []
    assert [c.case_key for c in cases_of_ticket(driver, "5001")] == [case.case_key]


def test_a_refused_field_does_not_hide_what_starts_reads_find_one_note_lists_both(agent: Agent, intake: Intake) -> None:
    agent.associate_company("5001")
    unknown = {"reforhandling_lisenser": "", "reforhandling_signatar": "ukjent@fjordkraftbygg.example"}
    agent.ready("5001", **READY | unknown)

    taken = intake.take_in("5001")

    assert [problem.field.split(" (")[0] for problem in taken.problems] == ["Nytt antall lisenser", "Signatar"]
    [note] = agent.notes("5001")
    assert "Ingen kontakt i HubSpot" in note and "<br>3. " not in note
