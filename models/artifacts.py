"""What the Prefect UI shows beside the runs: a Markdown summary per case and the table of open cases (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import quote

from models.board import Party, case_age, flow_run_url, format_age, waits_for
from models.case import CLOSED_STATES, Case, CaseState
from models.markdown import md_text
from models.messages import format_date, format_nok
from models.text import one_line

# The key of the table artifact every poll replaces: one board of every open case.
BOARD_KEY = "reforhandling-cases"


def case_artifact_key(case_key: str) -> str:
    """The case's artifact key: Prefect allows lowercase letters, digits and dashes."""
    return "case-" + re.sub(r"[^a-z0-9-]+", "-", case_key.lower()).strip("-")


def md_url(url: str) -> str:
    """A URL safe inside a Markdown link target: nothing in it can close the link or start HTML."""
    return quote(url, safe=":/?#&=%+,;@!$*~.-_")


# Whom a waiting case waits for, as the run page says it.
_WAITING = {
    Party.APPROVER: "Venter på godkjenning eller avgjørelse fra **{who}** (Resume på kjøringen).",
    Party.CUSTOMER: "Venter på at kunden signerer: **{who}**.",
    Party.POLLER: "Venter på signatur-pollingen: {who}.",
    Party.FLOW: "Kjøringen arbeider med saken.",
}


def case_summary_markdown(
    case: Case, *, links: dict[str, str], step: str, today: date, start_date: date | None = None
) -> str:
    """What the case changes (licences, price, start date), its state and whom it waits for (a failed case: the
    reason and where to Retry), and links to the deal, the ticket, the contract and the run; every name from
    HubSpot or Dealbuilder is escaped, so it renders as the letters it holds."""
    company = md_text(case.company_name or "-")
    start = start_date or case.start_date

    def money(value: object) -> str:
        return md_text(format_nok(value)) if value is not None else "-"  # type: ignore[arg-type]

    rows = [
        (
            "Lisenser",
            md_text(case.licences_before if case.licences_before is not None else "-"),
            md_text(case.licences_after),
        ),
        ("Pris per lisens", money(case.price_before), money(case.price_after)),
        ("Oppstartsdato", "", md_text(format_date(start)) if start else "-"),
    ]
    lines = [
        f"# Reforhandling: {company}",
        "",
        f"Sak **{md_text(case.case_key)}**, tilstand **{md_text(case.state)}** (etter steg {md_text(step)}); "
        f"rute: **{md_text(case.route or 'ikke bestemt ennå')}**.",
        "",
        *_status(case, today, links.get(RUN_LINK, "")),
        "| | Før | Etter |",
        "|---|---|---|",
        *(f"| {label} | {before} | {after} |" for label, before, after in rows),
        "",
    ]
    if case.signing_deadline is not None:
        lines += [f"Signeringsfrist: {md_text(format_date(case.signing_deadline))}", ""]
    shown = [f"[{md_text(label)}]({md_url(url)})" for label, url in links.items() if url]
    if shown:
        lines.append(" · ".join(shown))
    return "\n".join(lines) + "\n"


RUN_LINK = "Kjøringen i Prefect"


def _status(case: Case, today: date, run_url: str) -> list[str]:
    """Whom the case waits for, or for a failed case, the whole reason and where to Retry it."""
    if case.state is CaseState.NEEDS_ATTENTION:
        retry = f"[kjøringen i Prefect]({md_url(run_url)})" if run_url else "kjøringen i Prefect"
        return [
            f"> **Trenger oppfølging:** {md_text(one_line(case.reason or 'ukjent feil'))}",
            "",
            f"Rett årsaken, og trykk **Retry** på {retry}: kjøringen fortsetter der den stoppet.",
            "",
        ]
    waiting = waits_for(case, today)
    text = _WAITING.get(waiting.party)
    return [text.format(who=md_text(waiting.who)), ""] if text else []


def board_rows(cases: Iterable[Case], *, now: datetime, today: date, ui_url: str) -> list[dict[str, str]]:
    """One row per open case, oldest first, the short columns first and the link last, so the table fits a laptop's
    screen: key, state, age, whom or what it waits for (a failed case: its whole reason), company, run link."""
    rows = []
    for case in sorted(cases, key=lambda c: c.created_at.replace(tzinfo=None)):
        if case.state in CLOSED_STATES:
            continue
        waiting = (
            f"{Party.OPS} ({one_line(case.reason)})"
            if case.state is CaseState.NEEDS_ATTENTION and case.reason
            else str(waits_for(case, today))
        )
        rows.append(
            {
                "case": case.case_key,
                "state": str(case.state),
                "age": format_age(case_age(case, now)),
                "waits for": waiting,
                "company": one_line(case.company_name),
                "link": flow_run_url(ui_url, case.flow_run_id) if case.flow_run_id else "",
            }
        )
    return rows


def board_description(now: datetime, problem: str = "") -> str:
    """The board's heading: when it was made, and what the poll that made it could not do (shown above the table,
    so whoever looks at the board sees that its waiting cases were not checked)."""
    heading = f"Open renegotiation cases at {now.isoformat(timespec='minutes')}: state, age, what each waits for"
    return f"**Warning: {md_text(one_line(problem))}**\n\n{heading}" if problem else heading
