"""Render the case views with rich: every value goes in as a cleaned Text, so a name from HubSpot or a resume input
cannot inject markup or terminal escapes (the last line of defence: inputs are cleaned when accepted, too), and rich
drops colours and links by itself when the output is not a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple

from rich.console import Console
from rich.table import Table
from rich.text import Text

from models.text import clean_text
from reforhandling.case_views import CaseRow, TimelineLine

# Piped output keeps whole lines (rich would otherwise wrap at 80 columns) so grep and less see one row per case.
PIPED_WIDTH = 400


def _console() -> Console:
    terminal = Console(highlight=False)
    return terminal if terminal.is_terminal else Console(highlight=False, width=PIPED_WIDTH)


COLUMNS = ("case", "ticket", "company", "state", "age", "waits for", "licences", "price", "updated", "run")
# In a narrow terminal the key, state and figures stay whole; names, whom and links fold.
WHOLE = {"case", "ticket", "state", "age", "licences", "price", "updated"}


def print_cases(rows: Sequence[CaseRow]) -> None:
    """The board: one row per case."""
    console = _console()
    if not rows:
        console.print(_text("No case matches."))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in COLUMNS:
        table.add_column(column, no_wrap=column in WHOLE, overflow="fold")
    for row in rows:
        cells = [_text(value) for value in astuple(row)]  # CaseRow's fields are in the columns' order
        cells[COLUMNS.index("state")].stylize(_state_style(row.state))
        table.add_row(*cells)
    console.print(table)


def print_case(
    case_key: str,
    header: Sequence[tuple[str, str]],
    links: Sequence[tuple[str, str]],
    lines: Sequence[TimelineLine],
) -> None:
    """One case: its facts, its links and its timeline."""
    console = _console()
    console.print(_text(f"Case {case_key}", style="bold"))
    console.print(_pairs(header))
    console.print(Text("\nLinks", style="bold"))
    console.print(_pairs(links))
    console.print(Text("\nTimeline", style="bold"))
    timeline = Table(box=None, show_header=False, pad_edge=False)
    for column in ("when", "who", "what"):
        timeline.add_column(column, overflow="fold")
    for line in lines:
        timeline.add_row(_text(line.when), _text(line.who, style="cyan"), _text(line.what))
    console.print(timeline)


def _pairs(pairs: Sequence[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("label", style="bold")
    table.add_column("value", overflow="fold")
    for label, value in pairs:
        table.add_row(_text(f"{label}:"), _text(value))
    return table


def _text(value: str, style: str = "") -> Text:
    # rich strips only a few control characters (BEL, BS, VT, FF, CR): an ESC would reach the terminal.
    return Text(clean_text(value), style=style)


def _state_style(state: str) -> str:
    if state == "NEEDS_ATTENTION":
        return "bold red"
    if state.startswith("AWAITING"):
        return "yellow"
    return "green" if state == "COMPLETED" else ""
