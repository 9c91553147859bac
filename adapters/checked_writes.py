"""Writes of named fields that are checked, not blind: a write whose answer was lost is read back, once it must
have landed, before it is written again; a newer value someone else set meanwhile is kept (and put back if our late
write landed over it), and the outcome says so. The system cannot refuse a late request for us (HubSpot's PATCH is
not conditional), so what a late landing did is found by reading back, here or at the next look (reconcile)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from adapters.errors import TransientError, may_still_land
from adapters.retrying import RetryPolicy
from models.field_history import Check, ReadBack, Verdict, WriteOutcome, check_write

logger = logging.getLogger(__name__)


def write_checked(
    policy: RetryPolicy,
    *,
    wanted: dict[str, str],
    write: Callable[[], object],
    read_back: Callable[[], ReadBack],
    restore: Callable[[dict[str, str | None]], object] | None,
    operation: str,
    since: datetime | None = None,
    clock_skew: timedelta = timedelta(0),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> WriteOutcome:
    """Write `wanted` (one request, `write()`), and after a failure that may have landed wait `settle_seconds` and
    read it back (`read_back()`) instead of writing again. `since`: an earlier attempt of this write began then (a
    task retry, a replay after a crash), so the fields are read back before the first write too. `restore` writes
    someone else's values back over our late landing (None: the system keeps no history, so it cannot be seen)."""
    begun = since or now()

    def look() -> Check:
        return check_write(wanted, read_back(), since=begun, clock_skew=clock_skew)

    def settled(check: Check) -> WriteOutcome:
        if check.verdict is Verdict.LANDED:
            return WriteOutcome(ours=wanted)
        restored = check.verdict is Verdict.OVERWRITTEN and restore is not None
        if restored and restore is not None:
            restore(check.theirs)
        outcome = WriteOutcome(kept=check.theirs, ours=wanted, at=check.at, restored=restored)
        logger.warning("%s %s: %s", policy.system, operation, outcome.describe())
        return outcome

    if since is not None:
        check = look()
        if check.verdict is not Verdict.NOT_LANDED:
            return settled(check)
    failure: TransientError | None = None
    for attempt in range(1, policy.attempts + 1):
        try:
            write()
            return WriteOutcome(ours=wanted)
        except TransientError as error:
            failure = error
            landing = may_still_land(error)
            wait = policy.wait(error, attempt, settle=landing)
            logger.warning(
                "%s %s: %s; attempt %d of %d failed, %s in %.2fs",
                policy.system,
                operation,
                error.message,
                attempt,
                policy.attempts,
                "reading it back" if landing else "trying again",
                wait,
            )
            if not landing and attempt == policy.attempts:
                break
            policy.sleep(wait)
            if landing:
                check = look()
                if check.verdict is not Verdict.NOT_LANDED:
                    return settled(check)
    assert failure is not None  # the loop returns on success
    note = f"{policy.system} {operation}: gave up after attempt {policy.attempts} of {policy.attempts}"
    logger.warning("%s: %s", note, failure.message)
    failure.add_note(note)
    raise failure
