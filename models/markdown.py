"""Text from other systems made safe for the Prefect UI's Markdown (pure)."""

from __future__ import annotations

import re

from models.text import clean_text

# Every character Markdown or the HTML it allows could read as syntax: a name renders as the letters it holds.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&:\"'=])")


def md_text(value: object) -> str:
    """`value` as one line of literal text in Markdown: no link, image, emphasis, HTML or table cell break, and no
    control, escape or bidi character (see `clean_text`)."""
    return _SPECIAL.sub(r"\\\1", clean_text(value))
