"""Today's date where the routine is run (Norway), for the rules that take `today`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def local_today(timezone: str, now: datetime | None = None) -> date:
    """The date in `timezone` now, or at `now` (an aware time, e.g. a test's moved clock)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()


def utc_now() -> datetime:
    return datetime.now(UTC)
