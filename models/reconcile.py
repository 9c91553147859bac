"""The daily reconciliation's rules (pure): which cases to look at, and where the systems drifted from a case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from html import escape

from pydantic import BaseModel, ConfigDict

from config.settings import RoutineSettings
from models.case import CLOSED_STATES, Case, CaseState
from models.contract import ContractState
from models.mail import MailMessage
from models.markdown import md_text
from models.messages import message_id
from models.rules import Route

S = CaseState
# The flow has sent the contract: the ticket should stand at the "sent" stage.
SENT_STATES = frozenset(
    {S.SENT, S.AWAITING_SIGNATURE, S.AWAITING_DECISION, S.SIGNED, S.AWAITING_LICENCE_CONFIRMATION, S.LICENCES_ADJUSTED}
)
# The case knows its contract is signed.
SIGNED_STATES = frozenset({S.SIGNED, S.AWAITING_LICENCE_CONFIRMATION, S.LICENCES_ADJUSTED, S.COMPLETED})


class Drift(StrEnum):
    LICENCES = "licences"
    DEAL_AMOUNT = "deal-amount"
    DEAL_STAGE = "deal-stage"
    DEAL_TICKET = "deal-ticket"
    TICKET_OWNER = "ticket-owner"
    TICKET_STAGE = "ticket-stage"
    TICKET_MOVED_BACK = "ticket-moved-back"
    CONTRACT_REVOKED = "contract-revoked"
    SIGNED_OUTSIDE = "signed-outside-the-flow"
    RUN_MISSING = "run-missing"
    UNREADABLE = "unreadable"


class Observed(BaseModel):
    """What the systems say about one case now (None: not read, e.g. no deal yet or no licence API)."""

    model_config = ConfigDict(frozen=True)

    contract_state: ContractState | None = None
    contract_licences: int | None = None
    deal_amount: int | None = None
    deal_stage: str | None = None
    deal_ticket_ids: tuple[str, ...] | None = None
    digital_licences: int | None = None
    ticket_owner_id: str | None = None
    ticket_stage: str | None = None
    # The ticket went from a stage after `ticket_stage_sent` back to it (a late write of ours, or a person): the
    # stage it left, and when it went back, in words.
    ticket_moved_back: tuple[str, str] | None = None
    # The owner id of the route the case took (order/invoice or CSC), resolved from its e-mail.
    route_owner_id: str | None = None
    run_exists: bool = True


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_key: str
    company: str
    drift: Drift
    expected: str
    found: str


def cases_to_reconcile(cases: Iterable[Case], *, now: datetime, days: int) -> list[Case]:
    """Every open case, and every case closed in the last `days` days."""
    since = now - timedelta(days=days)
    return [case for case in cases if case.state not in CLOSED_STATES or _aware(case.updated_at) >= since]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the store writes UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def route_owner(case: Case, routine: RoutineSettings) -> str | None:
    """The e-mail of who the flow handed the ticket to; None before the case completed."""
    if case.state != S.COMPLETED or case.route is None:
        return None
    return routine.csc_owner if case.route == Route.CSC else routine.invoice_service_owner


# The deal waits for the customer's decision until the contract is signed, or the case is closed without one.
UNDECIDED_STATES = frozenset(
    {S.DEAL_CREATED, S.DRAFTED, S.AWAITING_APPROVAL, S.SENT, S.AWAITING_SIGNATURE, S.AWAITING_DECISION}
)


def expected_deal_stage(case: Case, routine: RoutineSettings) -> str | None:
    """The stage the case's deal should stand at: won once signed, lost once rejected or cancelled, else the
    routine's waiting stage; None when the case does not say (e.g. it needs attention)."""
    if case.state in SIGNED_STATES:
        return routine.deal_stage_won
    if case.state in {S.REJECTED, S.CANCELLED}:
        return routine.deal_stage_lost
    if case.state in UNDECIDED_STATES:
        return routine.deal_stage
    return None


def superseded(cases: Iterable[Case]) -> set[str]:
    """Completed cases of a company with a later completed case: Avonova Digital holds the later count now."""
    latest: dict[str, Case] = {}
    for case in cases:
        if case.state == S.COMPLETED and case.company_id:
            known = latest.get(case.company_id)
            if known is None or (_aware(case.updated_at), case.id or 0) > (_aware(known.updated_at), known.id or 0):
                latest[case.company_id] = case
    return {
        case.case_key
        for case in cases
        if case.state == S.COMPLETED and case.company_id and latest[case.company_id].case_key != case.case_key
    }


def case_findings(
    case: Case, observed: Observed, routine: RoutineSettings, *, is_superseded: bool = False
) -> list[Finding]:
    """Where HubSpot, Dealbuilder, Avonova Digital and Prefect disagree with the case and its signed contract; a
    superseded case's licences are the later case's to check."""
    found: list[Finding] = []

    def drift(kind: Drift, expected: object, actual: object) -> None:
        company = case.company_name or case.company_id or "?"
        found.append(
            Finding(case_key=case.case_key, company=company, drift=kind, expected=str(expected), found=str(actual))
        )

    contract = observed.contract_state
    licences = observed.contract_licences if observed.contract_licences is not None else case.licences_after
    in_digital = observed.digital_licences
    if case.state == S.COMPLETED and not is_superseded and in_digital is not None and in_digital != licences:
        drift(Drift.LICENCES, f"{licences} (signed contract)", f"{observed.digital_licences} in Avonova Digital")
    if observed.deal_amount is not None and observed.deal_amount != licences:
        drift(Drift.DEAL_AMOUNT, f"{licences} (contract)", f"{observed.deal_amount} on the deal")
    stage = expected_deal_stage(case, routine)
    if stage is not None and observed.deal_stage is not None and observed.deal_stage != stage:
        drift(Drift.DEAL_STAGE, f"{stage} (case {case.state})", f"{observed.deal_stage or 'no stage'} on the deal")
    if observed.deal_ticket_ids is not None and case.ticket_id not in observed.deal_ticket_ids:
        drift(Drift.DEAL_TICKET, f"the deal associated with ticket {case.ticket_id}", "no such association")
    owner = route_owner(case, routine)
    if (
        owner is not None
        and observed.route_owner_id is not None
        and observed.ticket_owner_id != observed.route_owner_id
    ):
        expected_owner = f"{owner} (owner {observed.route_owner_id}, route {case.route})"
        drift(Drift.TICKET_OWNER, expected_owner, f"owner {observed.ticket_owner_id or 'none'}")
    sent = case.state in SENT_STATES or case.state == S.COMPLETED
    allowed = {routine.ticket_stage_sent, *routine.ticket_stages_after_sent}
    if sent and observed.ticket_stage is not None and observed.ticket_stage not in allowed:
        drift(Drift.TICKET_STAGE, routine.ticket_stage_sent, observed.ticket_stage)
    if sent and observed.ticket_moved_back is not None:
        left, back = observed.ticket_moved_back
        drift(Drift.TICKET_MOVED_BACK, f"{left} (where the ticket had moved on to)", back)
    if contract == ContractState.CANCELED and case.state not in {S.REJECTED, S.CANCELLED}:
        drift(Drift.CONTRACT_REVOKED, f"a contract in force for a {case.state} case", "revoked in Dealbuilder")
    if contract == ContractState.SIGNED and case.state not in SIGNED_STATES:
        drift(Drift.SIGNED_OUTSIDE, f"not signed while the case is {case.state}", "signed in Dealbuilder")
    if case.state not in CLOSED_STATES and case.flow_run_id and not observed.run_exists:
        drift(Drift.RUN_MISSING, f"flow run {case.flow_run_id}", "no such run in Prefect")
    return found


def unreadable(case: Case, error: str) -> Finding:
    """A case whose systems could not be read this time: a person looks, the next run tries again."""
    company = case.company_name or case.company_id or "?"
    return Finding(case_key=case.case_key, company=company, drift=Drift.UNREADABLE, expected="readable", found=error)


def drift_rows(findings: Iterable[Finding]) -> list[dict[str, str]]:
    """The table artifact's rows; text from other systems is escaped for the UI's Markdown."""
    return [
        {
            "case": md_text(finding.case_key),
            "company": md_text(finding.company),
            "drift": finding.drift.value,
            "expected": md_text(finding.expected),
            "found": md_text(finding.found),
        }
        for finding in findings
    ]


def drift_message(findings: list[Finding], *, recipient: str, run_id: str, checked: int) -> MailMessage:
    """The one e-mail to ops of a reconciliation run that found drift; nothing was changed."""
    lines = [f"- {f.case_key} ({f.company}): {f.drift.value}: expected {f.expected}, found {f.found}" for f in findings]
    cases = len({finding.case_key for finding in findings})
    text = "\n".join(
        [
            "Hello,",
            "",
            f"The reconciliation found {len(findings)} findings in {cases} of {checked} cases. Nothing was changed "
            "automatically: decide which system is right and correct the others by hand.",
            "",
            *lines,
            "",
            f"Reforhandling (reconciliation run {run_id})",
        ]
    )
    items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines)
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body style="font-family:Arial,sans-serif">'
        f"<p>The reconciliation found {len(findings)} findings in {cases} of {checked} cases. Nothing was changed "
        "automatically."
        f"</p><ul>{items}</ul></body></html>"
    )
    return MailMessage(
        message_id=message_id(f"reconcile-{run_id}", "drift"),
        to=(recipient,),
        subject=f"Reforhandling: {len(findings)} findings in the reconciliation",
        text=text + "\n",
        html=html,
    )
