"""What an open case waits for, how old it is, and the link to its run: one answer for the CLI, the cases table
artifact and the reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from models.case import Case, CaseState


class Party(StrEnum):
    """Who has to act before the case moves on."""

    APPROVER = "approver"  # a person on routine.approvers, in the Prefect UI (approval, decision, licence count)
    CUSTOMER = "customer"  # the signer, in Dealbuilder
    POLLER = "poller"  # the scheduled poll-signatures run (the deadline has passed; it asks for a decision)
    OPS = "ops"  # a failed run: fix the cause and Retry
    FLOW = "flow"  # a run is working on it now
    NOBODY = "-"  # closed


@dataclass(frozen=True)
class WaitsFor:
    party: Party
    who: str  # whom exactly (an e-mail), or what (a reason), for a person to read

    def __str__(self) -> str:
        return f"{self.party} ({self.who})" if self.who else str(self.party)


_PERSON_STATES = {CaseState.AWAITING_APPROVAL, CaseState.AWAITING_DECISION, CaseState.AWAITING_LICENCE_CONFIRMATION}
_CLOSED = {CaseState.COMPLETED, CaseState.REJECTED, CaseState.CANCELLED}


def waits_for(case: Case, today: date) -> WaitsFor:
    """Whom or what the case waits for now; a contract past its signing deadline waits for the poller to expire it."""
    if case.state in _CLOSED:
        return WaitsFor(Party.NOBODY, "")
    if case.state is CaseState.NEEDS_ATTENTION:
        return WaitsFor(Party.OPS, (case.reason or "").split(". ")[0][:80])
    if case.state in _PERSON_STATES:
        return WaitsFor(Party.APPROVER, case.agent_email)
    if case.state is CaseState.AWAITING_SIGNATURE:
        if case.signing_deadline is not None and case.signing_deadline < today:
            return WaitsFor(Party.POLLER, f"deadline {case.signing_deadline.isoformat()} passed")
        return WaitsFor(Party.CUSTOMER, case.signer_email)
    return WaitsFor(Party.FLOW, "")


def case_age(case: Case, now: datetime) -> timedelta:
    """Time since the case was opened (timestamps are stored in UTC; SQLite hands them back naive)."""
    created = case.created_at if case.created_at.tzinfo else case.created_at.replace(tzinfo=now.tzinfo)
    return max(now - created, timedelta(0))


def format_age(age: timedelta) -> str:
    """'3 d 4 h', '5 h 12 min', '7 min': the two largest units, for a person scanning a table."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def flow_run_url(ui_url: str, flow_run_id: str) -> str:
    """The run's page in the Prefect UI: where a suspended run's Resume dialog opens."""
    return f"{ui_url.removesuffix('/')}/runs/flow-run/{flow_run_id}"
