"""HubSpot's request budget as a Prefect global concurrency limit used as a rate limit: every process and machine
that talks to the same Prefect server takes its slots from one limit."""

from __future__ import annotations

from config.settings import HubSpotSettings


def ensure_rate_limit(settings: HubSpotSettings) -> None:
    """Create the limit, or bring its slots and decay to the settings (the local stack and serve call this)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        for _ in range(2):
            try:
                client.upsert_global_concurrency_limit_by_name(
                    settings.rate_limit_name,
                    settings.rate_limit_burst,
                    slot_decay_per_second=settings.slot_decay_per_second,
                )
                return
            except ObjectAlreadyExists:
                continue  # another process created it between our look and our create: update it now


class PrefectRateBudget:
    """The RateBudget port on the Prefect global concurrency limit named in the settings."""

    def __init__(self, settings: HubSpotSettings) -> None:
        self._settings = settings
        self._ensured = False

    def take(self) -> None:
        """Wait for one slot; a limit nobody has created yet is created here rather than silently skipped."""
        from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
        from prefect.concurrency.sync import rate_limit

        try:
            rate_limit(self._settings.rate_limit_name, occupy=1, strict=True)
        except ConcurrencySlotAcquisitionError:
            if self._ensured:
                raise
            ensure_rate_limit(self._settings)
            self._ensured = True
            rate_limit(self._settings.rate_limit_name, occupy=1, strict=True)
