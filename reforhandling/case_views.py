"""What `reforhandling cases` and `reforhandling case KEY` show, as plain rows and lines: pure (the clock and the
links come in as arguments), so one table test covers every event kind and cli.py only renders them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from models.artifacts import case_artifact_key
from models.board import case_age, flow_run_url, format_age, waits_for
from models.case import CLOSED_STATES, Case, CaseEvent, CaseState
from models.links import DEAL, TICKET, hubspot_record_url, latest_artifact_url
from models.waits import APPROVAL, DECISION, LICENCES, is_signature_wait


@dataclass(frozen=True)
class Places:
    """Where the links point and which clock the times are read on (from settings, by the CLI)."""

    prefect_ui_url: str
    hubspot_app_url: str
    hubspot_portal_id: str
    timezone: str = "Europe/Oslo"
    receiver_url: str = ""  # where the links to an artifact's newest version are served (none: no such link)


class UnknownState(ValueError):
    """A `--state` that is not a case state."""


def chosen_states(*, open_only: bool, names: Sequence[str]) -> set[CaseState] | None:
    """The states `--open` and `--state` (repeatable, any case) select; None means every case."""
    valid = {state.value for state in CaseState}
    unknown = [name for name in names if name.upper() not in valid]
    if unknown:
        raise UnknownState(
            f"unknown state {', '.join(repr(name) for name in unknown)}; valid states: {', '.join(CaseState)}"
        )
    states = {CaseState(name.upper()) for name in names} or None
    if open_only:
        open_states = set(CaseState) - CLOSED_STATES
        states = open_states if states is None else states & open_states
    return states


@dataclass(frozen=True)
class CaseRow:
    key: str
    ticket: str
    company: str
    state: str
    age: str
    waits_for: str
    licences: str
    price: str
    updated: str
    run: str


def case_row(case: Case, *, now: datetime, places: Places) -> CaseRow:
    """One line of the board: what a person scanning open cases needs to pick the next one up."""
    local = ZoneInfo(places.timezone)
    return CaseRow(
        key=case.case_key,
        ticket=case.ticket_id,
        company=case.company_name or "",
        state=str(case.state),
        age=format_age(case_age(case, now)),
        waits_for=str(waits_for(case, now.astimezone(local).date())),
        licences=_before_after(case.licences_before, case.licences_after),
        price=_before_after(_price(case.price_before), _price(case.price_after)),
        updated=_local(case.updated_at, local),
        run=flow_run_url(places.prefect_ui_url, case.flow_run_id) if case.flow_run_id else "",
    )


def case_header(case: Case, *, now: datetime, places: Places) -> list[tuple[str, str]]:
    """The facts above a case's timeline, label and value; empty facts are left out."""
    local = ZoneInfo(places.timezone)
    facts = [
        ("Company", case.company_name or ""),
        ("Ticket", case.ticket_id),
        ("State", str(case.state)),
        ("Waits for", str(waits_for(case, now.astimezone(local).date()))),
        ("Age", format_age(case_age(case, now))),
        ("Licences", _before_after(case.licences_before, case.licences_after)),
        ("Price per licence", _before_after(_price(case.price_before), _price(case.price_after))),
        ("Start date", _day(case.start_date)),
        ("Signing deadline", _day(case.signing_deadline)),
        ("Route", case.route or ""),
        ("Reason", case.reason or ""),
        ("Agent", case.agent_email),
        ("Signer", case.signer_email),
        ("Deal", case.deal_id or ""),
        ("Contract", case.contract_id or ""),
        ("Flow run", case.flow_run_id or ""),
    ]
    return [(label, value) for label, value in facts if value]


def case_links(case: Case, *, places: Places) -> list[tuple[str, str]]:
    """The run in the Prefect UI (its Resume or Retry) and the newest version of its summary, the deal and the ticket
    in HubSpot."""
    links = []
    if case.flow_run_id:
        links.append(("Run in Prefect", flow_run_url(places.prefect_ui_url, case.flow_run_id)))
        if places.receiver_url:
            summary = latest_artifact_url(places.receiver_url, case_artifact_key(case.case_key))
            links.append(("Summary in Prefect", summary))
    if case.deal_id:
        links.append(("Deal in HubSpot", _hubspot(places, DEAL, case.deal_id)))
    links.append(("Ticket in HubSpot", _hubspot(places, TICKET, case.ticket_id)))
    return links


@dataclass(frozen=True)
class TimelineLine:
    when: str
    who: str
    what: str


def timeline(events: Iterable[CaseEvent], *, places: Places) -> list[TimelineLine]:
    """The case's event log in readable words, oldest first; an answer that was then refused says so."""
    local = ZoneInfo(places.timezone)
    events = list(events)
    refused = {event.kind.removeprefix("refused:") for event in events if event.kind.startswith("refused:")}
    lines = []
    for event in events:
        was_refused = event.kind.startswith("decision:") and event.kind.removeprefix("decision:") in refused
        what = describe_event(event.kind, _details(event.details), refused=was_refused)
        lines.append(TimelineLine(_local(event.at, local), event.actor, what))
    return lines


def describe_event(kind: str, details: dict[str, Any], *, refused: bool = False) -> str:
    """One event in words: known kinds say what happened; any other kind shows its details as they are. `refused`:
    a decision the run then refused (its `refused:<step>` event says why)."""
    family, _, step = kind.partition(":")
    if family == "decision" and step:
        said = _decision(step, details)
        return f"{step}: refused answer: {said.removeprefix(step).lstrip(': ')}" if refused else said
    if family == "state" and step:
        return _state(step, details)
    if family == "refused" and step:
        return f"refused at {step}: {'; '.join(str(problem) for problem in details.get('problems', []))}"
    if family == "notified" and step:
        # `notified:<notice>:<step>`: a notification, reminder or escalation that went out.
        notice, _, at = step.partition(":")
        to = _value(details.get("to", "?"))
        return f"{notice} ({at}) sent to {to}: {details.get('subject', '')} ({details.get('link', '')})"
    describe = _DESCRIBERS.get(kind)
    return describe(details) if describe else _generic(kind, details)


def _decision(step: str, details: dict[str, Any]) -> str:
    if step.startswith(APPROVAL):
        figures = _figures(details)
        if figures:
            return f"{step} corrected: {figures}"
        if details.get("approved"):
            return f"{step} approved"
        return f"{step} rejected" + _comment(details)
    if is_signature_wait(step):
        signed = f" on {details['signed_on']}" if details.get("signed_on") else ""
        return (
            f"{step}: contract reported {details.get('state', '?')} ({details.get('raw_status', '?')}){signed} "
            f"by {details.get('reported_by', '?')}"
        )
    if step.startswith(DECISION):
        action = str(details.get("action", "?")).replace("_", " ")
        return f"{step}: {action}" + _comment(details)
    if step.startswith(LICENCES):
        return f"{step}: {details.get('licences_set', '?')} licences confirmed set in Avonova Digital"
    return _generic(f"decision:{step}", details)


def _state(new: str, details: dict[str, Any]) -> str:
    moved = f"{details['from']} -> {new}" if details.get("from") and details["from"] != new else new
    extras = {key: value for key, value in details.items() if key not in {"from", "hubspot_calls"}}
    if extras.pop("retried", False):
        moved += " (ops retried the run)"
    if "attempt" in extras and "licences" in extras:
        attempt = extras.pop("attempt")
        moved += f" (draft corrected after approval-{attempt}: {_figures(extras)})"
        extras = {key: value for key, value in extras.items() if key not in {"licences", "price_per_licence"}}
    return moved + "".join(f", {key}: {value}" for key, value in extras.items())


def _figures(details: dict[str, Any]) -> str:
    figures = []
    if details.get("licences") is not None:
        figures.append(f"{details['licences']} licences")
    if details.get("price_per_licence") is not None:
        figures.append(f"{_price(Decimal(str(details['price_per_licence'])))} per licence")
    return ", ".join(figures)


def _comment(details: dict[str, Any]) -> str:
    comment = (details.get("comment") or "").strip()
    return f": {comment}" if comment else ""


def _opened(details: dict[str, Any]) -> str:
    start = f", start {details['start_date']}" if details.get("start_date") else ""
    return f"case opened: {_figures(details)}, signer {details.get('signer_email', '?')}{start}"


def _resumed(details: dict[str, Any]) -> str:
    return f"resumed the run: contract {details.get('state', '?')} ({details.get('raw_status', '?')})"


def _agreement(details: dict[str, Any]) -> str:
    return (
        f"current agreement {details.get('contract_id', '?')} signed {details.get('signed_on', '?')}; "
        f"sold agreement {details.get('sold_contract_id', '?')} signed {details.get('sold_signed_on', '?')}"
        + (" (no seller's agreement: the oldest signed one)" if details.get("sold_is_fallback") else "")
    )


def _mail_sent(details: dict[str, Any]) -> str:
    to = ", ".join(details.get("to", []))
    return f"e-mail sent to {to}: {details.get('subject', '')} ({details.get('message_id', '')})"


_DESCRIBERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "opened": _opened,
    "resumed": _resumed,
    "run-attached": lambda details: f"flow run {details.get('flow_run_id', '?')} carries the case",
    "run-interrupted": lambda details: f"flow run stopped with its runner or worker ({details.get('state', '?')})",
    "run-rescheduled": lambda details: f"flow run rescheduled after a stop (it was {details.get('from', '?')})",
    "agreement": _agreement,
    "mail-sent": _mail_sent,
    "ticket-note": lambda details: f"note {details.get('note_id', '?')} on the ticket ({details.get('step', '?')})",
    "ticket-stage": lambda details: f"ticket moved to {details.get('stage', '?')}",
    "contract-cancelled": lambda details: f"contract cancelled ({details.get('step', '?')})",
}


def _generic(kind: str, details: dict[str, Any]) -> str:
    shown = ", ".join(f"{key}: {_value(value)}" for key, value in details.items())
    return f"{kind} ({shown})" if shown else kind


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _details(raw: str) -> dict[str, Any]:
    try:
        loaded = json.loads(raw)
    except ValueError:
        return {"details": raw}
    return loaded if isinstance(loaded, dict) else {"details": loaded}


def _hubspot(places: Places, object_type: str, record_id: str) -> str:
    return hubspot_record_url(places.hubspot_app_url, places.hubspot_portal_id, object_type, record_id)


def _before_after(before: object, after: object) -> str:
    return f"{before if before is not None else '?'} -> {after}"


def _price(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _local(at: datetime, local: ZoneInfo) -> str:
    # The store writes UTC; SQLite hands it back without a zone.
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return f"{aware.astimezone(local):%Y-%m-%d %H:%M}"
