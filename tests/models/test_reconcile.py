"""The reconciliation's rules as table rows: which cases are looked at, and what counts as drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from config.settings import RoutineSettings
from models.case import Case, CaseState
from models.contract import ContractState
from models.reconcile import (
    Drift,
    Observed,
    case_findings,
    cases_to_reconcile,
    drift_message,
    drift_rows,
    superseded,
    unreadable,
)

ROUTINE = RoutineSettings()
NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
S = CaseState
C = ContractState


def case(state: CaseState = S.COMPLETED, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "case_key": "RF-1",
        "ticket_id": "5001",
        "company_name": "Fjord <b>Kraft</b>",
        "signer_email": "kari@fjord.example",
        "agent_email": "ola@avonova.example",
        "state": state,
        "deal_id": "11",
        "contract_id": "DB-9",
        "flow_run_id": "0b6c8d4e-0000-0000-0000-000000000001",
        "licences_after": 30,
        "price_after": Decimal("450"),
        "route": "csc",
        "updated_at": NOW,
        **fields,
    }
    return Case(**values)


# What the systems say about a completed, CSC-routed case with 30 licences when nothing drifted.
IN_STEP = Observed(
    contract_state=C.SIGNED,
    contract_licences=30,
    deal_amount=30,
    digital_licences=30,
    ticket_owner_id="7004",
    ticket_stage="Sendt kontrakt",
    route_owner_id="7004",
)


@pytest.mark.parametrize(
    ("state", "changes", "drifts"),
    [
        pytest.param(S.COMPLETED, {}, [], id="a completed case in step"),
        pytest.param(S.COMPLETED, {"digital_licences": 35}, [Drift.LICENCES], id="licences changed in Digital"),
        pytest.param(S.COMPLETED, {"deal_amount": 31}, [Drift.DEAL_AMOUNT], id="the deal's amount changed"),
        pytest.param(S.COMPLETED, {"ticket_owner_id": "7002"}, [Drift.TICKET_OWNER], id="ticket reassigned"),
        pytest.param(S.COMPLETED, {"ticket_owner_id": None}, [Drift.TICKET_OWNER], id="ticket unassigned"),
        pytest.param(S.COMPLETED, {"ticket_stage": "Ny"}, [Drift.TICKET_STAGE], id="ticket moved back"),
        pytest.param(S.COMPLETED, {"ticket_stage": "Lukket"}, [], id="order/invoice closed the ticket"),
        pytest.param(
            S.COMPLETED,
            {"ticket_moved_back": ("Lukket at 10:00", "back at Sendt kontrakt at 10:05")},
            [Drift.TICKET_MOVED_BACK],
            id="a closed ticket back at Sendt kontrakt",
        ),
        pytest.param(
            S.AWAITING_APPROVAL,
            {"ticket_moved_back": ("Lukket at 10:00", "back at Sendt kontrakt at 10:05"), "contract_state": C.DRAFT},
            [],
            id="not sent: the ticket's stage is not ours yet",
        ),
        pytest.param(S.COMPLETED, {"contract_state": C.CANCELED}, [Drift.CONTRACT_REVOKED], id="contract revoked"),
        pytest.param(
            S.COMPLETED, {"contract_licences": 28}, [Drift.LICENCES, Drift.DEAL_AMOUNT], id="contract changed after"
        ),
        pytest.param(S.COMPLETED, {"run_exists": False}, [], id="a closed case's run may be gone"),
        pytest.param(
            S.AWAITING_SIGNATURE,
            {"digital_licences": 40, "ticket_owner_id": "7001", "contract_state": C.SENT},
            [],
            id="before completion: Digital and the owner are not the flow's yet",
        ),
        pytest.param(
            S.AWAITING_SIGNATURE, {"contract_state": C.SIGNED}, [Drift.SIGNED_OUTSIDE], id="signed, case not told"
        ),
        pytest.param(
            S.AWAITING_APPROVAL,
            {"contract_state": C.SIGNED, "ticket_stage": "Ny"},
            [Drift.SIGNED_OUTSIDE],
            id="a draft signed outside the flow; not sent, so the stage is not ours yet",
        ),
        pytest.param(S.AWAITING_APPROVAL, {"contract_state": C.CANCELED}, [Drift.CONTRACT_REVOKED], id="draft revoked"),
        pytest.param(S.REJECTED, {"contract_state": C.CANCELED}, [], id="a rejected case's draft is revoked by us"),
        pytest.param(
            S.AWAITING_APPROVAL,
            {"run_exists": False, "contract_state": C.DRAFT},
            [Drift.RUN_MISSING],
            id="an open case lost its run",
        ),
    ],
)
def test_what_counts_as_drift(state: CaseState, changes: dict[str, Any], drifts: list[Drift]) -> None:
    observed = IN_STEP.model_copy(update=changes)

    found = case_findings(case(state), observed, ROUTINE)

    assert [finding.drift for finding in found] == drifts


@pytest.mark.parametrize(
    ("state", "closed_days_ago", "looked_at"),
    [
        pytest.param(S.AWAITING_SIGNATURE, 400, True, id="an open case, however old"),
        pytest.param(S.COMPLETED, 29, True, id="closed within the window"),
        pytest.param(S.CANCELLED, 31, False, id="closed before the window"),
    ],
)
def test_which_cases_are_reconciled(state: CaseState, closed_days_ago: int, looked_at: bool) -> None:
    # SQLite hands datetimes back without a zone; the store writes UTC.
    updated = (NOW - timedelta(days=closed_days_ago)).replace(tzinfo=None)

    chosen = cases_to_reconcile([case(state, updated_at=updated)], now=NOW, days=30)

    assert bool(chosen) is looked_at


def test_names_are_escaped_in_the_table_and_the_mail_has_every_finding() -> None:
    findings = case_findings(case(), IN_STEP.model_copy(update={"deal_amount": 31, "ticket_stage": "Ny"}), ROUTINE)

    [first, _] = drift_rows(findings)
    message = drift_message(findings, recipient="drift@avonova.example", run_id="r1", checked=3)

    assert first["company"] == "Fjord \\<b\\>Kraft\\</b\\>"
    assert message.to == ("drift@avonova.example",)
    assert "2 findings in 1 of 3 cases" in message.text
    assert "RF-1 (Fjord <b>Kraft</b>): deal-amount: expected 30 (contract), found 31 on the deal" in message.text
    assert "<b>" not in message.html and "Fjord &lt;b&gt;Kraft&lt;/b&gt;" in message.html


def test_a_later_completed_case_of_the_same_company_supersedes_the_earlier_ones_licence_check() -> None:
    earlier = case(case_key="RF-1", company_id="9001", id=1, updated_at=NOW - timedelta(days=5))
    later = case(case_key="RF-2", company_id="9001", id=2, updated_at=NOW - timedelta(days=1))
    other = case(case_key="RF-3", company_id="9002", id=3, updated_at=NOW - timedelta(days=9))
    open_one = case(S.AWAITING_SIGNATURE, case_key="RF-4", company_id="9001", id=4, updated_at=NOW)

    assert superseded([later, earlier, other, open_one]) == {"RF-1"}
    moved_on = IN_STEP.model_copy(update={"digital_licences": 45})
    assert case_findings(earlier, moved_on, ROUTINE, is_superseded=True) == []
    assert [f.drift for f in case_findings(later, moved_on, ROUTINE)] == [Drift.LICENCES]


def test_a_case_whose_systems_cannot_be_read_is_a_finding_too() -> None:
    found = unreadable(case(), "HubSpot answered 404 for ticket 5001")

    assert (found.drift, found.found) == (Drift.UNREADABLE, "HubSpot answered 404 for ticket 5001")


@pytest.mark.parametrize(
    ("state", "deal_stage", "drifts"),
    [
        pytest.param(S.COMPLETED, "Lukket vunnet", [], id="signed and completed: won"),
        pytest.param(S.COMPLETED, "Venter på beslutning", [Drift.DEAL_STAGE], id="completed, deal still open"),
        pytest.param(S.AWAITING_LICENCE_CONFIRMATION, "Lukket vunnet", [], id="signed, licences by hand: won"),
        pytest.param(S.REJECTED, "Lukket tapt", [], id="rejected: lost"),
        pytest.param(S.CANCELLED, "Lukket vunnet", [Drift.DEAL_STAGE], id="cancelled but won"),
        pytest.param(S.AWAITING_SIGNATURE, "Venter på beslutning", [], id="waiting for the customer: open"),
        pytest.param(S.AWAITING_DECISION, "Lukket tapt", [Drift.DEAL_STAGE], id="closed by hand while undecided"),
        pytest.param(S.NEEDS_ATTENTION, "Lukket tapt", [], id="a case that needs attention does not say"),
    ],
)
def test_reconcile_knows_the_stage_the_deal_should_stand_at(
    state: CaseState, deal_stage: str, drifts: list[Drift]
) -> None:
    contract = C.CANCELED if state in {S.REJECTED, S.CANCELLED} else C.SIGNED
    observed = IN_STEP.model_copy(update={"deal_stage": deal_stage, "contract_state": contract})

    found = [f for f in case_findings(case(state), observed, ROUTINE) if f.drift is Drift.DEAL_STAGE]

    assert [finding.drift for finding in found] == drifts


@pytest.mark.parametrize(
    ("ticket_ids", "drifts"),
    [
        pytest.param(("5001",), [], id="the deal is on its ticket"),
        pytest.param((), [Drift.DEAL_TICKET], id="the deal lost its ticket"),
        pytest.param(("5009",), [Drift.DEAL_TICKET], id="the deal is on another ticket"),
        pytest.param(None, [], id="not read (no deal)"),
    ],
)
def test_reconcile_reports_a_deal_missing_its_ticket(ticket_ids: tuple[str, ...] | None, drifts: list[Drift]) -> None:
    found = case_findings(case(), IN_STEP.model_copy(update={"deal_ticket_ids": ticket_ids}), ROUTINE)

    assert [finding.drift for finding in found] == drifts
