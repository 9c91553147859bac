"""HubSpot's request budget as a Prefect global concurrency limit used as a rate limit: every process and machine
that talks to the same Prefect server takes its slots from one limit (`hubspot.rate_budget = "prefect"`)."""

from __future__ import annotations

import time

from adapters.rate_budget import exhausted
from config.settings import HubSpotSettings

# Each request occupies this many slots, and the limit is scaled to match: Prefect frees floor(decay x seconds since
# the limit was last updated) and every grant or refusal updates it, so up to one slot is lost per update. In tenths
# of a request the loss is a tenth; with one slot per request the measured rate was about 60 % of the decay.
SLOTS_PER_REQUEST = 10


def ensure_rate_limit(settings: HubSpotSettings) -> None:
    """Create the limit, or bring its slots and decay to the settings (the local stack and serve call this);
    nothing when no shared limit is configured (an empty `rate_limit_name`)."""
    if not settings.rate_limit_name:
        return
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        for _ in range(2):
            try:
                client.upsert_global_concurrency_limit_by_name(
                    settings.rate_limit_name,
                    settings.rate_limit_burst * SLOTS_PER_REQUEST,
                    slot_decay_per_second=settings.slot_decay_per_second * SLOTS_PER_REQUEST,
                )
                return
            except ObjectAlreadyExists:
                continue  # another process created it between our look and our create: update it now


class RateLimitMissing(RuntimeError):
    """The shared rate limit could not be found, even after creating it."""


class PrefectRateBudget:
    """The RateBudget port on the Prefect global concurrency limit named in the settings: one write to the Prefect
    server per request, shared by every worker on every machine (production, with the server on PostgreSQL)."""

    def __init__(self, settings: HubSpotSettings) -> None:
        self._settings = settings
        self._ensured = False

    def take(self) -> None:
        """Wait for one request's slots; a limit nobody has created yet is created here rather than skipped;
        RateBudgetExhausted after `rate_limit_max_wait_seconds` without them.

        One increment call per request: Prefect's own `rate_limit()` queues each through a background service that
        took about 2 s per call inside a task run (measured), where this takes about 10 ms."""
        import httpx
        from prefect.client.orchestration import get_client

        began = time.monotonic()
        name = self._settings.rate_limit_name
        with get_client(sync_client=True) as client:
            while True:
                try:
                    response = client.increment_concurrency_slots(
                        names=[name], slots=SLOTS_PER_REQUEST, mode="rate_limit"
                    )
                except httpx.HTTPStatusError as error:
                    if error.response.status_code != httpx.codes.LOCKED:
                        raise
                    # The bucket is empty: the server says when enough slots will have decayed.
                    wait = float(error.response.headers.get("Retry-After", "1"))
                    waited = time.monotonic() - began
                    if waited + wait > self._settings.rate_limit_max_wait_seconds:
                        raise exhausted("hubspot", name, waited) from None
                    time.sleep(wait)
                    continue
                if response.json():
                    return
                if self._ensured:
                    raise RateLimitMissing(f"the Prefect rate limit {name!r} does not exist, even after creating it")
                ensure_rate_limit(self._settings)
                self._ensured = True
