"""Text from other systems made safe for the Prefect UI's Markdown (pure)."""

from __future__ import annotations

import re

# Every character Markdown or the HTML it allows could read as syntax: a name renders as the letters it holds.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&:\"'=])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x00-\x08\x0b-\x1f\x7f\u2028\u2029]+")


def md_text(value: object) -> str:
    """`value` as one line of literal text in Markdown: no link, image, emphasis, HTML or table cell break."""
    return _SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(value)).strip())
