"""`reforhandling plan` against the sandboxes: it prints every write a case would make, and makes none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from config.settings import get_settings
from models.case import CaseState
from models.change import ChangeSummary, CompletionPlan
from models.mail import MailMessage
from models.messages import csc_handover_message
from models.notes import invoice_note
from models.renegotiation import RenegotiationRequest
from reforhandling.cli import app
from sandbox import records
from sandbox.stack import SandboxStack
from store.case_store import CaseStore
from tests.flows.conftest import AERLIG, FJORDKRAFT, CaseDriver, approve_and_sign, routine_mails

runner = CliRunner()
FJORDKRAFT_TO_30 = [
    "--ticket",
    FJORDKRAFT["ticket"],
    "--signer",
    FJORDKRAFT["signer"],
    "--licences",
    "30",
    "--price",
    "450",
    "--agent",
    "ola@avonova.example",
]
# The only POSTs that read: HubSpot's search and batch read.
READ_ONLY_POST = re.compile(r"/(search|batch/read)$")


@pytest.fixture
def cli_env(sandboxes: SandboxStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CaseStore]:
    sandboxes.reset()
    settings = sandboxes.configure(get_settings())
    monkeypatch.setenv("REFORHANDLING_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REFORHANDLING_DATABASE_URL", raising=False)
    monkeypatch.setenv("REFORHANDLING_HUBSPOT__BASE_URL", settings.hubspot.base_url)
    monkeypatch.setenv("REFORHANDLING_DEALBUILDER__BASE_URL", settings.dealbuilder.base_url)
    monkeypatch.setenv("REFORHANDLING_LICENCES__BASE_URL", settings.licences.base_url)
    monkeypatch.setenv("REFORHANDLING_LICENCES__MODE", "http")
    # `start`'s preflight takes slots of the shared rate limit on the Prefect server it would start the case on;
    # these refusals come before any server is needed (`plan` never takes slots).
    monkeypatch.setenv("REFORHANDLING_HUBSPOT__RATE_LIMIT_NAME", "")
    get_settings.cache_clear()
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    yield store
    get_settings.cache_clear()


def writes(sandboxes: SandboxStack) -> list[dict[str, Any]]:
    logged = sandboxes.hubspot.requests() + sandboxes.dealbuilder.requests() + sandboxes.licences.requests()
    return [
        entry
        for entry in logged
        if entry["method"] != "GET" and not (entry["method"] == "POST" and READ_ONLY_POST.search(entry["path"]))
    ]


def store_snapshot(store: CaseStore) -> list[Any]:
    cases = store.cases()
    return [(case.model_dump(), [event.model_dump() for event in store.events(case.case_key)]) for case in cases]


def test_plan_prints_each_systems_writes_and_the_sandboxes_record_only_reads(
    sandboxes: SandboxStack, cli_env: CaseStore
) -> None:
    # The store holds another ticket's open case; the plan leaves it, and adds none.
    cli_env.open_case(
        RenegotiationRequest(
            ticket_id=AERLIG["ticket"],
            signer_email=AERLIG["signer"],
            licences=70,
            price_per_licence=Decimal("400"),
            agent_email="ola@avonova.example",
        ),
        actor="test",
    )
    before = store_snapshot(cli_env)

    result = runner.invoke(app, ["plan", *FJORDKRAFT_TO_30])

    assert result.exit_code == 0, result.output
    out = result.output
    assert sandboxes.hubspot.requests() and sandboxes.dealbuilder.requests()  # it did read
    assert writes(sandboxes) == []
    assert sandboxes.smtp.messages == []
    assert store_snapshot(cli_env) == before
    assert "Reforhandling - Fjordkraft Bygg AS" in out
    assert "deal: create 'Fjordkraft Bygg AS - REFORHANDLING' in Assist / Venter på beslutning" in out
    assert "line Avonova Assist lisens: 40 x 450,00 kr -> 30 x 450,00 kr" in out
    assert "nedjustering = 10" in out
    assert "owner -> csc@avonova.example (csc)" in out
    assert "e-mail to csc@avonova.example: Overlevering til CSC: Fjordkraft Bygg AS" in out
    assert "Assuming the contract is signed today" in out
    assert "Yearly value: 18 000,00 kr -> 13 500,00 kr" in out


def test_plan_with_the_ticket_alone_reads_the_rest_from_the_tickets_fields_and_its_owner(
    sandboxes: SandboxStack, cli_env: CaseStore
) -> None:
    settings = sandboxes.configure(get_settings())
    intake = settings.intake
    # The agent fills the ticket's renegotiation fields in HubSpot; the ticket is theirs (7001: Ola Kundeservice).
    filled = {
        intake.licences_property: "30",
        intake.price_property: "450",
        intake.signer_property: FJORDKRAFT["signer"],
        "hubspot_owner_id": "7001",
    }
    response = httpx.patch(
        f"{settings.hubspot.base_url}/crm/v3/objects/tickets/{FJORDKRAFT['ticket']}",
        json={"properties": filled},
        headers={"Authorization": f"Bearer {settings.hubspot.token.get_secret_value()}"},
    )
    assert response.status_code == 200, response.text
    owner = records.owner_email(sandboxes, records.ticket(sandboxes, FJORDKRAFT["ticket"]).get("hubspot_owner_id"))
    assert owner
    before = len(writes(sandboxes))

    alone = runner.invoke(app, ["plan", "--ticket", FJORDKRAFT["ticket"]])
    given = ["--signer", FJORDKRAFT["signer"], "--licences", "30", "--price", "450", "--agent", owner]
    spelled_out = runner.invoke(app, ["plan", "--ticket", FJORDKRAFT["ticket"], *given])
    # An option given wins over the ticket's field.
    overridden = runner.invoke(app, ["plan", "--ticket", FJORDKRAFT["ticket"], "--licences", "35"])

    assert alone.exit_code == 0, alone.output
    assert alone.output == spelled_out.output
    assert "line Avonova Assist lisens: 40 x 450,00 kr -> 30 x 450,00 kr" in alone.output
    assert "40 x 450,00 kr -> 35 x 450,00 kr" in overridden.output
    assert len(writes(sandboxes)) == before


def test_a_changed_wording_reaches_both_what_plan_prints_and_what_the_run_writes(
    driver: CaseDriver, cli_env: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one place the completion's texts are composed: a change there must reach `plan` and the flow alike. The
    # only patch of our own code in the suite, and the point of this test.
    def changed_note(summary: ChangeSummary, plan: CompletionPlan) -> str:
        return f"{invoice_note(summary, plan)}\nNy linje til ordre/faktura"

    def changed_handover(summary: ChangeSummary, *, recipient: str) -> MailMessage:
        return csc_handover_message(summary, recipient=recipient).model_copy(update={"subject": "Ny emnelinje til CSC"})

    monkeypatch.setattr("models.completion.invoice_note", changed_note)
    monkeypatch.setattr("models.completion.csc_handover_message", changed_handover)

    planned = runner.invoke(app, ["plan", *FJORDKRAFT_TO_30])
    case = driver.start(**FJORDKRAFT, licences=30, price="450")
    approve_and_sign(driver, case.case_key)

    assert planned.exit_code == 0, planned.output
    assert driver.case(case.case_key).state == CaseState.COMPLETED
    [written] = records.notes(driver.sandboxes, FJORDKRAFT["ticket"])
    [sent] = routine_mails(driver.sandboxes)
    assert "  Ny linje til ordre/faktura" in planned.output.splitlines()
    assert "Ny linje til ordre/faktura" in written
    assert "e-mail to csc@avonova.example: Ny emnelinje til CSC" in planned.output
    assert sent["subject"] == "Ny emnelinje til CSC"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            [
                "--ticket",
                FJORDKRAFT["ticket"],
                "--signer",
                "nobody@fjordkraftbygg.example",
                "--licences",
                "40",
                "--price",
                "450",
            ],
            "company: ticket 5001 has no company and the signer nobody@fjordkraftbygg.example",
            id="an unknown signer",
        ),
        pytest.param(
            ["--ticket", "abc", "--signer", "x", "--licences", "0", "--price", "1"],
            "licences: 0 licences ends the agreement",
            id="input the request refuses",
        ),
    ],
)
def test_plan_refuses_bad_input_with_starts_own_messages(
    sandboxes: SandboxStack, cli_env: CaseStore, options: list[str], message: str
) -> None:
    planned = runner.invoke(app, ["plan", *options, "--agent", "ola@avonova.example"])
    started = runner.invoke(app, ["start", *options, "--agent", "ola@avonova.example"])

    assert planned.exit_code == started.exit_code == 2
    assert message in planned.output
    assert planned.output == started.output
    assert writes(sandboxes) == []
