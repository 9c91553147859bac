"""The one retry policy: which failures are tried again, how long it waits (recorded, never slept), and when a write
is looked for before it is written again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from adapters.errors import AuthenticationError, TransientError, Unanswered, ValidationRejected
from adapters.retrying import RetryPolicy

BACKOFF, SETTLE = 0.5, 30.0


def failure(kind: str) -> Exception:
    """A failure of one attempt, by a short name used in the tables below."""
    return {
        "503": TransientError("crm", "HTTP 503", status=503),
        "429": TransientError("crm", "HTTP 429", status=429),
        "502": TransientError("crm", "HTTP 502", status=502),
        "refused": TransientError("crm", "ConnectError"),
        "unanswered": Unanswered("crm", "no answer (ReadTimeout)"),
        "409": ValidationRejected("crm", "already exists", status=409),
        "400": ValidationRejected("crm", "bad value", status=400),
        "401": AuthenticationError("crm", "wrong token", status=401),
    }[kind]


@dataclass
class Script:
    """A write (or read) that fails as scripted, then succeeds; and a look that finds what `found` says."""

    outcomes: list[str]
    found: list[str | None] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)

    def policy(self, *, attempts: int = 4, delay: Callable[[TransientError, int], float] | None = None) -> RetryPolicy:
        return RetryPolicy("crm", attempts, BACKOFF, SETTLE, sleep=self.sleep, delay=delay)

    def sleep(self, seconds: float) -> None:
        self.slept.append(float(seconds))
        self.log.append(f"sleep {float(seconds):g}")

    def write(self) -> str:
        self.log.append("write")
        if self.outcomes:
            raise failure(self.outcomes.pop(0))
        return "written"

    def look(self) -> str | None:
        self.log.append("look")
        return self.found.pop(0) if self.found else None


def test_transient_failures_are_tried_again_with_exponential_backoff() -> None:
    script = Script(["503", "refused", "unanswered"])

    assert script.policy().call(script.write, operation="read company") == "written"
    assert script.slept == [0.5, 1.0, 2.0]


def test_the_last_transient_failure_is_raised_as_it_is_and_says_it_gave_up() -> None:
    script = Script(["503"] * 4)

    with pytest.raises(TransientError) as raised:
        script.policy().call(script.write, operation="read company")

    assert raised.value.status == 503
    assert raised.value.__notes__ == ["crm read company: gave up after attempt 4 of 4"]
    assert script.log.count("write") == 4 and script.slept == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("kind", ["400", "401", "409"])
def test_a_failure_that_is_not_transient_is_raised_at_once(kind: str) -> None:
    script = Script([kind])

    with pytest.raises(type(failure(kind))):
        script.policy().call(script.write, operation="read company")

    assert script.log == ["write"]


def test_the_systems_own_wait_replaces_the_backoff() -> None:
    script = Script(["429", "429"])

    script.policy(delay=lambda error, attempt: 10.0 * attempt).call(script.write, operation="read company")

    assert script.slept == [10.0, 20.0]


@pytest.mark.parametrize(
    ("outcomes", "found", "duplicates_refused", "log"),
    [
        # A rate limit refused the write before anything happened: nothing to look for.
        (["429"], [], False, ["write", "sleep 0.5", "write"]),
        # A 5xx may have been carried out: look before writing again.
        (["503"], [None], False, ["write", "sleep 0.5", "look", "write"]),
        # No answer: it may still land, so the look waits until it must have.
        (["unanswered"], ["landed"], False, ["write", "sleep 30", "look"]),
        (["502"], ["landed"], False, ["write", "sleep 30", "look"]),
        # ... unless the system refuses a late twin itself: then looking at once is safe.
        (["unanswered"], [None], True, ["write", "sleep 0.5", "look", "write"]),
        # A conflict: an earlier attempt got there first.
        (["409"], ["landed"], False, ["write", "look"]),
        # Any refusal of an object with a unique value may be that conflict.
        (["400"], ["landed"], True, ["write", "look"]),
    ],
)
def test_a_write_is_looked_for_before_it_is_written_again(
    outcomes: list[str], found: list[str | None], duplicates_refused: bool, log: list[str]
) -> None:
    expected = "landed" if "landed" in found else "written"
    script = Script(outcomes, list(found))

    result = script.policy().write_once(
        script.write, script.look, operation="deal create", duplicates_refused=duplicates_refused
    )

    assert result == expected
    assert script.log == log


@pytest.mark.parametrize("kind", ["400", "401"])
def test_a_refusal_that_is_no_conflict_is_raised_without_a_look(kind: str) -> None:
    script = Script([kind])

    with pytest.raises(type(failure(kind))):
        script.policy().write_once(script.write, script.look, operation="note create")

    assert script.log == ["write"]


def test_a_conflict_whose_object_is_not_found_is_raised() -> None:
    script = Script(["409"], [None])

    with pytest.raises(ValidationRejected):
        script.policy().write_once(script.write, script.look, operation="note create")

    assert script.log == ["write", "look"]


def test_after_the_last_unanswered_attempt_it_settles_and_looks_once_more() -> None:
    script = Script(["unanswered"] * 2, [None, "landed"])

    assert script.policy(attempts=2).write_once(script.write, script.look, operation="note create") == "landed"
    assert script.log == ["write", "sleep 30", "look", "write", "sleep 30", "look"]


def test_a_write_that_never_lands_raises_the_last_failure() -> None:
    script = Script(["unanswered", "503"], [None])

    with pytest.raises(TransientError) as raised:
        script.policy(attempts=2).write_once(script.write, script.look, operation="note create")

    assert raised.value.status == 503
    assert script.log == ["write", "sleep 30", "look", "write"]  # an answered 503 leaves nothing in flight


def test_a_failing_look_is_raised_as_it_is_and_not_tried_again_as_a_write() -> None:
    script = Script(["unanswered"])
    look_failure = TransientError("crm", "HTTP 503 on the look-up", status=503)

    def look() -> str | None:
        script.log.append("look")
        raise look_failure

    with pytest.raises(TransientError) as raised:
        script.policy().write_once(script.write, look, operation="note create")

    assert raised.value is look_failure
    assert script.log == ["write", "sleep 30", "look"]


def test_each_retry_is_logged_with_system_operation_attempt_and_delay(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(["503", "unanswered"], [None])

    with caplog.at_level(logging.WARNING, logger="adapters.retrying"):
        script.policy(attempts=3).write_once(script.write, script.look, operation="deal create")

    assert caplog.messages == [
        "crm deal create: HTTP 503; attempt 1 of 3 failed, looking whether it landed in 0.50s",
        "crm deal create: no answer (ReadTimeout); attempt 2 of 3 failed, looking whether it landed in 30.00s",
    ]
