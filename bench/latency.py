"""Benchmark `latency`: what a person feels on the local stack, one case at a time: start -> approval form shown,
approve -> contract SENT, signature -> COMPLETED (targets 5 s, 5 s, poll interval + 5 s).

Run: .venv/bin/python -m bench.latency [--cases 3] [--poll-seconds 5]. "Form shown" is when the run is suspended
at approval-1 and its form's description is stored (what the UI's Resume dialog reads); "SENT" is the case's state
AWAITING_SIGNATURE (set once the contract went out); the signature is made in the Dealbuilder sandbox. The ratio
sets each figure against the same step of bench.floor (a trivial flow of our shape: 3 run phases, 8 tasks each)
run the same way on the same stack, resumed directly where ours waits for the poller."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from bench.machine import describe

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

    from models.case import CaseState
    from store.case_store import CaseStore

TICKETS = ("5001", "5002", "5003")
LICENCES = {"5001": 55, "5002": 54, "5003": 70}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3)
    parser.add_argument("--poll-seconds", type=int, default=5, help="the signature poller's interval")
    return parser


def _until(check: Callable[[], bool], timeout: float = 300) -> float:
    """Seconds until `check` holds (checked every 0.1 s)."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise TimeoutError("waited too long")
        time.sleep(0.1)
    return time.monotonic() - began


def _resumed(client: SyncPrefectClient, run_id: UUID, run_input: dict[str, Any]) -> bool:
    """Answer the run's form; False when it is refused (a run just suspended may not have stored it yet)."""
    return client.resume_flow_run(run_id, run_input=run_input).status.value == "ACCEPT"


def _in_state(store: CaseStore, key: str, states: tuple[CaseState, ...]) -> bool:
    return store.get(key).state in states


def _reached(client: SyncPrefectClient, run_id: UUID, pause: str | None) -> bool:
    """The run is suspended at `pause`, or completed when `pause` is None."""
    state = client.read_flow_run(run_id).state
    if state is None:
        return False
    return state.is_completed() if pause is None else state.state_details.pause_key == pause


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"latency: {describe()}")
    import os

    from prefect.client.orchestration import get_client

    from bench.local import floor_serve, local_stack
    from models.case import CaseState
    from models.renegotiation import RenegotiationRequest
    from reforhandling.starting import start_case
    from sandbox.world import customer_by_ticket
    from store.case_store import CaseStore

    figures: dict[str, list[float]] = {"start -> form": [], "approve -> SENT": [], "signature -> COMPLETED": []}
    floor: dict[str, list[float]] = {name: [] for name in figures}
    with (
        local_stack("bench-latency", poll_seconds=args.poll_seconds) as (settings, sandboxes, stack),
        get_client(sync_client=True) as client,
    ):
        pickup = float(os.environ["PREFECT_RUNNER_POLL_FREQUENCY"])
        store = CaseStore(settings.effective_database_url)
        for number in range(args.cases):
            ticket = TICKETS[number % len(TICKETS)]
            customer = customer_by_ticket(ticket)
            request = RenegotiationRequest(
                ticket_id=ticket,
                signer_email=customer.signer_email,
                licences=LICENCES[ticket],
                price_per_licence=Decimal(customer.price_per_licence),
                agent_email="agent@avonova.example",
            )
            case = start_case(request, settings=settings, store=store, client=client, actor="bench")
            run_id = UUID(str(case.flow_run_id))

            def form_shown(run_id: UUID = run_id) -> bool:
                state = client.read_flow_run(run_id).state
                if state is None or not state.is_paused() or state.state_details.pause_key != "approval-1":
                    return False
                try:
                    client.read_flow_run_input(run_id, "suspended-approval-1-description")
                except Exception:  # not stored yet
                    return False
                return True

            figures["start -> form"].append(_until(form_shown))
            began = time.monotonic()
            _until(partial(_resumed, client, run_id, {"approved": True, "approver": "Ola Kundeservice"}))
            key = case.case_key
            _until(partial(_in_state, store, key, (CaseState.AWAITING_SIGNATURE,)))
            figures["approve -> SENT"].append(time.monotonic() - began)
            sandboxes.dealbuilder.sign(str(store.get(key).contract_id))
            figures["signature -> COMPLETED"].append(
                _until(partial(_in_state, store, key, (CaseState.COMPLETED, CaseState.NEEDS_ATTENTION)))
            )
            print(f"latency: case {number + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in figures.items()))
        with floor_serve(settings, stack):
            deployment = client.read_deployment_by_name("floor/floor")
            for number in range(args.cases):
                run_id = client.create_flow_run_from_deployment(
                    deployment.id, parameters={"case": f"latency-{number}", "phases": 3, "tasks_per_phase": 8}
                ).id
                for name, pause in zip(floor, ("phase-0", "phase-1", None), strict=True):
                    floor[name].append(_until(partial(_reached, client, run_id, pause)))
                    if pause is not None:
                        _until(partial(_resumed, client, run_id, {"go": True}))

    targets = {"start -> form": 5.0, "approve -> SENT": 5.0, "signature -> COMPLETED": args.poll_seconds + 5.0}
    print()
    print(f"cases: {args.cases}, one at a time; poll interval {args.poll_seconds}s; runner pickup every {pickup:g}s")
    for name, values in figures.items():
        ours, base = statistics.median(values), statistics.median(floor[name])
        print(
            f"{name:<24} median {ours:5.1f}s max {max(values):5.1f}s target {targets[name]:4.1f}s "
            f"(x{ours / targets[name]:.2f}); floor median {base:5.1f}s, ratio ours/floor {ours / base:.2f}"
        )


if __name__ == "__main__":
    main()
