"""Checked writes on behalf of a case: each write of a field is recorded before it is made, so a retry or a replay
after a crash reads the field back before writing it again; a newer value someone else set is kept, put on the
case as an event and told to ops once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bootstrap.runtime import Runtime
from models.field_history import WriteOutcome
from models.notices import Due, Notice
from tasks.notifying import notify_once


def write_field(
    rt: Runtime, case_key: str, field: str, write: Callable[[datetime | None], WriteOutcome]
) -> WriteOutcome:
    """Run `write(since)` for the case's write `field` (e.g. `ticket-stage:sent`): `since` is when the first
    attempt of it began, or None when this is the first; a kept value of someone else's is recorded as
    `superseded:<field>` and told to ops."""
    store = rt.store
    attempt = f"write-attempt:{field}"
    earlier = store.events(case_key, kind=attempt)
    since = _aware(earlier[0].at) if earlier else None
    if not earlier:
        store.add_event(case_key, actor="flow", kind=attempt)
    outcome = write(since)
    if outcome.kept:
        _report(rt, case_key, field, outcome)
    return outcome


def _report(rt: Runtime, case_key: str, field: str, outcome: WriteOutcome) -> None:
    store = rt.store
    described = outcome.describe()
    details = {"kept": outcome.kept, "ours": outcome.ours, "restored": outcome.restored, "what": described}
    if outcome.at is not None:
        details["at"] = outcome.at.isoformat()
    if not store.events(case_key, kind=f"superseded:{field}"):
        store.add_event(case_key, actor="flow", kind=f"superseded:{field}", details=details)
    logger = logging.getLogger(__name__)
    logger.warning("case %s: %s: %s", case_key, field, described)
    try:
        notify_once(rt, case_key, Due(Notice.WRITE_SUPERSEDED, field), actor="flow", detail=f"{field}: {described}")
    except Exception as error:  # the value is kept and on the case either way; the mail must not stop the case
        logger.warning("case %s: ops notice for %s not sent: %s", case_key, field, error)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the store writes UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
