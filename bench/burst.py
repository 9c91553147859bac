"""Benchmark `burst`: N cases started at once through the deployed flow on the local stack against the HubSpot
sandbox's rate limit (100 requests per rolling 10 s, answered with HubSpot's 429 and its headers): failed cases,
duplicate writes, 429s received, and the share of the rate budget used over the busy period.

Run: .venv/bin/python -m bench.burst [--cases 200] [--limit 100]. The tickets are made first (outside the budget);
then every case is started at once (`start_case`: the case row and its flow run), approved at its form and signed
as soon as its contract is out, and the poller resumes it. The busy period runs from the first to the last HubSpot
request of the cases; the budget is `limit` per 10 s over it. The ratio sets requests answered against that
budget, over the busy period and in the busiest 10 s."""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from datetime import datetime

from bench.machine import describe

WINDOW = 10.0


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--limit", type=int, default=100, help="HubSpot requests per 10 s")
    parser.add_argument(
        "--poll-seconds", type=int, default=300, help="the signature poller's interval (the webhook resumes signatures)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the Prefect server on a throwaway PostgreSQL (Debian's postgresql, as `pytest --postgres` starts it) "
        "and the rate budget on Prefect's global concurrency limit, as beyond one machine",
    )
    return parser


def _seconds(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"burst: {describe()}")
    with contextlib.ExitStack() as stacks:
        server_database_url = None
        if args.postgres:
            from tests.postgres import create_database, postgres_server

            postgres = stacks.enter_context(postgres_server())
            server_database_url = create_database(postgres, "prefect").replace("+psycopg", "+asyncpg")
            # Read by the stack's settings and handed to its serve process: every HubSpot request takes a slot.
            os.environ["REFORHANDLING_HUBSPOT__RATE_BUDGET"] = "prefect"
        _run(args, server_database_url)


def _run(args: argparse.Namespace, server_database_url: str | None) -> None:
    from prefect.client.orchestration import get_client

    from bench.local import local_stack
    from devtools.soak import SoakReport, count_outcome, drive_cases
    from devtools.tickets import new_sandbox_ticket
    from models.renegotiation import RenegotiationRequest
    from reforhandling.starting import start_case
    from sandbox.kit import RollingWindowLimiter
    from sandbox.world import CUSTOMERS
    from store.case_store import CaseStore

    stack_of = local_stack(
        "bench-burst", poll_seconds=args.poll_seconds, webhook=True, server_database_url=server_database_url
    )
    with stack_of as (settings, sandboxes, _):
        store = CaseStore(settings.effective_database_url)
        hubspot = sandboxes.hubspot
        requests = []
        for number in range(args.cases):
            customer = CUSTOMERS[number % 5]
            up = number % 2 == 1
            requests.append(
                RenegotiationRequest(
                    ticket_id=new_sandbox_ticket(settings, f"Burst {number} - {customer.name}"),
                    signer_email=customer.signer_email,
                    licences=customer.licences + (3 if up else -2),
                    price_per_licence=customer.price_per_licence,
                    agent_email="agent@avonova.example",
                    company_id=customer.company_id,
                )
            )
        with hubspot.lock:
            hubspot.rate_limit = args.limit
            hubspot.limiter = RollingWindowLimiter(args.limit, WINDOW)
            hubspot.log.clear()
        report = SoakReport(cases=args.cases)
        began = time.monotonic()
        with get_client(sync_client=True) as client:
            keys = [
                start_case(request, settings=settings, store=store, client=client, actor="burst").case_key
                for request in requests
            ]
        started = time.monotonic() - began
        drive_cases(sandboxes, store, keys, report, deadline=time.monotonic() + 300 + 30 * args.cases)
        wall = report.seconds = time.monotonic() - began
        count_outcome(sandboxes, store, keys, report)
        log = [entry for entry in hubspot.log if entry["status"] != 0]

    moments = sorted(_seconds(entry["at"]) for entry in log)
    answered = sorted(_seconds(entry["at"]) for entry in log if entry["status"] != 429)
    busy = max(moments[-1] - moments[0], WINDOW) if moments else WINDOW
    budget = args.limit * busy / WINDOW
    peak, low = 0, 0
    for high, moment in enumerate(answered):
        while answered[low] <= moment - WINDOW:
            low += 1
        peak = max(peak, high - low + 1)
    print()
    server = "PostgreSQL" if server_database_url else "SQLite"
    print(
        f"cases: {args.cases} started at once in {started:.1f}s; all closed after {wall:.0f}s; Prefect server on "
        f"{server}, rate budget: {settings.hubspot_rate_budget}"
    )
    for line in report.lines():
        print(line)
    if report.problems:
        print("problems: " + "; ".join(report.problems[:5]))
    print(f"HubSpot: {len(answered)} requests answered, {report.rate_limited} answered 429, over {busy:.0f}s busy")
    print(
        f"budget used: {len(answered)} of {budget:.0f} over the busy period (ratio {len(answered) / budget:.2f}); "
        f"busiest 10 s {peak} of {args.limit} (ratio {peak / args.limit:.2f})"
    )
    print("targets: 0 failed cases, 0 duplicate writes, at least 90 % of the budget used over the busy period")


if __name__ == "__main__":
    main()
