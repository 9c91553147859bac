from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from models.board import Party, case_age, flow_run_url, format_age, waits_for
from models.case import Case, CaseState

TODAY = date(2026, 12, 4)


def _case(state: CaseState, **fields: object) -> Case:
    values: dict[str, object] = {
        "case_key": "RF-1-1-abc",
        "ticket_id": "1",
        "signer_email": "signer@kunde.example",
        "agent_email": "agent@avonova.example",
        "licences_after": 10,
        "price_after": Decimal("400"),
        "state": state,
        **fields,
    }
    return Case.model_validate(values)


@pytest.mark.parametrize(
    ("state", "fields", "party", "who"),
    [
        (CaseState.AWAITING_APPROVAL, {}, Party.APPROVER, "agent@avonova.example"),
        (CaseState.AWAITING_DECISION, {}, Party.APPROVER, "agent@avonova.example"),
        (CaseState.AWAITING_LICENCE_CONFIRMATION, {}, Party.APPROVER, "agent@avonova.example"),
        (CaseState.AWAITING_SIGNATURE, {"signing_deadline": TODAY}, Party.CUSTOMER, "signer@kunde.example"),
        (
            CaseState.AWAITING_SIGNATURE,
            {"signing_deadline": date(2026, 12, 3)},
            Party.POLLER,
            "deadline 2026-12-03 passed",
        ),
        (CaseState.NEEDS_ATTENTION, {"reason": "HubSpot 401. Fix the cause"}, Party.OPS, "HubSpot 401"),
        (CaseState.DRAFTED, {}, Party.FLOW, ""),
        (CaseState.COMPLETED, {}, Party.NOBODY, ""),
    ],
)
def test_waits_for(state: CaseState, fields: dict[str, object], party: Party, who: str) -> None:
    found = waits_for(_case(state, **fields), TODAY)
    assert (found.party, found.who) == (party, who)


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(minutes=7, seconds=59), "7 min"),
        (timedelta(hours=5, minutes=12), "5 h 12 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_format_age(age: timedelta, shown: str) -> None:
    assert format_age(age) == shown


def test_case_age_reads_a_naive_utc_timestamp() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    case = _case(CaseState.STARTED, created_at=datetime(2026, 12, 4, 10, 30))
    assert case_age(case, now) == timedelta(hours=1, minutes=30)


def test_flow_run_url_opens_the_run_page() -> None:
    assert flow_run_url("http://127.0.0.1:4200/", "abc") == "http://127.0.0.1:4200/runs/flow-run/abc"
