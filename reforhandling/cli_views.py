"""Render the case views with rich: every value goes in as a cleaned Text, so a name from HubSpot or a resume input
cannot inject markup or terminal escapes (the last line of defence: inputs are cleaned when accepted, too), and rich
drops colours and links by itself when the output is not a terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from models.text import clean_text
from reforhandling.case_views import CaseRow, TimelineLine

# Piped output keeps whole lines (rich would otherwise wrap at 80 columns) so grep and less see one row per case.
PIPED_WIDTH = 400


def _console(width: int | None = None) -> Console:
    if width:
        return Console(highlight=False, width=width)
    terminal = Console(highlight=False)
    return terminal if terminal.is_terminal else Console(highlight=False, width=PIPED_WIDTH)


@dataclass(frozen=True)
class Column:
    title: str
    field: str
    fold: bool = False  # may wrap inside its cell; a column that may not is dropped when it does not fit


# In the order they are shown; the key and the state are never cut, and the link is last.
COLUMNS = (
    Column("case", "key"),
    Column("state", "state"),
    Column("age", "age"),
    Column("waits for", "waits_for", fold=True),
    Column("company", "company", fold=True),
    Column("licences", "licences"),
    Column("price", "price"),
    Column("ticket", "ticket"),
    Column("updated", "updated"),
    Column("run", "run"),
)
# Which columns go first when the terminal is too narrow for all of them: the last in this list goes first.
PRIORITY = ("case", "state", "waits for", "age", "company", "licences", "price", "ticket", "updated", "run")
FOLDED_WIDTH = 14  # the narrowest a folding column gets before it is dropped
GAP = 2  # rich's padding between two columns of a borderless table


def fitting_columns(rows: Sequence[CaseRow], width: int) -> list[Column]:
    """The columns that fit `width`, most important first kept; the key and the state are always kept."""
    by_title = {column.title: column for column in COLUMNS}

    def needed(column: Column) -> int:
        natural = max([len(column.title)] + [len(getattr(row, column.field)) for row in rows])
        return min(natural, FOLDED_WIDTH) if column.fold else natural

    chosen: list[str] = []
    used = -GAP
    for title in PRIORITY:
        cost = needed(by_title[title]) + GAP
        if title in {"case", "state"} or used + cost <= width:
            chosen.append(title)
            used += cost
    return [column for column in COLUMNS if column.title in chosen]


def print_cases(rows: Sequence[CaseRow], *, width: int | None = None, wide: bool = False) -> None:
    """The board: one row per case; in a narrow terminal the less important columns go, `wide` keeps them all."""
    console = _console(PIPED_WIDTH if wide else width)
    if not rows:
        console.print(_text("No case matches."))
        return
    columns = list(COLUMNS) if wide else fitting_columns(rows, console.width)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column.title, no_wrap=not column.fold, overflow="fold")
    for row in rows:
        cells = [_text(getattr(row, column.field)) for column in columns]
        cells[1].stylize(_state_style(row.state))  # the state is always the second column
        table.add_row(*cells)
    console.print(table)


def cases_json(rows: Sequence[CaseRow]) -> str:
    """The board for scripts: every field of every row, whatever the terminal's width."""
    return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2)


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
