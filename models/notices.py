"""Who is told what, and when: the notifications of a case and the reminders the poller owes (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from models.case import CaseState


class Notice(StrEnum):
    """A notification's kind; with its step it names the one claim and the `notified:<kind>:<step>` event."""

    APPROVAL_NEEDED = "approval-needed"
    APPROVAL_REMINDER = "approval-reminder"
    APPROVAL_ESCALATION = "approval-escalation"
    DECISION_NEEDED = "decision-needed"
    DECISION_REMINDER = "decision-reminder"
    DECISION_ESCALATION = "decision-escalation"
    LICENCE_CONFIRMATION = "licence-confirmation"
    LICENCE_REMINDER = "licence-reminder"
    LICENCE_ESCALATION = "licence-escalation"
    DEADLINE_HEADS_UP = "deadline-heads-up"
    NEEDS_ATTENTION = "needs-attention"
    WRITE_SUPERSEDED = "write-superseded"


@dataclass(frozen=True)
class Due:
    notice: Notice
    step: str

    @property
    def name(self) -> str:
        return f"{self.notice}:{self.step}"


@dataclass(frozen=True)
class ReminderPolicy:
    approval_reminder: timedelta
    approval_escalation: timedelta
    deadline_heads_up_days: int
    decision_reminder: timedelta
    decision_escalation: timedelta
    licence_reminder: timedelta
    licence_escalation: timedelta

    def person_waits(self) -> dict[CaseState, tuple[timedelta, Notice, timedelta, Notice]]:
        """Per state in which a person must answer a form: after how long the agent is reminded, and with what
        notice, and after how long it is escalated, and with what notice."""
        return {
            CaseState.AWAITING_APPROVAL: (
                self.approval_reminder,
                Notice.APPROVAL_REMINDER,
                self.approval_escalation,
                Notice.APPROVAL_ESCALATION,
            ),
            CaseState.AWAITING_DECISION: (
                self.decision_reminder,
                Notice.DECISION_REMINDER,
                self.decision_escalation,
                Notice.DECISION_ESCALATION,
            ),
            CaseState.AWAITING_LICENCE_CONFIRMATION: (
                self.licence_reminder,
                Notice.LICENCE_REMINDER,
                self.licence_escalation,
                Notice.LICENCE_ESCALATION,
            ),
        }


def reminders_due(
    *,
    state: CaseState,
    step: str,
    waiting_since: datetime | None,
    signing_deadline: date | None,
    now: datetime,
    today: date,
    policy: ReminderPolicy,
) -> list[Due]:
    """The reminders an open case has earned by now: a reminder, then an escalation, for a form left unanswered
    (an approval, a decision on a declined or expired contract, a licence count to confirm; per step), and a
    heads-up when the signing deadline is `deadline_heads_up_days` away or closer (per deadline: a resend with a new
    deadline earns a new one). Whether each was sent is the claims' job."""
    due: list[Due] = []
    person_wait = policy.person_waits().get(state)
    if person_wait is not None and waiting_since is not None and step:
        reminder_after, reminder, escalation_after, escalation = person_wait
        waited = now - waiting_since
        if waited >= reminder_after:
            due.append(Due(reminder, step))
        if waited >= escalation_after:
            due.append(Due(escalation, step))
    # Past the deadline the poller expires the contract and a person is asked to decide (decision-needed).
    heads_up_from = today + timedelta(days=policy.deadline_heads_up_days)
    if state is CaseState.AWAITING_SIGNATURE and signing_deadline and today <= signing_deadline <= heads_up_from:
        due.append(Due(Notice.DEADLINE_HEADS_UP, f"deadline-{signing_deadline.isoformat()}"))
    return due


ESCALATIONS = frozenset({Notice.APPROVAL_ESCALATION, Notice.DECISION_ESCALATION, Notice.LICENCE_ESCALATION})


def recipient(notice: Notice, *, agent_email: str, ops_recipient: str, escalation_recipient: str) -> str:
    """The agent who started the case, except escalations (their lead), failed runs and values of someone else's
    kept over ours (ops)."""
    if notice in ESCALATIONS:
        return escalation_recipient
    if notice in (Notice.NEEDS_ATTENTION, Notice.WRITE_SUPERSEDED):
        return ops_recipient
    return agent_email
