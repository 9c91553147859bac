"""Run one case's flow run in this process, as a worker's flow-run process does; the crash tests kill it.

`python -m tests.flows.worker_process FLOW_RUN_ID CASE_KEY`, with the settings in REFORHANDLING_* variables."""

from __future__ import annotations

import contextlib
import sys
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow

from flows.renegotiation import renegotiate_agreement


def main(flow_run_id: str, case_key: str) -> None:
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(flow_run_id))
    with contextlib.suppress(Pause):
        run_flow(renegotiate_agreement, flow_run=flow_run, parameters={"case_key": case_key}, return_type="state")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
