"""Benchmark `latency`: what a person waits for on the local stack, one case at a time, against Prefect's floor
interleaved with ours in the same run (ours, floor, ours, floor ...): start -> approval form, approve -> contract
sent, signature -> completed (targets 6 s, 5 s and 1.5 x the floor, 6 s).

Run: .venv/bin/python -m bench.latency [--cases 5]. Each clock starts at what the person does and stops at what
they then see, the same points for ours and the floor:
- start -> form: from launching the command (`reforhandling start`, a new process: its imports, preflight reads and
  the run's creation; the floor's `python -m bench.floor start`) to the run suspended at its first form (ours with
  the form's description stored, what the UI's Resume dialog shows);
- approve -> sent: from sending the Resume (one POST, as the UI sends it) to the run suspended at the signature
  (ours: the contract was sent and the ticket moved; the floor: its next pause);
- signature -> completed: from the signature in the Dealbuilder sandbox to the run Completed (ours is resumed by
  Dealbuilder's webhook, the poller stays at `--poll-seconds`; the floor is resumed by the same POST at once).
The floor runs as many task runs per phase as our first case did (counted from Prefect). The rate budget's share
is the seconds every process spent taking HubSpot requests from the budget file within the phase, over the
phase's time."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from bench.machine import describe

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

    from config.settings import Settings
    from sandbox.stack import SandboxStack

PHASES = ("start -> form", "approve -> sent", "signature -> completed")
TARGETS = {"start -> form": 6.0, "approve -> sent": 5.0, "signature -> completed": 6.0}
APPROVAL = {"approved": True, "approver": "Ola Kundeservice"}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--poll-seconds", type=int, default=300, help="the signature poller's interval (backstop)")
    return parser


def _until(check: Callable[[], bool], timeout: float = 300) -> None:
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise TimeoutError("waited too long")
        time.sleep(0.05)


def _paused_at(client: SyncPrefectClient, run_id: UUID, key: str) -> bool:
    state = client.read_flow_run(run_id).state
    return state is not None and state.is_paused() and state.state_details.pause_key == key


def _completed(client: SyncPrefectClient, run_id: UUID) -> bool:
    state = client.read_flow_run(run_id).state
    if state is not None and state.is_final() and not state.is_completed():
        raise RuntimeError(f"run {run_id} ended {state.type.value}: {state.message}")
    return state is not None and state.is_completed()


def _form_ready(client: SyncPrefectClient, run_id: UUID, key: str, part: str = "schema") -> bool:
    """Suspended at `key` with its form stored (Prefect stores it just after the pause; a Resume before that is
    refused), ours with its description too (what the UI's Resume dialog shows)."""
    if not _paused_at(client, run_id, key):
        return False
    try:
        client.read_flow_run_input(run_id, f"suspended-{key}-{part}")
    except Exception:  # not stored yet
        return False
    return True


def _command(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed: {done.stdout}{done.stderr}")
    return done.stdout


def _resume(client: SyncPrefectClient, run_id: UUID, run_input: dict[str, object]) -> None:
    answer = client.resume_flow_run(run_id, run_input=run_input)
    if answer.status.value != "ACCEPT":
        raise RuntimeError(f"resume of {run_id} refused: {answer.details}")


class Phases:
    """Seconds per phase, and the rate budget's seconds within each, for ours or the floor."""

    def __init__(self, budget_file: Path | None) -> None:
        self.seconds: dict[str, list[float]] = {name: [] for name in PHASES}
        self.budget: dict[str, list[float]] = {name: [] for name in PHASES}
        self._file = budget_file

    def measure(self, name: str, act: Callable[[], object], reached: Callable[[], bool]) -> None:
        from adapters.rate_budget import seconds_spent

        spent = seconds_spent(self._file) if self._file else 0.0
        began = time.monotonic()
        act()
        _until(reached)
        self.seconds[name].append(time.monotonic() - began)
        self.budget[name].append((seconds_spent(self._file) if self._file else 0.0) - spent)

    def last(self) -> str:
        return ", ".join(f"{name} {values[-1]:.1f}s" for name, values in self.seconds.items())


def _task_runs(client: SyncPrefectClient, run_id: UUID) -> int:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return len(client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])), limit=200))


def _ours(
    settings: Settings,
    sandboxes: SandboxStack,
    client: SyncPrefectClient,
    env: dict[str, str],
    number: int,
    ours: Phases,
) -> list[int]:
    """One case of ours through the three phases; the task runs each phase made."""
    from devtools.tickets import new_sandbox_ticket
    from sandbox.world import CUSTOMERS
    from store.case_store import CaseStore

    # A new ticket per case, the seeded customers in turn, up and down, never the same change twice.
    customer = CUSTOMERS[number % len(CUSTOMERS)]
    licences = customer.licences + number // len(CUSTOMERS) + (3 if number % 2 else -2)
    ticket = new_sandbox_ticket(settings, f"Latency {number} - {customer.name}")
    command = [sys.executable, "-c", "from reforhandling.cli import app; app()", "start", "--ticket", ticket]
    command += ["--signer", customer.signer_email, "--licences", str(licences), "--company", customer.company_id]
    command += ["--price", str(customer.price_per_licence), "--agent", "agent@avonova.example"]
    store = CaseStore(settings.effective_database_url)
    case: dict[str, str] = {}

    def start() -> None:
        case["key"] = _command(command, env).split()[1]  # "Case <key> started: <link>"
        case["run"] = str(store.get(case["key"]).flow_run_id)

    ours.measure(
        PHASES[0], start, lambda: "run" in case and _form_ready(client, UUID(case["run"]), "approval-1", "description")
    )
    run_id = UUID(case["run"])
    runs = [_task_runs(client, run_id)]
    ours.measure(PHASES[1], lambda: _resume(client, run_id, APPROVAL), lambda: _form_ready(client, run_id, "signature"))
    runs.append(_task_runs(client, run_id) - sum(runs))
    contract_id = str(store.get(case["key"]).contract_id)
    ours.measure(PHASES[2], lambda: sandboxes.dealbuilder.sign(contract_id), lambda: _completed(client, run_id))
    runs.append(_task_runs(client, run_id) - sum(runs))
    return runs


def _floor(client: SyncPrefectClient, env: dict[str, str], number: int, tasks: list[int], floor: Phases) -> None:
    command = [sys.executable, "-m", "bench.floor", "start", f"latency-{number}", ",".join(map(str, tasks))]
    started: list[UUID] = []
    floor.measure(
        PHASES[0], lambda: started.append(UUID(_command(command, env).strip())), lambda: _paused(client, started)
    )
    run_id = started[0]
    floor.measure(
        PHASES[1], lambda: _resume(client, run_id, {"go": True}), lambda: _form_ready(client, run_id, "phase-1")
    )
    floor.measure(PHASES[2], lambda: _resume(client, run_id, {"go": True}), lambda: _completed(client, run_id))


def _paused(client: SyncPrefectClient, started: list[UUID]) -> bool:
    return bool(started) and _form_ready(client, started[0], "phase-0")


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"latency: {describe()}")
    from prefect.client.orchestration import get_client

    from bench.floor import new_tasks_per_phase
    from bench.local import floor_serve, local_stack
    from devtools.prefect_stack import settings_env

    floor = Phases(None)
    shape: list[int] = []
    tasks: list[int] = []
    with (
        local_stack("bench-latency", poll_seconds=args.poll_seconds, webhook=True) as (settings, sandboxes, stack),
        floor_serve(settings, stack),
        get_client(sync_client=True) as client,
    ):
        ours = Phases(settings.hubspot_budget_file if settings.hubspot_rate_budget == "file" else None)
        env = {**os.environ, **settings_env(settings)}
        for number in range(args.cases):
            runs = _ours(settings, sandboxes, client, env, number, ours)
            if not shape:
                shape = runs
                tasks = new_tasks_per_phase(runs)
                print(f"latency: ours made {'/'.join(map(str, runs))} task runs per phase; the floor runs the same")
            print(f"latency: ours  {number + 1}: {ours.last()}")
            _floor(client, env, number, tasks, floor)
            print(f"latency: floor {number + 1}: {floor.last()}")

    print()
    print(
        f"cases: {args.cases}, one at a time, ours and the floor interleaved; task runs per phase "
        f"{'/'.join(map(str, shape))}; signature via the webhook, poller every {args.poll_seconds}s; runner pickup "
        f"every {os.environ.get('PREFECT_RUNNER_POLL_FREQUENCY', '?')}s; rate budget: {settings.hubspot_rate_budget}"
    )
    for name in PHASES:
        mine, base = ours.seconds[name], floor.seconds[name]
        share = max(spent / took for spent, took in zip(ours.budget[name], mine, strict=True))
        median, floor_median = statistics.median(mine), statistics.median(base)
        print(
            f"{name:<24} ours median {median:5.1f}s max {max(mine):5.1f}s | floor median {floor_median:5.1f}s max "
            f"{max(base):5.1f}s | ratio {median / floor_median:4.2f} | target {TARGETS[name]:.0f}s | rate budget "
            f"{share:.1%} of the phase at most"
        )


if __name__ == "__main__":
    main()
