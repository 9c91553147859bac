"""Text from people and other systems made inert before it reaches a terminal, a log line, a note or an e-mail (pure).

A resume input, a HubSpot name or a Dealbuilder status is typed by someone else: it may hold terminal escape
sequences (clear the screen, recolour, move the cursor to forge a line), C0/C1 control characters, line breaks
where one line is expected, or bidi overrides that show text in another order than it is stored."""

from __future__ import annotations

import re
import unicodedata

# A whole escape sequence goes, not just its ESC: "[2J" left behind would be noise in a name.
# CSI (ESC [ or the C1 CSI), then OSC/DCS/APC/PM/SOS strings up to their terminator, then any other ESC + one char.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def clean_text(value: object, *, keep_lines: bool = False) -> str:
    """`value` as plain, printable text: escape sequences removed, other control characters and unusual spaces as
    one space, invisible format characters (bidi overrides and isolates, zero-width characters) removed, runs of
    spaces as one. Line breaks become spaces (one line), or with `keep_lines` one `\\n` each, blank lines kept
    at most one in a row."""
    if value is None:
        return ""
    text = _ESCAPES.sub("", str(value))
    lines = _LINE_BREAKS.split(text) if keep_lines else [_LINE_BREAKS.sub(" ", text)]
    cleaned = [" ".join("".join(_char(ch) for ch in line).split()) for line in lines]
    if not keep_lines:
        return cleaned[0]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(cleaned)).strip("\n")


def one_line(value: object) -> str:
    """A name or value from another system as one clean line (see `clean_text`)."""
    return clean_text(value)


def _char(ch: str) -> str:
    if ch == " " or ch.isprintable():
        return ch
    # Format characters (Cf) are invisible: dropping them keeps a word whole; a control or separator splits.
    return "" if unicodedata.category(ch) == "Cf" else " "


def comparable_name(value: object) -> str:
    """A person's name or e-mail as compared with an allow-list: cleaned, NFKC-normalised (a Kelvin sign is a K,
    a full-width letter its ASCII twin) and case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", clean_text(value)).casefold())
