"""Which reminders a waiting case has earned, and who is told what (pure rules, no Prefect)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.case import CaseState
from models.notices import Due, Notice, ReminderPolicy, recipient, reminders_due

POLICY = ReminderPolicy(
    approval_reminder=timedelta(hours=24),
    approval_escalation=timedelta(hours=72),
    deadline_heads_up_days=2,
    decision_reminder=timedelta(hours=12),
    decision_escalation=timedelta(hours=48),
    licence_reminder=timedelta(hours=6),
    licence_escalation=timedelta(hours=30),
)
SINCE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
A = CaseState.AWAITING_APPROVAL
S = CaseState.AWAITING_SIGNATURE


@pytest.mark.parametrize(
    ("state", "waited", "deadline", "due"),
    [
        (A, timedelta(hours=23, minutes=59), None, []),
        (A, timedelta(hours=24), None, [Due(Notice.APPROVAL_REMINDER, "approval-2")]),
        (A, timedelta(hours=71), None, [Due(Notice.APPROVAL_REMINDER, "approval-2")]),
        (
            A,
            timedelta(hours=72),
            None,
            [Due(Notice.APPROVAL_REMINDER, "approval-2"), Due(Notice.APPROVAL_ESCALATION, "approval-2")],
        ),
        # A deadline matters only while the contract is out for signature.
        (A, timedelta(0), TODAY, []),
        (S, timedelta(days=9), TODAY + timedelta(days=3), []),
        (S, timedelta(0), TODAY + timedelta(days=2), [Due(Notice.DEADLINE_HEADS_UP, "deadline-2026-03-12")]),
        (S, timedelta(0), TODAY, [Due(Notice.DEADLINE_HEADS_UP, "deadline-2026-03-10")]),
        # Past the deadline the poller expires the contract instead.
        (S, timedelta(0), TODAY - timedelta(days=1), []),
        (S, timedelta(0), None, []),
        (CaseState.SIGNED, timedelta(days=9), TODAY, []),
    ],
)
def test_reminders_due(state: CaseState, waited: timedelta, deadline: date | None, due: list[Due]) -> None:
    found = reminders_due(
        state=state,
        step="approval-2",
        waiting_since=SINCE,
        signing_deadline=deadline,
        now=SINCE + waited,
        today=TODAY,
        policy=POLICY,
    )

    assert found == due


D = CaseState.AWAITING_DECISION
L = CaseState.AWAITING_LICENCE_CONFIRMATION


@pytest.mark.parametrize(
    ("state", "step", "waited", "due"),
    [
        (D, "decision-1", timedelta(hours=11, minutes=59), []),
        (D, "decision-1", timedelta(hours=12), [Due(Notice.DECISION_REMINDER, "decision-1")]),
        (
            D,
            "decision-2",
            timedelta(hours=48),
            [Due(Notice.DECISION_REMINDER, "decision-2"), Due(Notice.DECISION_ESCALATION, "decision-2")],
        ),
        (L, "licences-1", timedelta(hours=5, minutes=59), []),
        (L, "licences-1", timedelta(hours=6), [Due(Notice.LICENCE_REMINDER, "licences-1")]),
        (
            L,
            "licences-3",
            timedelta(hours=30),
            [Due(Notice.LICENCE_REMINDER, "licences-3"), Due(Notice.LICENCE_ESCALATION, "licences-3")],
        ),
        # A wait without a step (an ops retry put the case back) is not reminded until its form opens again.
        (D, "", timedelta(days=9), []),
    ],
)
def test_a_decision_or_a_licence_confirmation_left_unanswered_is_reminded_then_escalated(
    state: CaseState, step: str, waited: timedelta, due: list[Due]
) -> None:
    found = reminders_due(
        state=state,
        step=step,
        waiting_since=SINCE,
        signing_deadline=TODAY,
        now=SINCE + waited,
        today=TODAY,
        policy=POLICY,
    )

    assert found == due


def test_a_due_notice_is_named_by_kind_and_step() -> None:
    assert Due(Notice.APPROVAL_REMINDER, "approval-2").name == "approval-reminder:approval-2"


@pytest.mark.parametrize(
    ("notice", "to"),
    [
        (Notice.APPROVAL_NEEDED, "agent@x.example"),
        (Notice.APPROVAL_REMINDER, "agent@x.example"),
        (Notice.APPROVAL_ESCALATION, "lead@x.example"),
        (Notice.DECISION_REMINDER, "agent@x.example"),
        (Notice.DECISION_ESCALATION, "lead@x.example"),
        (Notice.LICENCE_REMINDER, "agent@x.example"),
        (Notice.LICENCE_ESCALATION, "lead@x.example"),
        (Notice.DECISION_NEEDED, "agent@x.example"),
        (Notice.LICENCE_CONFIRMATION, "agent@x.example"),
        (Notice.DEADLINE_HEADS_UP, "agent@x.example"),
        (Notice.NEEDS_ATTENTION, "ops@x.example"),
    ],
)
def test_recipient(notice: Notice, to: str) -> None:
    found = recipient(
        notice, agent_email="agent@x.example", ops_recipient="ops@x.example", escalation_recipient="lead@x.example"
    )

    assert found == to
