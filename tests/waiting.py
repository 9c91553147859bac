"""Waiting in a test for a state, never for a time: a loaded machine (the suite runs in parallel, beside other work)
can take many times longer than a quiet one, and a test asserts on what happened, not on how soon."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], what: str, *, every: float = 0.05) -> None:
    """Poll `condition` until it is true. No deadline of its own: the test's timeout (pytest-timeout, 300 s unless
    the test says more) ends a wait for a state that never comes, and names `what` in the traceback it prints."""
    while not condition():
        time.sleep(every)
