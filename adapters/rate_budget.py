"""Rate budgets an adapter takes a request from: none (the system's own 429s and Retry-After pace it), or a token
bucket in a file that every process on one host shares."""

from __future__ import annotations

import fcntl
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path

from adapters.errors import ExternalSystemError

# The bucket's state in the file: tokens left, the monotonic clock (one per host, shared by its processes) when they
# were counted, and the seconds every process has spent in take() so far (what the benchmarks report).
STATE = struct.Struct("<ddd")


class RateBudgetExhausted(ExternalSystemError):
    """No request fitted the shared budget within the longest wait: other processes are spending all of it."""


def exhausted(system: str, name: str, waited: float) -> RateBudgetExhausted:
    return RateBudgetExhausted(
        system,
        f"the shared rate budget {name!r} gave no request within {waited:.0f}s: other processes are spending all of "
        "it; check what else uses the portal's limit, then Retry the run",
    )


class Unlimited:
    """The RateBudget port without a limit (adapter tests, a process without a shared budget)."""

    def take(self) -> None:
        """Never waits."""


class FileRateBudget:
    """The RateBudget port as a token bucket in one small file, locked with flock for each take: every process on
    the host that opens the same file shares one budget, at the cost of a lock and 16 bytes read and written per
    request (no server involved). At most `burst` requests at once and `per_second` after that, so at most
    burst + per_second x W requests in any window of W seconds."""

    def __init__(
        self,
        path: Path,
        *,
        burst: int,
        per_second: float,
        max_wait: float,
        system: str = "hubspot",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self.burst = burst
        self.per_second = per_second
        self.max_wait = max_wait
        self.system = system
        self._clock = clock
        self._sleep = sleep

    def take(self) -> None:
        """Wait until one request fits the budget; RateBudgetExhausted after `max_wait` seconds without one."""
        began = self._clock()
        while True:
            wait = self._try_take(began)
            if wait <= 0:
                return
            waited = self._clock() - began
            if waited + wait > self.max_wait:
                raise exhausted(self.system, self.path.stem, waited)
            self._sleep(wait)

    def _try_take(self, began: float) -> float:
        """Take one token if there is one (0.0), else the seconds until there will be."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            now = self._clock()
            raw = os.pread(descriptor, STATE.size, 0)
            tokens, counted, spent = STATE.unpack(raw) if len(raw) == STATE.size else (float(self.burst), now, 0.0)
            # A clock behind the stored one (the host restarted) refills nothing rather than going negative.
            tokens = min(float(self.burst), tokens + max(0.0, now - counted) * self.per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
                spent += now - began  # this take's sleeps and lock waits
            else:
                wait = (1.0 - tokens) / self.per_second
            os.pwrite(descriptor, STATE.pack(tokens, now, spent), 0)
            return wait
        finally:
            os.close(descriptor)  # releases the lock


def seconds_spent(path: Path) -> float:
    """The seconds every process has spent taking requests from the budget file so far (0 without one)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0.0
    return STATE.unpack(raw)[2] if len(raw) == STATE.size else 0.0
