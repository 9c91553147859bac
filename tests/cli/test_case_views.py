from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from models.case import Case, CaseEvent, CaseState
from reforhandling.case_views import (
    Places,
    UnknownState,
    case_header,
    case_links,
    case_row,
    chosen_states,
    describe_event,
    timeline,
)

PLACES = Places(
    prefect_ui_url="http://127.0.0.1:4200/",
    hubspot_app_url="https://app-eu1.hubspot.com",
    hubspot_portal_id="1234567",
    timezone="Europe/Oslo",
)
NOW = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)


def a_case(**fields: Any) -> Case:
    values: dict[str, Any] = {
        "case_key": "RF-5001-1-abc123",
        "ticket_id": "5001",
        "company_name": "Fjordkraft AS",
        "signer_email": "signer@fjordkraft.example",
        "agent_email": "agent@avonova.example",
        "licences_before": 40,
        "licences_after": 55,
        "price_before": Decimal("450"),
        "price_after": Decimal("449.5"),
        "state": CaseState.AWAITING_APPROVAL,
        "created_at": NOW - timedelta(days=2, hours=3),
        "updated_at": datetime(2026, 12, 4, 9, 30),  # naive, as SQLite gives it back
        "flow_run_id": "0b7e-run",
    }
    return Case(**{**values, **fields})


@pytest.mark.parametrize(
    ("kind", "details", "said"),
    [
        (
            "opened",
            {"licences": 55, "price_per_licence": "449.50", "signer_email": "s@x.example", "start_date": None},
            "case opened: 55 licences, 449.50 per licence, signer s@x.example",
        ),
        ("state:ENRICHED", {"from": "STARTED", "hubspot_calls": 4}, "STARTED -> ENRICHED"),
        (
            "state:AWAITING_APPROVAL",
            {"from": "DRAFTED", "step": "approval-1"},
            "DRAFTED -> AWAITING_APPROVAL, step: approval-1",
        ),
        (
            "state:DRAFTED",
            {"from": "AWAITING_APPROVAL", "attempt": 1, "licences": 60, "price_per_licence": "430"},
            "AWAITING_APPROVAL -> DRAFTED (draft corrected after approval-1: 60 licences, 430.00 per licence)",
        ),
        (
            "state:NEEDS_ATTENTION",
            {"from": "SENT", "reason": "HubSpot answered 401"},
            "SENT -> NEEDS_ATTENTION, reason: HubSpot answered 401",
        ),
        ("state:SENT", {"from": "NEEDS_ATTENTION", "retried": True}, "NEEDS_ATTENTION -> SENT (ops retried the run)"),
        (
            "decision:approval-1",
            {"approved": True, "approver": "Ola", "licences": None, "price_per_licence": None, "comment": None},
            "approval-1 approved",
        ),
        (
            "decision:approval-1",
            {"approved": False, "approver": "Ola", "licences": 60, "price_per_licence": None, "comment": None},
            "approval-1 corrected: 60 licences",
        ),
        (
            "decision:approval-2",
            {"approved": False, "approver": "Ola", "licences": None, "comment": "Kunden trakk seg"},
            "approval-2 rejected: Kunden trakk seg",
        ),
        (
            "decision:signature",
            {"state": "signed", "raw_status": "SIGNED", "signed_on": "2026-12-03", "reported_by": "poll-signatures"},
            "signature: contract reported signed (SIGNED) on 2026-12-03 by poll-signatures",
        ),
        (
            "decision:decision-1",
            {"action": "extend_and_resend", "decided_by": "Ola", "comment": None},
            "decision-1: extend and resend",
        ),
        (
            "decision:licences-1",
            {"licences_set": 55, "confirmed_by": "Ola"},
            "licences-1: 55 licences confirmed set in Avonova Digital",
        ),
        (
            "refused:approval-1",
            {"problems": ["Mallory is not an approver", "a rejection needs a comment"]},
            "refused at approval-1: Mallory is not an approver; a rejection needs a comment",
        ),
        (
            "resumed",
            {"state": "signed", "raw_status": "SIGNED", "signed_on": "2026-12-03"},
            "resumed the run: contract signed (SIGNED)",
        ),
        ("run-attached", {"flow_run_id": "0b7e-run"}, "flow run 0b7e-run carries the case"),
        ("ticket-note", {"step": "rejected", "note_id": "77", "hubspot_calls": 2}, "note 77 on the ticket (rejected)"),
        (
            "notified:approval-needed:approval-1",
            {"to": ["agent@avonova.example"], "subject": "Godkjenn", "link": "http://ui/runs/flow-run/1"},
            "approval-needed (approval-1) sent to agent@avonova.example: Godkjenn (http://ui/runs/flow-run/1)",
        ),
        ("something-new", {}, "something-new"),
    ],
)
def test_each_event_kind_reads_as_words(kind: str, details: dict[str, Any], said: str) -> None:
    assert describe_event(kind, details) == said


def test_the_timeline_is_in_local_time_with_who_did_it() -> None:
    events = [
        CaseEvent(
            case_key="k",
            at=datetime(2026, 12, 4, 9, 30),
            actor="Ola",
            kind="decision:approval-1",
            details='{"approved": true}',
        ),
        CaseEvent(case_key="k", at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC), actor="flow", kind="odd", details="[1]"),
    ]

    lines = timeline(events, places=PLACES)

    assert [(line.when, line.who, line.what) for line in lines] == [
        ("2026-12-04 10:30", "Ola", "approval-1 approved"),
        ("2026-07-01 11:30", "flow", "odd (details: 1)"),
    ]


@pytest.mark.parametrize(
    ("open_only", "names", "chosen"),
    [
        (False, [], None),
        (False, ["awaiting_approval", "COMPLETED"], {CaseState.AWAITING_APPROVAL, CaseState.COMPLETED}),
        (True, ["COMPLETED", "SENT"], {CaseState.SENT}),
        (True, [], set(CaseState) - {CaseState.COMPLETED, CaseState.REJECTED, CaseState.CANCELLED}),
    ],
)
def test_open_and_state_choose_the_states(open_only: bool, names: list[str], chosen: set[CaseState] | None) -> None:
    assert chosen_states(open_only=open_only, names=names) == chosen


def test_a_wrong_state_name_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(UnknownState) as refused:
        chosen_states(open_only=False, names=["AWAITING", "SENT"])

    assert str(refused.value) == "unknown state 'AWAITING'; valid states: " + ", ".join(CaseState)


@pytest.mark.parametrize(
    ("fields", "waits", "run"),
    [
        ({}, "approver (agent@avonova.example)", "http://127.0.0.1:4200/runs/flow-run/0b7e-run"),
        (
            {"state": CaseState.AWAITING_SIGNATURE, "signing_deadline": date(2026, 12, 10)},
            "customer (signer@fjordkraft.example)",
            "http://127.0.0.1:4200/runs/flow-run/0b7e-run",
        ),
        (
            {"state": CaseState.AWAITING_SIGNATURE, "signing_deadline": date(2026, 12, 3)},
            "poller (deadline 2026-12-03 passed)",
            "http://127.0.0.1:4200/runs/flow-run/0b7e-run",
        ),
        (
            {"state": CaseState.NEEDS_ATTENTION, "reason": "HubSpot answered 401. Fix it"},
            "ops (HubSpot answered 401)",
            "http://127.0.0.1:4200/runs/flow-run/0b7e-run",
        ),
        ({"state": CaseState.STARTED, "flow_run_id": None, "licences_before": None, "price_before": None}, "flow", ""),
    ],
)
def test_a_row_says_whom_the_case_waits_for_and_links_its_run(fields: dict[str, Any], waits: str, run: str) -> None:
    row = case_row(a_case(**fields), now=NOW, places=PLACES)

    assert (row.waits_for, row.run, row.age) == (waits, run, "2 d 3 h")
    if fields.get("licences_before", 40) is None:
        assert (row.licences, row.price) == ("? -> 55", "? -> 449.50")
    else:
        assert (row.licences, row.price) == ("40 -> 55", "450.00 -> 449.50")
    assert row.updated == "2026-12-04 10:30"


def test_the_header_and_links_name_every_external_id_and_leave_out_empty_facts() -> None:
    case = a_case(deal_id="901", contract_id="C-17", route="order-invoice", reason=None)

    header = dict(case_header(case, now=NOW, places=PLACES))
    links = dict(case_links(case, places=PLACES))

    assert (header["Deal"], header["Contract"], header["Flow run"], header["Route"]) == (
        "901",
        "C-17",
        "0b7e-run",
        "order-invoice",
    )
    assert header["Licences"] == "40 -> 55" and header["Waits for"] == "approver (agent@avonova.example)"
    assert "Reason" not in header and "Signing deadline" not in header
    assert links == {
        "Run in Prefect": "http://127.0.0.1:4200/runs/flow-run/0b7e-run",
        "Deal in HubSpot": "https://app-eu1.hubspot.com/contacts/1234567/record/0-3/901",
        "Ticket in HubSpot": "https://app-eu1.hubspot.com/contacts/1234567/record/0-5/5001",
    }


def test_an_answer_the_run_refused_is_not_shown_as_approved() -> None:
    at = datetime(2026, 12, 4, 12, 0)
    events = [
        CaseEvent(case_key="K", at=at, actor="Mallory", kind="decision:approval-1", details='{"approved": true}'),
        CaseEvent(case_key="K", at=at, actor="Mallory", kind="refused:approval-1", details='{"problems": ["no"]}'),
        CaseEvent(case_key="K", at=at, actor="Ola", kind="decision:approval-2", details='{"approved": true}'),
    ]

    whats = [line.what for line in timeline(events, places=PLACES)]

    assert whats == ["approval-1: refused answer: approved", "refused at approval-1: no", "approval-2 approved"]
