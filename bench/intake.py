"""Benchmark: a ticket moved to `Klar for reforhandling` -> its case waiting at approval, on the embedded local stack,
through HubSpot's webhook (the sandbox's signed delivery to the receiver) or through the scheduled intake alone.

Run: .venv/bin/python -m bench.intake [--mode webhook|poll] [--cases 3] [--interval 60]. For each case the agent's
part is played on the HubSpot sandbox (fill the ticket's fields, move it to the ready stage); the seconds from the move
to AWAITING_APPROVAL are printed, then the median and the worst, and the HubSpot requests the intake added: its reads
of the ticket and its searches (the rest of a case's requests are `start`'s and the flow's, as in bench/calls.py).
With `--mode webhook` the intake deployment runs every hour, so only the webhook can start a case in time."""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from bench.local import until
from config.settings import Settings
from devtools.demo import demo_cases
from devtools.embedded_stack import embedded_stack
from models.case import CaseState
from sandbox.hubspot.seed import KUNDESENTER_NEW_STAGE, KUNDESENTER_READY_STAGE
from sandbox.stack import SandboxStack
from sandbox.world import OWNERS, customer_by_ticket
from store.case_store import CaseStore

TIMEOUT = 300.0
WEBHOOK_MODE_INTERVAL = 3600


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["webhook", "poll"], default="webhook")
    parser.add_argument("--cases", type=int, default=3)
    parser.add_argument("--interval", type=int, default=60, help="the intake's interval in poll mode (seconds)")
    return parser


def main() -> None:
    args = parser().parse_args()
    interval = WEBHOOK_MODE_INTERVAL if args.mode == "webhook" else args.interval
    base = Settings()
    base = base.model_copy(update={"intake": base.intake.model_copy(update={"interval_seconds": interval})})
    took: list[float] = []
    with embedded_stack(base, f"bench-intake-{args.mode}", poll_seconds=300) as (settings, sandboxes, stack):
        stack.wait_for_deployment(settings.intake.deployment)
        receiver = None
        if args.mode == "webhook":
            from reforhandling.webhook import start_webhook

            receiver, _ = start_webhook(settings, port=0, subscribe_hubspot=True)
        try:
            store = CaseStore(settings.effective_database_url)
            mark = len(sandboxes.hubspot.log)
            for demo in demo_cases(settings)[: args.cases]:
                took.append(_one_case(settings, sandboxes, store, demo.ticket, demo.licences))
            reads, searches = _intake_requests(sandboxes, mark)
        finally:
            if receiver is not None:
                receiver.stop()
    print(f"ticket moved -> AWAITING_APPROVAL via the {args.mode} (intake every {interval}s), {len(took)} cases:")
    print(f"median {statistics.median(took):.1f}s, worst {max(took):.1f}s")
    print(f"HubSpot requests of the intake: {reads} ticket reads ({reads / len(took):.1f} a case), {searches} searches")


def _one_case(settings: Settings, sandboxes: SandboxStack, store: CaseStore, ticket: str, licences: int) -> float:
    """Fill the ticket and move it to the ready stage as an agent does; the seconds until its case waits at approval."""
    customer = customer_by_ticket(ticket)
    intake = settings.intake
    owner = next(o.id for o in OWNERS if o.email == "agent@avonova.example")
    _patch(
        settings,
        ticket,
        {
            intake.licences_property: str(licences),
            intake.price_property: str(customer.price_per_licence),
            intake.signer_property: customer.signer_email,
            "hubspot_owner_id": owner,
            "hs_pipeline_stage": KUNDESENTER_NEW_STAGE,
        },
    )
    moved = time.monotonic()
    _patch(settings, ticket, {"hs_pipeline_stage": KUNDESENTER_READY_STAGE})

    def waiting() -> bool:
        return any(c.ticket_id == ticket and c.state is CaseState.AWAITING_APPROVAL for c in store.cases())

    until(waiting, timeout=TIMEOUT)
    seconds = time.monotonic() - moved
    print(f"ticket {ticket}: waiting at approval {seconds:.1f}s after the move")
    return seconds


def _patch(settings: Settings, ticket: str, properties: dict[str, str]) -> None:
    response = httpx.patch(
        f"{settings.hubspot.base_url}/crm/v3/objects/tickets/{ticket}",
        json={"properties": properties},
        headers={"Authorization": f"Bearer {settings.hubspot.token.get_secret_value()}"},
        timeout=10,
    )
    response.raise_for_status()


def _intake_requests(sandboxes: SandboxStack, mark: int) -> tuple[int, int]:
    """The intake's own ticket reads (those asking for the stage's history) and its searches, after `mark`."""
    entries = sandboxes.hubspot.log[mark:]
    reads = sum(
        1
        for e in entries
        if e["method"] == "GET"
        and e["path"].startswith("/crm/v3/objects/tickets/")
        and "hs_pipeline_stage" in ",".join(e["query"].get("propertiesWithHistory") or [])
    )
    searches = sum(1 for e in entries if e["path"] == "/crm/v3/objects/tickets/search")
    return reads, searches


if __name__ == "__main__":
    main()
