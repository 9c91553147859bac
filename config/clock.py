"""Today's date where the routine is run (Norway), for the rules that take `today`."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()
