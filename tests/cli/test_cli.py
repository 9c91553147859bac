from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from config.settings import Settings, get_settings
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
