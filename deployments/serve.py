"""Serve both deployments from this process, for the embedded local stack (`reforhandling up` / `demo`)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from config.settings import get_settings
from flows.poll_signatures import poll_signatures
from flows.renegotiation import renegotiate_agreement


def main() -> None:
    interval = timedelta(seconds=get_settings().prefect.poll_interval_seconds)
    serve(
        cast(RunnerDeployment, renegotiate_agreement.to_deployment(name="renegotiate-agreement")),
        cast(
            RunnerDeployment,
            poll_signatures.to_deployment(name="poll-signatures", interval=interval, concurrency_limit=1),
        ),
        limit=4,
        print_starting_message=False,
    )


# serve starts its children with multiprocessing spawn: without the guard each child would serve again.
if __name__ == "__main__":
    main()
