"""The Prefect UI's case summary and board of open cases (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from models.artifacts import board_rows, case_artifact_key, case_summary_markdown
from models.case import Case, CaseState

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


def _case(key: str, state: CaseState, created: datetime, **fields: Any) -> Case:
    return Case(
        case_key=key,
        ticket_id="5001",
        signer_email="kari@kunde.example",
        agent_email="agent@avonova.example",
        licences_after=55,
        price_after=Decimal("450"),
        state=state,
        created_at=created,
        **fields,
    )


def test_the_summary_shows_the_change_and_links_and_escapes_names() -> None:
    case = _case(
        "RF-5001-1-abc",
        CaseState.COMPLETED,
        NOW,
        company_name="[Klikk](https://evil.example) <b>AS</b>\n# Overskrift",
        licences_before=40,
        price_before=Decimal("420"),
        start_date=date(2027, 1, 1),
        route="invoice_service",
    )
    links = {"Deal i HubSpot": "https://hub.example/deal/1", "Kontrakten i Dealbuilder": "", "Run": "http://x/(a)"}

    markdown = case_summary_markdown(case, links=links, step="completed", today=TODAY)

    assert "| Lisenser | 40 | 55 |" in markdown
    assert "| Pris per lisens | 420,00 kr | 450,00 kr |" in markdown
    assert "01\\.01\\.2027" in markdown and "invoice\\_service" in markdown
    assert "[Deal i HubSpot](https://hub.example/deal/1)" in markdown
    assert "Kontrakten i Dealbuilder" not in markdown  # no link: not shown
    assert "(http://x/%28a%29)" in markdown
    # The name is literal text: no link, no HTML, no heading of its own.
    assert "\\[Klikk\\]\\(https\\:" in markdown and "<b>" not in markdown and "\n# Overskrift" not in markdown


def test_the_board_lists_open_cases_oldest_first_with_age_waits_for_and_link() -> None:
    cases = [
        _case("RF-2", CaseState.AWAITING_SIGNATURE, NOW - timedelta(hours=2), signing_deadline=TODAY),
        _case("RF-1", CaseState.AWAITING_APPROVAL, NOW - timedelta(days=1, hours=3), flow_run_id="run-1"),
        _case("RF-3", CaseState.COMPLETED, NOW - timedelta(days=5)),
    ]

    rows = board_rows(cases, now=NOW, today=TODAY, ui_url="http://127.0.0.1:4200/")

    # The short columns first, the link last.
    assert [list(row) for row in rows] == [["case", "state", "age", "waits for", "company", "link"]] * 2
    assert [(r["case"], r["state"], r["age"], r["waits for"], r["link"]) for r in rows] == [
        (
            "RF-1",
            "AWAITING_APPROVAL",
            "1 d 3 h",
            "approver (agent@avonova.example)",
            "http://127.0.0.1:4200/runs/flow-run/run-1",
        ),
        ("RF-2", "AWAITING_SIGNATURE", "2 h 0 min", "customer (kari@kunde.example)", ""),
    ]


def test_artifact_keys_are_lowercase_letters_digits_and_dashes() -> None:
    assert case_artifact_key("RF-5001-1-a1B2c3") == "case-rf-5001-1-a1b2c3"
    assert case_artifact_key("RF_5001 x") == "case-rf-5001-x"


def test_the_board_shows_a_failed_cases_whole_reason() -> None:
    reason = "nothing to renegotiate: the customer already has 55 licences at 450,00 kr. Fix the cause, then Retry."
    failed = _case("RF-9", CaseState.NEEDS_ATTENTION, NOW, reason=reason)

    [row] = board_rows([failed], now=NOW, today=TODAY, ui_url="http://ui")

    assert row["waits for"] == f"ops ({reason})"


def test_the_summary_says_whom_a_waiting_case_waits_for_and_its_real_start_date() -> None:
    waiting = _case("RF-1", CaseState.AWAITING_SIGNATURE, NOW, signing_deadline=TODAY)
    approving = _case("RF-2", CaseState.AWAITING_APPROVAL, NOW)

    signing = case_summary_markdown(waiting, links={}, step="signature", today=TODAY, start_date=date(2026, 12, 6))
    asking = case_summary_markdown(approving, links={}, step="approval-2", today=TODAY)

    assert "Venter på at kunden signerer: **kari@kunde\\.example**." in signing
    assert "| Oppstartsdato |  | 06\\.12\\.2026 |" in signing
    assert "Venter på godkjenning eller avgjørelse fra **agent@avonova\\.example**" in asking


def test_a_failed_cases_summary_gives_the_whole_reason_and_where_to_retry() -> None:
    failed = _case("RF-9", CaseState.NEEDS_ATTENTION, NOW, reason="Dealbuilder svarte 500.\nFix the cause, then Retry.")

    markdown = case_summary_markdown(
        failed, links={"Kjøringen i Prefect": "http://ui/runs/flow-run/r-9"}, step="failed", today=TODAY
    )

    assert "> **Trenger oppfølging:** Dealbuilder svarte 500\\. Fix the cause, then Retry\\." in markdown
    assert "trykk **Retry** på [kjøringen i Prefect](http://ui/runs/flow-run/r-9)" in markdown
