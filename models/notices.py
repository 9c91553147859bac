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
    LICENCE_CONFIRMATION = "licence-confirmation"
    DEADLINE_HEADS_UP = "deadline-heads-up"
    NEEDS_ATTENTION = "needs-attention"


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
    """The reminders an open case has earned by now: a reminder, then an escalation, for an approval form left
    unanswered (per approval step), and a heads-up when the signing deadline is `deadline_heads_up_days` away or
    closer (per deadline: a resend with a new deadline earns a new one). Whether each was sent is the claims' job."""
    due: list[Due] = []
    if state is CaseState.AWAITING_APPROVAL and waiting_since is not None and step:
        waited = now - waiting_since
        if waited >= policy.approval_reminder:
            due.append(Due(Notice.APPROVAL_REMINDER, step))
        if waited >= policy.approval_escalation:
            due.append(Due(Notice.APPROVAL_ESCALATION, step))
    # Past the deadline the poller expires the contract and a person is asked to decide (decision-needed).
    heads_up_from = today + timedelta(days=policy.deadline_heads_up_days)
    if state is CaseState.AWAITING_SIGNATURE and signing_deadline and today <= signing_deadline <= heads_up_from:
        due.append(Due(Notice.DEADLINE_HEADS_UP, f"deadline-{signing_deadline.isoformat()}"))
    return due


def recipient(notice: Notice, *, agent_email: str, ops_recipient: str, escalation_recipient: str) -> str:
    """The agent who started the case, except escalations (their lead) and failed runs (ops)."""
    if notice is Notice.APPROVAL_ESCALATION:
        return escalation_recipient
    if notice is Notice.NEEDS_ATTENTION:
        return ops_recipient
    return agent_email
