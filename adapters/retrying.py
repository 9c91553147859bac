"""One retry policy for every adapter, on tenacity: our TransientError is tried again with exponential backoff (or
the wait the system asks for), and a write is made once by looking whether a failed attempt landed before it is
written again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from adapters.errors import TransientError, ValidationRejected, may_still_land

logger = logging.getLogger(__name__)

T = TypeVar("T")


def refused_up_front(error: TransientError) -> bool:
    """A rate limit (429) refuses a request before the system does anything with it: a write so refused did not
    land, so there is nothing to look for."""
    return error.status == 429


@dataclass(frozen=True)
class RetryPolicy:
    """How one system is tried again: `max_attempts` in all, waiting `backoff_seconds` doubled after each failure
    (or what `delay` says, given the failure and its attempt number), and `settle_seconds` before looking for a
    write that may still land. `sleep` is injectable: tests pass one that records instead of waiting."""

    system: str
    max_attempts: int
    backoff_seconds: float
    settle_seconds: float = 0.0
    sleep: Callable[[float], None] = time.sleep
    delay: Callable[[TransientError, int], float] | None = None

    def call(self, fn: Callable[[], T], *, operation: str) -> T:
        """`fn()`, tried again on a transient failure; the last failure is raised as it is."""
        try:
            return self._retrying(operation, settle=False)(fn)
        except TransientError as error:
            self._give_up(error, operation)
            raise

    def write_once(
        self,
        write: Callable[[], T],
        look: Callable[[], T | None],
        *,
        operation: str,
        duplicates_refused: bool = False,
    ) -> T:
        """`write()` once, for a caller that has looked (`look()`) and found nothing yet.

        After a failed attempt that may have been carried out (anything but a rate limit) it looks again before
        writing again, and a refusal as a conflict (409: an earlier attempt of ours got there first) is looked up
        too. An attempt that may still land (no answer, a gateway gave up) can be missed by a look made too soon:
        the look waits `settle_seconds` first, unless `duplicates_refused`: the object carries a unique value, so
        the system refuses a late twin and looking at once is safe (and any refusal is looked up, as the status of
        that refusal may be undocumented). After the last attempt it settles and looks once more, so no write of
        ours is left in flight behind the look a task retry starts with."""
        settle = not duplicates_refused
        failure: TransientError | None = None
        try:
            for attempt in self._retrying(operation, settle=settle, looking=True):
                if failure is not None and not refused_up_front(failure):
                    found = look()
                    if found is not None:
                        return found
                refusal: ValidationRejected | None = None
                with attempt:
                    try:
                        return write()
                    except TransientError as error:
                        failure = error
                        raise
                    except ValidationRejected as error:
                        refusal = error
                # tenacity swallows the attempt's failure and decides on the next turn; a refusal is looked up here,
                # outside the attempt, so that a failing look is not tried again as if it were the write.
                if refusal is not None:
                    found = look() if refusal.status == 409 or duplicates_refused else None
                    if found is not None:
                        return found
                    raise refusal
        except TransientError as error:
            if error is not failure:  # a look's own failure, after its own retries
                raise
            if may_still_land(error):
                if settle:
                    logger.warning(
                        "%s %s: looking in %.1fs whether the last attempt landed",
                        self.system,
                        operation,
                        self.settle_seconds,
                    )
                    self.sleep(self.settle_seconds)
                found = look()
                if found is not None:
                    return found
            self._give_up(error, operation)
            raise
        raise AssertionError("unreachable: tenacity raises the last failure when the attempts run out")

    def wait(self, error: TransientError, attempt: int, *, settle: bool = False) -> float:
        """Seconds before the attempt after `attempt` (1-based) failed with `error`."""
        seconds = self.backoff(attempt) if self.delay is None else self.delay(error, attempt)
        if settle and may_still_land(error):
            seconds = max(seconds, self.settle_seconds)
        return seconds

    def _retrying(self, operation: str, *, settle: bool, looking: bool = False) -> Retrying:
        def wait(state: RetryCallState) -> float:
            return self.wait(_failure(state), state.attempt_number, settle=settle)

        def log(state: RetryCallState) -> None:
            error = _failure(state)
            next_step = "looking whether it landed" if looking and not refused_up_front(error) else "trying again"
            logger.warning(
                "%s %s: %s; attempt %d of %d failed, %s in %.2fs",
                self.system,
                operation,
                error.message,
                state.attempt_number,
                self.attempts,
                next_step,
                state.upcoming_sleep,
            )

        return Retrying(
            sleep=self.sleep,
            stop=stop_after_attempt(self.attempts),
            wait=wait,
            retry=retry_if_exception_type(TransientError),
            before_sleep=log,
            reraise=True,
        )

    def backoff(self, attempt: int) -> float:
        """Exponential backoff: `backoff_seconds` after the first failure, doubled after each further one."""
        return self.backoff_seconds * 2.0 ** (attempt - 1)

    @property
    def attempts(self) -> int:
        return max(1, self.max_attempts)

    def _give_up(self, error: TransientError, operation: str) -> None:
        note = f"{self.system} {operation}: gave up after attempt {self.attempts} of {self.attempts}"
        logger.warning("%s: %s", note, error.message)
        error.add_note(note)


def _failure(state: RetryCallState) -> TransientError:
    error = state.outcome.exception() if state.outcome is not None else None
    assert isinstance(error, TransientError)  # the only failure retried
    return error
