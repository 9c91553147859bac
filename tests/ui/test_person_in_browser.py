"""A person's part, in a real browser: approve in the Prefect UI's Resume dialog, sign on the Dealbuilder sandbox's
page; the served deployments and the scheduled poller do the rest (the embedded stack of `reforhandling up`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Page, sync_playwright
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from models.case import CaseState
from models.renegotiation import RenegotiationRequest
from reforhandling.prefect_stack import PrefectStack
from reforhandling.settings import Settings
from reforhandling.starting import run_url, start_case
from sandbox.kit import free_port
from sandbox.stack import SandboxStack
from sandbox.world import customer_by_ticket
from store.case_store import CaseStore

CHROMIUM = "/usr/bin/chromium"  # Debian's package; ./run.sh test installs it
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



@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root: Path = tmp_path_factory.mktemp("stack")
    base = Settings(data_dir=root)
    settings = base.model_copy(
        update={"prefect": base.prefect.model_copy(update={"port": free_port(), "poll_interval_seconds": 2})}
    )
    with SandboxStack.start(settings, free_ports=True) as sandboxes:
        settings = sandboxes.configure(settings)
        prefect = PrefectStack(settings, root / "prefect", root / "logs")
        try:
            prefect.start_server()
            prefect.start_serve()
            prefect.wait_for_deployment(settings.prefect.flow_deployment)
            prefect.wait_for_deployment(settings.prefect.poller_deployment)
            with temporary_settings({PREFECT_API_URL: settings.prefect.api_url}):
                yield Stack(settings, sandboxes, CaseStore(settings.effective_database_url))
        finally:
            prefect.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        # The UI also calls an analytics host; nothing may leave this machine.
        page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
        yield page
        browser.close()


def wait_for(what: str, condition: object, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def approve_in_resume_dialog(page: Page, url: str, approver: str) -> None:
    page.goto(url)
    # On SQLite the server now and then answers a resume with "database is locked": a person submits again.
    resumed, failed = page.get_by_text("Flow run resumed"), page.get_by_text("Failed to resume flow run")
    for _ in range(3):
        page.get_by_role("button", name="Resume").first.click(timeout=30_000)
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Godkjenn reforhandling").wait_for()
        dialog.get_by_role("switch").first.click()
        dialog.locator("textarea").first.fill(approver)
        dialog.get_by_role("button", name="Submit").click()
        wait_for("the UI's answer", lambda: resumed.count() > 0 or failed.count() > 0, timeout=15)
        if resumed.count():
            return
        page.reload()
    raise AssertionError("the Resume dialog failed three times")


def test_a_person_approves_in_the_prefect_ui_and_signs_on_the_signing_page_and_the_case_completes(
    stack: Stack, page: Page
) -> None:
    customer = customer_by_ticket("5001")
    request = RenegotiationRequest(
        ticket_id="5001",
        signer_email=customer.signer_email,
        licences=55,
        price_per_licence=customer.price_per_licence,
        agent_email="agent@avonova.example",
    )
    with get_client(sync_client=True) as client:
        case = start_case(request, settings=stack.settings, store=stack.store, client=client, actor="test")
        assert case.flow_run_id

        def paused_at_approval() -> bool:
            state = client.read_flow_run(UUID(str(case.flow_run_id))).state
            return bool(state and state.is_paused() and state.state_details.pause_key == "approval-1")

        wait_for("the approval form", paused_at_approval)

    approve_in_resume_dialog(page, run_url(stack.settings, case.flow_run_id), "Ola i nettleseren")

    wait_for("the contract to be sent", lambda: stack.store.get(case.case_key).state is CaseState.AWAITING_SIGNATURE)
    page.goto(stack.sandboxes.urls["signing"])
    page.get_by_text("Åpne og signer").first.click()
    page.get_by_text("Avonova Assist lisens").wait_for()
    page.get_by_role("button", name="Signer").click()
    page.get_by_text("Takk! Kontrakten er signert.").wait_for()

    wait_for("the case to complete", lambda: stack.store.get(case.case_key).state is CaseState.COMPLETED)
    [mail] = stack.sandboxes.smtp.messages
    assert mail["to"] == [stack.settings.routine.sales_registration_recipient]
    assert stack.sandboxes.licences.licences(customer.org_number) == 55
    [decision] = stack.store.events(case.case_key, kind="decision:approval-1")
    assert (decision.actor, json.loads(decision.details)["approved"]) == ("Ola i nettleseren", True)
