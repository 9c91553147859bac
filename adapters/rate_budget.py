"""The rate budget of an adapter that shares none: the system's own 429s and Retry-After pace it."""

from __future__ import annotations


class Unlimited:
    """The RateBudget port without a limit (adapter tests, a process without a Prefect server)."""

    def take(self) -> None:
        """Never waits."""
