"""One worker process of the shared-rate-limit test: HubSpot requests through the real adapter, each taking a slot of
the Prefect global concurrency limit (PREFECT_API_URL from the environment).

    python -m tests.adapters.hubspot.rate_worker BASE_URL LIMIT_NAME BURST REQUESTS_PER_10S COUNT [unlimited]

Prints "ready" once imported and connected, reads one line from stdin, then makes COUNT requests."""

from __future__ import annotations

import sys

from adapters.hubspot_crm import HubSpotCrm
from adapters.ports import RateBudget
from adapters.rate_budget import Unlimited
from config.settings import HubSpotSettings, RoutineSettings
from tasks.rate_budget import PrefectRateBudget


def main(base_url: str, name: str, burst: str, per_10s: str, count: str, *mode: str) -> None:
    settings = HubSpotSettings(
        base_url=base_url, rate_limit_name=name, rate_limit_burst=int(burst), requests_per_10s=int(per_10s)
    )
    budget: RateBudget = Unlimited() if mode == ("unlimited",) else PrefectRateBudget(settings)
    crm = HubSpotCrm(settings, RoutineSettings(), budget=budget)
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(int(count)):
        crm.read_company(company_id="9001")


if __name__ == "__main__":
    main(*sys.argv[1:])
