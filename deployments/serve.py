"""Serve the declared deployments from this process, for the embedded local stack (`reforhandling up` / `demo`)."""

from __future__ import annotations

from datetime import timedelta

from prefect import serve

from adapters.prefect_rate_budget import ensure_rate_limit
from bootstrap.runtime import build_runtime
from config.settings import get_settings
from deployments.definitions import served
from tasks.restarting import reschedule_left_runs


def main() -> None:
    settings = get_settings()
    prefect = settings.prefect
    if settings.hubspot_rate_budget == "prefect":
        # Every HubSpot request of every run takes a slot of this limit: it must exist before the first run.
        ensure_rate_limit(settings.hubspot)
    # The cases whose runs the last stop of the local stack interrupted go on first, without a person.
    reschedule_left_runs(build_runtime(settings).store)
    serve(
        *served(
            timedelta(seconds=prefect.poll_interval_seconds),
            cron=prefect.reconcile_cron,
            intervals={"intake": timedelta(seconds=settings.intake.interval_seconds)},
        ),
        limit=4,
        print_starting_message=False,
    )


# serve starts its children with multiprocessing spawn: without the guard each child would serve again.
if __name__ == "__main__":
    main()
