"""What the Prefect UI shows beside the runs: a Markdown summary per case and the table of open cases (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import quote

from models.board import case_age, flow_run_url, format_age, waits_for
from models.case import CLOSED_STATES, Case
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


def case_summary_markdown(case: Case, *, links: dict[str, str], step: str) -> str:
    """What the case changes (licences, price, start date), its route and state, and links to the deal, the ticket
    and the contract; every name from HubSpot or Dealbuilder is escaped, so it renders as the letters it holds."""
    company = md_text(case.company_name or "-")

    def money(value: object) -> str:
        return md_text(format_nok(value)) if value is not None else "-"  # type: ignore[arg-type]

    rows = [
        (
            "Lisenser",
            md_text(case.licences_before if case.licences_before is not None else "-"),
            md_text(case.licences_after),
        ),
        ("Pris per lisens", money(case.price_before), money(case.price_after)),
        ("Oppstartsdato", "", md_text(format_date(case.start_date)) if case.start_date else "-"),
    ]
    lines = [
        f"# Reforhandling: {company}",
        "",
        f"Sak **{md_text(case.case_key)}**, tilstand **{md_text(case.state)}** (etter steg {md_text(step)}); "
        f"rute: **{md_text(case.route or 'ikke bestemt ennå')}**.",
        "",
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


def board_rows(cases: Iterable[Case], *, now: datetime, today: date, ui_url: str) -> list[dict[str, str]]:
    """One row per open case, oldest first: state, age, whom or what it waits for, and its run link."""
    rows = []
    for case in sorted(cases, key=lambda c: c.created_at.replace(tzinfo=None)):
        if case.state in CLOSED_STATES:
            continue
        rows.append(
            {
                "case": case.case_key,
                "company": one_line(case.company_name),
                "state": str(case.state),
                "age": format_age(case_age(case, now)),
                "waits for": str(waits_for(case, today)),
                "link": flow_run_url(ui_url, case.flow_run_id) if case.flow_run_id else "",
            }
        )
    return rows


def board_description(now: datetime, problem: str = "") -> str:
    """The board's heading: when it was made, and what the poll that made it could not do (shown above the table,
    so whoever looks at the board sees that its waiting cases were not checked)."""
    heading = f"Open renegotiation cases at {now.isoformat(timespec='minutes')}: state, age, what each waits for"
    return f"**Warning: {md_text(one_line(problem))}**\n\n{heading}" if problem else heading
