from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from typer.core import TyperGroup
from typer.testing import CliRunner

from config.settings import Settings, get_settings
from models.case import CaseState
from models.renegotiation import RenegotiationRequest
from reforhandling.cli import app
from store.case_store import CaseStore

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REFORHANDLING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REFORHANDLING_HUBSPOT__TOKEN", "pat-eu1-very-secret")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_config_prints_the_effective_settings_with_secrets_masked(env: Path) -> None:
    result = runner.invoke(app, ["config"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["hubspot"]["token"] == "**********"
    assert shown["routine"]["deal_stage"] == "Venter på beslutning"
    assert shown["data_dir"] == str(env)
    assert "very-secret" not in result.output


def test_start_refuses_bad_input_naming_each_field_and_creates_nothing(env: Path) -> None:
    result = runner.invoke(
        app,
        [
            "start",
            "--ticket",
            "abc",
            "--signer",
            "not-an-email",
            "--licences",
            "0",
            "--price",
            "12.345",
            "--agent",
            "agent@avonova.example",
            "--start-date",
            "2020-01-01",
        ],
    )

    assert result.exit_code == 2
    for field in ("ticket_id:", "signer_email:", "licences:", "(got '0')", "price_per_licence:", "start_date:"):
        assert field in result.output
    assert "Nothing was started" in result.output
    assert CaseStore(f"sqlite:///{env / 'cases.db'}").cases() == []


def test_start_and_plan_take_the_same_options_with_the_same_help() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    commands = command.commands

    def options(name: str) -> dict[str | None, tuple[list[str], str | None]]:
        return {param.name: (param.opts, getattr(param, "help", None)) for param in commands[name].params}

    assert options("plan") == options("start")
    assert set(options("start")) == {
        "ticket",
        "signer",
        "licences",
        "price",
        "agent",
        "start_date",
        "company",
        "signer_name",
    }


def test_cases_says_how_to_start_when_the_store_is_empty(env: Path) -> None:
    result = runner.invoke(app, ["cases"])

    assert result.exit_code == 0
    assert "No cases yet" in result.output


def test_production_refuses_to_start_with_placeholder_secrets_and_names_them() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(profile="production")

    message = str(refused.value)
    assert "REFORHANDLING_HUBSPOT__TOKEN holds a placeholder" in message
    assert "REFORHANDLING_DEALBUILDER__API_KEY holds a placeholder" in message
    assert "REFORHANDLING_ROUTINE__SALES_REGISTRATION_RECIPIENT" in message
    assert "REFORHANDLING_ROUTINE__APPROVERS must list the real approvers" in message


def test_production_defaults_to_the_manual_licence_routine_and_local_to_the_api() -> None:
    assert Settings().licence_mode == "http"
    assert Settings.model_construct(profile="production", licences=Settings().licences).licence_mode == "manual"


def test_config_hides_the_password_in_a_database_url(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFORHANDLING_DATABASE_URL", "postgresql+psycopg://reforhandling:hemmelig@db.internal/cases")
    get_settings.cache_clear()

    result = runner.invoke(app, ["config"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["database_url"] == "postgresql+psycopg://reforhandling:***@db.internal/cases"
    assert "hemmelig" not in result.output


EVIL = "[bold red]Evil[/] [link=http://evil.example]AS[/link]"


def stored_cases(env: Path) -> tuple[CaseStore, str, str]:
    """Two cases written through the store's API: one waiting for approval with a history, one completed."""
    store = CaseStore(f"sqlite:///{env / 'cases.db'}")
    waiting = store.open_case(
        RenegotiationRequest(
            ticket_id="5001",
            signer_email="signer@fjordkraft.example",
            licences=55,
            price_per_licence=Decimal("449.50"),
            agent_email="agent@avonova.example",
        ),
        actor="agent@avonova.example",
    )
    key = waiting.case_key
    store.update(key, company_name=EVIL, licences_before=40, price_before=Decimal("450"), flow_run_id="run-1")
    store.add_event(key, actor="flow", kind="run-attached", details={"flow_run_id": "run-1"})
    for state in (CaseState.ENRICHED, CaseState.DEAL_CREATED):
        store.transition(key, state, actor="flow", deal_id="901")
    store.transition(key, CaseState.DRAFTED, actor="flow", contract_id="C-17", details={"contract_id": "C-17"})
    store.transition(key, CaseState.AWAITING_APPROVAL, actor="flow", details={"step": "approval-1"})
    store.add_event(
        key,
        actor="Ola Kundeservice",
        kind="decision:approval-1",
        details={"approved": False, "approver": "Ola Kundeservice", "licences": 60, "comment": None},
    )
    store.add_event(key, actor="Mallory", kind="refused:approval-2", details={"problems": ["not an approver"]})
    store.add_event(
        key,
        actor="poll-signatures",
        kind="notified:approval-reminder:approval-2",
        details={"to": ["agent@avonova.example"], "subject": "Påminnelse", "link": "http://ui/runs/flow-run/run-1"},
    )
    done = store.open_case(
        RenegotiationRequest(
            ticket_id="5002",
            signer_email="signer@aerlig.example",
            licences=10,
            price_per_licence=Decimal("400"),
            agent_email="agent@avonova.example",
        ),
        actor="test",
    )
    store.update(done.case_key, company_name="Ærlig AS")
    for state in (CaseState.ENRICHED, CaseState.DEAL_CREATED, CaseState.DRAFTED, CaseState.AWAITING_APPROVAL):
        store.transition(done.case_key, state, actor="flow")
    store.transition(done.case_key, CaseState.REJECTED, actor="flow", details={"approver": "Ola Kundeservice"})
    return store, key, done.case_key


def test_cases_shows_age_waits_for_and_the_run_link_and_filters_open_ones(env: Path) -> None:
    _, waiting, rejected = stored_cases(env)

    every = runner.invoke(app, ["cases"])
    open_only = runner.invoke(app, ["cases", "--open"])
    by_state = runner.invoke(app, ["cases", "--state", "rejected", "--state", "COMPLETED"])
    none = runner.invoke(app, ["cases", "--open", "--state", "SENT"])

    assert every.exit_code == open_only.exit_code == by_state.exit_code == 0, every.output
    [row] = [line for line in every.output.splitlines() if waiting in line]
    for shown in ("5001", EVIL, "AWAITING_APPROVAL", "0 min", "approver (agent@avonova.example)", "40 -> 55"):
        assert shown in row
    assert "450.00 -> 449.50" in row and row.endswith("http://127.0.0.1:4200/runs/flow-run/run-1")
    assert rejected in every.output and "Ærlig AS" in every.output
    assert waiting in open_only.output and rejected not in open_only.output
    assert rejected in by_state.output and waiting not in by_state.output
    assert none.output.strip() == "No case matches."
    assert "\x1b[" not in every.output  # piped: no colour codes


def test_cases_in_80_columns_keeps_key_and_state_whole_so_a_key_can_be_copied_into_case(env: Path) -> None:
    _, waiting, rejected = stored_cases(env)

    narrow = runner.invoke(app, ["cases"], env={"COLUMNS": "80"})
    scripted = runner.invoke(app, ["cases", "--json"], env={"COLUMNS": "80"})

    assert narrow.exit_code == scripted.exit_code == 0, narrow.output
    lines = narrow.output.splitlines()
    assert max(len(line) for line in lines) <= 80, narrow.output
    assert lines[0].split()[:2] == ["case", "state"]
    # A person copies the first word of a row into `reforhandling case`.
    copied = [line.split()[0] for line in lines if line.split()[1:2] == ["AWAITING_APPROVAL"]]
    assert copied == [waiting], narrow.output
    assert re.search(rf"^{re.escape(rejected)}\s+REJECTED\s", narrow.output, re.MULTILINE), narrow.output
    shown = runner.invoke(app, ["case", copied[0]])
    assert shown.exit_code == 0 and "State: AWAITING_APPROVAL" in " ".join(shown.output.split()), shown.output
    # Scripts read every field, not the table.
    rows = {row["key"]: row for row in json.loads(scripted.output)}
    assert rows[waiting]["run"] == "http://127.0.0.1:4200/runs/flow-run/run-1"
    assert (rows[waiting]["licences"], rows[rejected]["state"]) == ("40 -> 55", "REJECTED")


def test_cases_wide_keeps_every_column_on_one_line_whatever_the_width(env: Path) -> None:
    _, waiting, _ = stored_cases(env)

    wide = runner.invoke(app, ["cases", "--wide"], env={"COLUMNS": "80"})

    [row] = [line for line in wide.output.splitlines() if waiting in line]
    assert "40 -> 55" in row and row.endswith("http://127.0.0.1:4200/runs/flow-run/run-1"), wide.output


def test_cases_refuses_an_unknown_state_naming_the_valid_ones(env: Path) -> None:
    stored_cases(env)

    result = runner.invoke(app, ["cases", "--state", "WAITING"])

    assert result.exit_code == 2
    assert "unknown state 'WAITING'; valid states: STARTED, ENRICHED," in result.output


def test_case_prints_the_header_links_and_a_timeline_in_words_without_obeying_markup_in_names(env: Path) -> None:
    _, waiting, _ = stored_cases(env)

    result = runner.invoke(app, ["case", waiting])

    assert result.exit_code == 0, result.output
    text = result.output
    assert f"Company: {EVIL}" in " ".join(text.split())
    assert "\x1b[" not in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for expected in (
        "State: AWAITING_APPROVAL",
        "Waits for: approver (agent@avonova.example)",
        "Licences: 40 -> 55",
        "Price per licence: 450.00 -> 449.50",
        "Deal: 901",
        "Contract: C-17",
        "Flow run: run-1",
        "Run in Prefect: http://127.0.0.1:4200/runs/flow-run/run-1",
        f"Summary in Prefect: http://127.0.0.1:8785/artifacts/case-{waiting.lower()}",
        "Deal in HubSpot: http://127.0.0.1:8781/_sandbox/contacts/1234567/record/0-3/901",
        "Ticket in HubSpot: http://127.0.0.1:8781/_sandbox/contacts/1234567/record/0-5/5001",
    ):
        assert expected in lines, (expected, text)
    # Who and what, after the local time each line starts with.
    whats = [line.split(" ", 2)[2] for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d ", line)]
    assert whats == [
        "agent@avonova.example case opened: 55 licences, 449.50 per licence, signer signer@fjordkraft.example",
        "flow flow run run-1 carries the case",
        "flow STARTED -> ENRICHED",
        "flow ENRICHED -> DEAL_CREATED",
        "flow DEAL_CREATED -> DRAFTED, contract_id: C-17",
        "flow DRAFTED -> AWAITING_APPROVAL, step: approval-1",
        "Ola Kundeservice approval-1 corrected: 60 licences",
        "Mallory refused at approval-2: not an approver",
        "poll-signatures approval-reminder (approval-2) sent to agent@avonova.example: Påminnelse "
        "(http://ui/runs/flow-run/run-1)",
    ]


def test_case_says_so_for_an_unknown_key(env: Path) -> None:
    result = runner.invoke(app, ["case", "RF-0-0-nope"])

    assert result.exit_code == 1
    assert "no case with key 'RF-0-0-nope'" in result.output


def test_escapes_and_line_breaks_from_outside_cannot_clear_the_screen_or_forge_a_line_in_case_or_cases(
    env: Path,
) -> None:
    store, waiting, _ = stored_cases(env)
    esc = "\x1b"
    forged = f"\r\n2026-12-06 12:00 Ola {esc}[32mapproval-9 approved by Ola{esc}[0m"
    # Written straight to the store, as an older version or another tool might have: the CLI cleans what it shows.
    store.add_event(
        waiting,
        actor=f"Mallory{esc}[2J{esc}[H",
        kind="decision:approval-3",
        details={"approved": False, "approver": "Mallory", "comment": f"nei{forged}\u202e"},
    )

    store.update(waiting, company_name=f"Fjordkraft{esc}[2J{esc}]0;pwned\x07 AS\r\n")

    text = runner.invoke(app, ["case", waiting]).output
    board = runner.invoke(app, ["cases"]).output

    assert esc not in board and "\r" not in board and "Fjordkraft AS" in board
    assert esc not in text and "\r" not in text and "\u202e" not in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert not [line for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d Ola approval-9", line)]
    assert any(
        line.endswith("Mallory approval-3 rejected: nei 2026-12-06 12:00 Ola approval-9 approved by Ola")
        for line in lines
    ), text


def test_up_fresh_removes_the_local_world_but_keeps_the_password(tmp_path: Path) -> None:
    from devtools.local_stack import reset_local_world

    for folder in ("sandboxes", "prefect", "logs", "mine"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "state.db").write_text("x")
    for name in ("cases.db", "prefect-auth"):
        (tmp_path / name).write_text("x")

    reset_local_world(Settings(data_dir=tmp_path))

    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine", "prefect-auth"]
