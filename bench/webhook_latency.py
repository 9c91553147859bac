"""Benchmark: signature -> case COMPLETED through Dealbuilder's webhook on the embedded local stack, with the poller
every 5 minutes (so only the webhook can resume in time).

Run: .venv/bin/python -m bench.webhook_latency. Starts the demo's three cases one after another, approves each
through Prefect's API as the UI does, signs its contract in the Dealbuilder sandbox and prints the seconds from the
signature to the webhook's resume and to COMPLETED, then the median and the worst."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING
from uuid import UUID

from bench.local import until
from config.settings import Settings
from devtools.demo import DemoCase, demo_cases
from devtools.embedded_stack import embedded_stack
from models.case import CLOSED_STATES
from models.renegotiation import RenegotiationRequest
from sandbox.stack import SandboxStack
from sandbox.world import customer_by_ticket
from store.case_store import CaseStore

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

POLL_SECONDS = 300
TIMEOUT = 120.0


def main() -> None:
    from prefect.client.orchestration import get_client

    completed: list[float] = []
    with embedded_stack(Settings(), "bench-webhook", poll_seconds=POLL_SECONDS, webhook=True) as (
        settings,
        sandboxes,
        _,
    ):
        store = CaseStore(settings.effective_database_url)
        with get_client(sync_client=True) as client:
            for demo in demo_cases(settings):
                completed.append(_one_case(settings, sandboxes, store, client, demo))
    print(f"signature -> COMPLETED via the webhook (poll every {POLL_SECONDS}s), {len(completed)} cases:")
    print(f"median {statistics.median(completed):.1f}s, worst {max(completed):.1f}s")


def _one_case(
    settings: Settings, sandboxes: SandboxStack, store: CaseStore, client: SyncPrefectClient, demo: DemoCase
) -> float:
    """Start, approve and sign one case; the seconds from its signature to COMPLETED."""
    from reforhandling.starting import start_case

    customer = customer_by_ticket(demo.ticket)
    request = RenegotiationRequest(
        ticket_id=demo.ticket,
        signer_email=customer.signer_email,
        licences=demo.licences,
        price_per_licence=customer.price_per_licence,
        agent_email="agent@avonova.example",
    )
    case = start_case(request, settings=settings, store=store, client=client, actor="bench")
    assert case.flow_run_id
    run_id = UUID(case.flow_run_id)
    until(lambda: _pause_key(client, run_id) == "approval-1", timeout=TIMEOUT)
    client.resume_flow_run(run_id, run_input={"approved": True, "approver": "Ola Kundeservice"})
    until(lambda: _pause_key(client, run_id) == "signature", timeout=TIMEOUT)
    contract_id = store.get(case.case_key).contract_id
    assert contract_id
    signed = time.monotonic()
    sandboxes.dealbuilder.sign(contract_id)
    until(lambda: bool(store.events(case.case_key, kind="resumed")), timeout=TIMEOUT)
    resumed = time.monotonic() - signed
    until(lambda: store.get(case.case_key).state in CLOSED_STATES, timeout=TIMEOUT)
    took = time.monotonic() - signed
    [event] = store.event_details(case.case_key, "resumed")
    print(
        f"{case.case_key}: {store.get(case.case_key).state}, resumed by {event['reported_by']} after "
        f"{resumed:.1f}s, completed after {took:.1f}s"
    )
    return took


def _pause_key(client: SyncPrefectClient, run_id: UUID) -> str | None:
    state = client.read_flow_run(run_id).state
    return state.state_details.pause_key if state is not None and state.is_paused() else None


if __name__ == "__main__":
    main()
