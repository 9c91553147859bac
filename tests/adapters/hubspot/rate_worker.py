"""One worker process of the shared-rate-budget test: HubSpot requests through the real adapter, each taking one from
the budget the runtime builds for `BUDGET` ("file" under DATA_DIR, "prefect": the Prefect global concurrency limit at
PREFECT_API_URL from the environment, "unlimited": none).

    python -m tests.adapters.hubspot.rate_worker BASE_URL DATA_DIR NAME BURST REQUESTS_PER_10S COUNT BUDGET

Prints "ready" once imported and connected, reads one line from stdin, then makes COUNT requests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, cast

from adapters.hubspot_crm import HubSpotCrm
from bootstrap.runtime import Runtime
from config.settings import HubSpotSettings, RoutineSettings, Settings


def main(base_url: str, data_dir: str, name: str, burst: str, per_10s: str, count: str, budget: str) -> None:
    hubspot = HubSpotSettings(
        base_url=base_url,
        rate_limit_name="" if budget == "unlimited" else name,
        rate_limit_burst=int(burst),
        requests_per_10s=int(per_10s),
        rate_budget=None if budget == "unlimited" else cast(Literal["file", "prefect"], budget),
    )
    runtime = Runtime(Settings(data_dir=Path(data_dir), hubspot=hubspot))
    crm = HubSpotCrm(hubspot, RoutineSettings(), budget=runtime.hubspot_budget)
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(int(count)):
        crm.read_company(company_id="9001")


if __name__ == "__main__":
    main(*sys.argv[1:])
