"""A person's part, in a real browser: approve in the Prefect UI's Resume dialog, sign on the Dealbuilder sandbox's
page; the served deployments and the scheduled poller do the rest (the embedded stack of `reforhandling up`). Also
what a person opens beside it: the board and summary links, the mail sandbox's inbox, the HubSpot sandbox's record
pages. (A second `up` on the same data dir is covered by tests/e2e/test_up.py, which runs `up` itself.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, sync_playwright
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
    DeploymentFilter,
    DeploymentFilterId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.settings import temporary_settings

from adapters import dealbuilder_api as api
from bootstrap.runtime import build_runtime
from config.settings import PROJECT_ROOT, Settings
from devtools.prefect_stack import PrefectStack
from models.artifacts import BOARD_KEY, case_artifact_key
from models.case import Case, CaseState
from models.messages import notice_kind
from models.notices import Notice
from models.renegotiation import RenegotiationRequest
from reforhandling.prefect_auth import auth_string, client_settings
from reforhandling.starting import run_url, start_case
from reforhandling.webhook import DealbuilderWebhook
from sandbox import records
from sandbox.kit import SandboxServer, free_port
from sandbox.stack import SandboxStack
from sandbox.world import customer_by_ticket
from store.case_store import CaseStore
from tests.processes import PROCESS_TEST_TIMEOUT
from tests.waiting import wait_until

# One stack for the module's tests (its fixture), so they stay on one xdist worker.
pytestmark = [pytest.mark.timeout(PROCESS_TEST_TIMEOUT), pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"  # Debian's package; ./run.sh test installs it
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PATIENCE_MS = 240_000  # the most a step may wait for its element or a process (the tests' own timeout bounds more)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Stack:
    settings: Settings
    sandboxes: SandboxStack
    store: CaseStore
    auth: str
    receiver: str  # the webhook receiver's URL, which also serves the links to an artifact's newest version


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root: Path = tmp_path_factory.mktemp("stack")
    base = Settings(data_dir=root)
    settings = base.model_copy(
        update={"prefect": base.prefect.model_copy(update={"port": free_port(), "poll_interval_seconds": 2})}
    )
    with SandboxStack.start(settings, free_ports=True) as sandboxes:
        settings = sandboxes.configure(settings)
        auth, _ = auth_string(settings, create=True)
        prefect = PrefectStack(settings, root / "prefect", root / "logs", auth=auth)
        try:
            prefect.start_server(timeout=PATIENCE_MS / 1000)
            prefect.start_serve()
            prefect.wait_for_deployment(settings.prefect.flow_deployment, timeout=PATIENCE_MS / 1000)
            prefect.wait_for_deployment(settings.prefect.poller_deployment, timeout=PATIENCE_MS / 1000)
            receiver = DealbuilderWebhook(build_runtime(settings), client_settings(settings))
            with temporary_settings(client_settings(settings)), SandboxServer(receiver) as links:
                yield Stack(settings, sandboxes, CaseStore(settings.effective_database_url), auth or "", links.url)
        finally:
            prefect.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        # Playwright's 30 s for each step is what a loaded machine misses (the UI's scripts start slowly there); a
        # step still waits for its element or answer, never for a time.
        page.set_default_timeout(PATIENCE_MS)
        # The UI also calls an analytics host; nothing may leave this machine, and every attempt is noted.
        outside: list[str] = []

        def route(route: Route) -> None:
            if "127.0.0.1" in route.request.url:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        page.outside_requests = outside  # type: ignore[attr-defined]
        yield page
        browser.close()


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest) -> Path:
    """The folder the screenshots are kept in after the run, for a person to look at (ignored by git)."""
    folder = ARTIFACTS / Path(__file__).stem
    folder.mkdir(parents=True, exist_ok=True)
    # Past pytest's output capture, so the folder is named in every run's output, passed or failed.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    assert capture is not None
    with capture.global_and_fixture_disabled():
        print(f"\nbrowser screenshots: {folder}")
    return folder


def log_in(page: Page, url: str, password: str) -> None:
    """Give the UI the Prefect password on its login page, as a person does once per browser."""
    page.goto(url)
    page.get_by_placeholder("admin:pass").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_placeholder("admin:pass").wait_for(state="detached")


def submit_in_resume_dialog(page: Page, url: str, fill: Callable[[Locator], None]) -> None:
    """Open the run's Resume dialog, let `fill` answer the form, submit, and wait for the UI to say it resumed."""
    page.goto(url)
    # On SQLite the server now and then answers a resume with "database is locked": a person submits again.
    resumed, failed = page.get_by_text("Flow run resumed"), page.get_by_text("Failed to resume flow run")
    for _ in range(3):
        page.get_by_role("button", name="Resume").first.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Godkjenn reforhandling").wait_for()
        fill(dialog)
        dialog.get_by_role("button", name="Submit").click()
        wait_until(lambda: resumed.count() > 0 or failed.count() > 0, "the UI's answer", every=0.5)
        if resumed.count():
            return
        page.reload()
    raise AssertionError("the Resume dialog failed three times")


def open_approver_list(page: Page, dialog: Locator) -> None:
    """Open Godkjent av's list: the form offers only routine.approvers."""
    dialog.locator("button.p-select-button__control").first.focus()
    page.keyboard.press("ArrowDown")
    page.get_by_placeholder("Search").wait_for()


def choose_approver(page: Page, dialog: Locator, approver: str) -> None:
    open_approver_list(page, dialog)
    page.get_by_role("option", name=approver, exact=True).click()


def approve_in_resume_dialog(page: Page, url: str, approver: str) -> None:
    def approve(dialog: Locator) -> None:
        dialog.get_by_role("switch").first.click()
        choose_approver(page, dialog, approver)

    submit_in_resume_dialog(page, url, approve)


def start_and_wait_for_approval(stack: Stack, request: RenegotiationRequest) -> Case:
    """Start a case on the served deployment and wait until its run asks for approval-1."""
    with get_client(sync_client=True) as client:
        case = start_case(request, settings=stack.settings, store=stack.store, client=client, actor="test")
        assert case.flow_run_id
        wait_for_pause(client, case, "approval-1")
    return case


def wait_for_pause(client: SyncPrefectClient, case: Case, key: str) -> None:
    def paused() -> bool:
        state = client.read_flow_run(UUID(str(case.flow_run_id))).state
        return bool(state and state.is_paused() and state.state_details.pause_key == key)

    # A fresh run's first phase takes 20-40 s here, and minutes on a machine busy with other test runs.
    wait_until(paused, f"the run to pause at {key}", every=0.5)


def test_a_person_approves_in_the_prefect_ui_and_signs_on_the_signing_page_and_the_case_completes(
    stack: Stack, page: Page, shots: Path
) -> None:
    customer = customer_by_ticket("5001")
    request = RenegotiationRequest(
        ticket_id="5001",
        signer_email=customer.signer_email,
        licences=55,
        price_per_licence=customer.price_per_licence,
        agent_email="agent@avonova.example",
    )
    case = start_and_wait_for_approval(stack, request)
    assert case.flow_run_id

    log_in(page, f"{stack.settings.prefect.ui_url}/login", stack.auth)
    # The board's link opens its newest version, the table, at once (Prefect's page of the key lists versions).
    waiting = {"case": case.case_key, "state": "AWAITING_APPROVAL"}
    wait_until(
        lambda: any(waiting.items() <= row.items() for row in board(stack)),
        "the poller's board with the case",
        every=0.5,
    )
    page.goto(f"{stack.receiver}/artifacts/{BOARD_KEY}")
    table = page.get_by_role("table").first
    table.get_by_text(case.case_key).wait_for()
    headers = [header.strip() for header in table.locator("th").all_inner_texts()]
    assert headers[:2] == ["case", "state"] and headers[-1] == "link", headers
    page.screenshot(path=shots / "0-board.png")
    approve_in_resume_dialog(page, run_url(stack.settings, case.flow_run_id), "Ola Kundeservice")

    wait_until(
        lambda: stack.store.get(case.case_key).state is CaseState.AWAITING_SIGNATURE,
        "the contract to be sent",
        every=0.5,
    )
    page.goto(stack.sandboxes.urls["signing"])
    page.get_by_text("Åpne og signer").first.click()
    page.get_by_text("Avonova Assist lisens").wait_for()
    page.get_by_role("button", name="Signer").click()
    page.get_by_text("Takk! Kontrakten er signert.").wait_for()
    page.screenshot(path=shots / "0-signed.png")

    wait_until(lambda: stack.store.get(case.case_key).state is CaseState.COMPLETED, "the case to complete", every=0.5)
    [notice, mail] = stack.sandboxes.smtp.messages
    # The agent was told, with the link to the very run whose Resume dialog this test used.
    assert notice_kind(notice["message_id"]) is Notice.APPROVAL_NEEDED
    assert run_url(stack.settings, str(case.flow_run_id)) in notice["text"]
    assert mail["to"] == [stack.settings.routine.sales_registration_recipient]
    assert stack.sandboxes.licences.licences(customer.org_number) == 55
    [decision] = stack.store.events(case.case_key, kind="decision:approval-1")
    assert (decision.actor, json.loads(decision.details)["approved"]) == ("Ola Kundeservice", True)

    # The mail sandbox's inbox is a page: subject, recipient and the HTML part, shown in a frame that runs nothing.
    page.goto(stack.sandboxes.urls["inbox"])
    page.get_by_role("heading", name=mail["subject"]).wait_for()
    page.get_by_text(stack.settings.routine.sales_registration_recipient).first.wait_for()
    frame = page.frame_locator("iframe").first
    frame.get_by_text("Registrer salget på").wait_for()
    # Tall enough for both messages: headless Chromium does not paint frames below the viewport in a screenshot.
    page.set_viewport_size({"width": 1400, "height": 2200})
    page.screenshot(path=shots / "0-inbox.png")
    # On the local stack the e-mails' HubSpot links open the sandbox's page of the record: the ticket and its notes.
    [ticket_link] = re.findall(r"https?://\S+/record/0-5/5001", notice["text"])
    page.goto(ticket_link)
    page.get_by_role("heading", name="Notat").wait_for()
    page.get_by_text("Fjordkraft Bygg AS").first.wait_for()
    page.screenshot(path=shots / "0-hubspot-ticket.png", full_page=True)
    # The case's summary, through the same kind of link, says it is completed and the contract's start date.
    page.goto(f"{stack.receiver}/artifacts/{case_artifact_key(case.case_key)}")
    page.get_by_text("tilstand COMPLETED").wait_for()
    page.screenshot(path=shots / "0-case-summary.png")


def board(stack: Stack) -> list[dict[str, str]]:
    """The rows of the board's newest version (none before the first poll)."""
    with get_client(sync_client=True) as client:
        found = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[BOARD_KEY])), limit=1
        )
    data = found[0].data if found else "[]"
    rows = json.loads(data) if isinstance(data, str) else data
    return list(rows or [])


INJECTED = "![x](http://evil.example/x.png) [klikk](javascript:alert(1)) **fet** <img src=http://evil.example/y.png>"


def test_a_company_name_with_markdown_and_html_renders_as_text_in_a_norwegian_resume_dialog_that_refuses_strangers(
    stack: Stack, page: Page, shots: Path
) -> None:
    customer = customer_by_ticket("5002")
    settings = stack.settings
    renamed = httpx.patch(
        f"{settings.hubspot.base_url}/crm/v3/objects/companies/{customer.company_id}",
        headers={"Authorization": f"Bearer {settings.hubspot.token.get_secret_value()}"},
        json={"properties": {"name": INJECTED}},
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    request = RenegotiationRequest(
        ticket_id="5002",
        signer_email=customer.signer_email,
        licences=61,
        price_per_licence=customer.price_per_licence,
        agent_email="agent@avonova.example",
    )
    case = start_and_wait_for_approval(stack, request)
    assert case.flow_run_id

    log_in(page, f"{settings.prefect.ui_url}/login", stack.auth)
    page.goto(run_url(settings, case.flow_run_id))
    page.get_by_role("button", name="Resume").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Godkjenn reforhandling").wait_for()
    page.wait_for_timeout(1000)

    text = dialog.inner_text()
    assert "![x](http://evil.example/x.png)" in text
    assert dialog.locator("img").count() == 0
    assert dialog.locator("a[href^='javascript']").count() == 0
    assert [url for url in page.outside_requests if "evil.example" in url] == []  # type: ignore[attr-defined]
    # The form speaks Norwegian; the required fields are not "(Optional)", the corrections are; the price is one
    # plain number box, not a float/str/None choice.
    labels = dialog.locator(".schema-form-property__label").all_inner_texts()
    assert labels[:2] == ["Godkjent", "Godkjent av"] and "Antall lisenser (Optional)" in labels, labels
    assert "float" not in text.split() and 'Property is type "None"' not in text
    # The key figures come first, in a few short lines, before the lines' table; amounts in one style.
    assert re.search(r"Lisenser:\s+60\s+→\s+61\s+Pris per lisens:\s+420,00 kr\s+→\s+420,00 kr", text), text
    assert text.index("Årsverdi:") < text.index("Linjene i utkastet") and "449.50" not in text
    page.screenshot(path=shots / "1-approval-form.png")

    # Someone not on the approvers list finds no name of theirs to choose; left empty, the form refuses itself.
    open_approver_list(page, dialog)
    page.get_by_placeholder("Search").fill("Mallory")
    assert page.get_by_role("option").count() == 0
    page.keyboard.press("Escape")
    dialog.get_by_role("switch").first.click()
    dialog.get_by_role("button", name="Submit").click()
    dialog.get_by_text("'approver' is a required property").wait_for()
    page.screenshot(path=shots / "1-approval-refused.png")
    assert page.get_by_text("Flow run resumed").count() == 0
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(case.flow_run_id)).state
    assert state and state.is_paused() and state.state_details.pause_key == "approval-1"


def test_a_correction_in_the_resume_dialog_asks_again_with_the_new_figures_and_a_rejection_closes_the_case(
    stack: Stack, page: Page, shots: Path
) -> None:
    customer = customer_by_ticket("5003")
    request = RenegotiationRequest(
        ticket_id="5003",
        signer_email=customer.signer_email,
        licences=90,
        price_per_licence=customer.price_per_licence,
        agent_email="agent@avonova.example",
    )
    case = start_and_wait_for_approval(stack, request)
    assert case.flow_run_id
    url = run_url(stack.settings, case.flow_run_id)
    log_in(page, f"{stack.settings.prefect.ui_url}/login", stack.auth)

    def correct(dialog: Locator) -> None:
        choose_approver(page, dialog, "Ola Kundeservice")
        dialog.get_by_role("spinbutton").first.fill("95")
        page.screenshot(path=shots / "1-approval-1-correction.png")

    submit_in_resume_dialog(page, url, correct)
    with get_client(sync_client=True) as client:
        wait_for_pause(client, case, "approval-2")

    shown: list[str] = []

    def reject(dialog: Locator) -> None:
        dialog.get_by_text("godkjenning nr. 2").wait_for()
        shown.append(dialog.inner_text())
        choose_approver(page, dialog, "Ola Kundeservice")
        dialog.locator("textarea").fill("Kunden vil vente til neste år")
        page.screenshot(path=shots / "2-approval-2-rejection.png")

    submit_in_resume_dialog(page, url, reject)

    # approval-2 shows the corrected draft: 100 licences before, 95 after.
    assert re.search(r"Lisenser:\s+100\s+→\s+95\b", shown[-1]), shown[-1]
    wait_until(lambda: stack.store.get(case.case_key).state is CaseState.REJECTED, "the case to close", every=0.5)
    page.goto(url)
    # The run page dims until its logs are in.
    page.get_by_text("Beginning flow run").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shots / "3-rejected-run.png")
    [note] = records.notes(stack.sandboxes, "5003")
    assert "Reforhandling avvist av Ola Kundeservice" in note and "Kunden vil vente til neste år" in note
    [corrected] = stack.store.event_details(case.case_key, "decision:approval-1")
    [rejected] = stack.store.event_details(case.case_key, "decision:approval-2")
    assert (corrected["licences"], rejected["approved"]) == (95, False)
    assert [document[api.D_STATUS] for document in records.documents(stack.sandboxes, case.case_key)] == ["Revoked"]


def test_an_agent_fills_the_start_form_in_the_prefect_ui_and_its_run_gets_the_typed_values(
    stack: Stack, page: Page, shots: Path
) -> None:
    # What the run does with them (the case, its run, the refusals) is tests/flows/test_start_form.py; here: that a
    # person finds the form, reads it in Norwegian, and that what they type reaches the run as the flow's types.
    customer = customer_by_ticket("5004")
    with get_client(sync_client=True) as client:
        form = client.read_deployment_by_name("start-renegotiation/start-renegotiation")

    log_in(page, f"{stack.settings.prefect.ui_url}/login", stack.auth)
    page.goto(f"{stack.settings.prefect.ui_url}/deployments/deployment/{form.id}")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run").click()
    for title in ("Ticket-ID", "Signatarens e-post", "Nytt antall lisenser", "Ny pris per lisens (kr)", "Din e-post"):
        page.get_by_text(title, exact=True).wait_for()
    page.get_by_text("Avtalt oppstartsdato (Optional)").wait_for()
    # Its text boxes follow the run's name, in the flow's parameter order; the numbers are number fields.
    _, ticket, signer, agent = page.get_by_role("textbox").all()
    licences, price = page.get_by_role("spinbutton").all()
    ticket.fill("5004")
    signer.fill(customer.signer_email)
    licences.fill("20")
    price.fill("500")
    agent.fill("agent@avonova.example")
    page.screenshot(path=shots / "3-start-form.png", full_page=True)
    page.get_by_role("button", name="Submit").click()
    # The UI goes back to the deployment's runs once the server has created the run.
    page.wait_for_url(re.compile(r"tab=Runs"), timeout=150_000)
    page.screenshot(path=shots / "3-start-form-run.png")

    def created() -> list[FlowRun]:
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[form.id])))

    wait_until(lambda: bool(created()), "the form's run", every=0.5)
    [run] = created()
    assert run.parameters == {
        "ticket_id": "5004",
        "signer_email": customer.signer_email,
        "licences": 20,
        "price_per_licence": 500,
        "agent_email": "agent@avonova.example",
        "start_date": None,
        "signer_name": None,
    }
    # The served form run opens the case and starts its run, which stops at the approval form.
    wait_until(lambda: _waiting_case(stack, "5004"), "the case to wait for approval", every=0.5)


def _waiting_case(stack: Stack, ticket_id: str) -> bool:
    return any(
        case.ticket_id == ticket_id and case.state is CaseState.AWAITING_APPROVAL for case in stack.store.cases()
    )
