"""Benchmark `calls`: requests per case by phase and system (HubSpot, Dealbuilder, licences, SMTP) for an upward,
a small-reduction, a large-reduction and a price-only case, with the HubSpot label cache cold and warm.

Run: .venv/bin/python -m bench.calls [--kinds upward] [--modes cold,warm]. The real flow runs in this process (as
the flow tests run it) against a Prefect test server and the four sandboxes; a phase is one run of the flow between
suspends, and the sandboxes' request logs are read before and after each. Modes: `cold` forgets the label cache
before the case; `cold-phase` forgets it before every phase, which is what a deployment sees when every phase is a
new process and the cache lives only in the process; `warm` keeps it from an earlier case."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast
from uuid import UUID

from bench.machine import describe

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

    from bootstrap.runtime import Runtime
    from sandbox.stack import SandboxStack

SYSTEMS = ("hubspot", "dealbuilder", "licences", "smtp")
PHASES = ("start", "to approval", "approve -> sent", "poll", "signed -> done")


@dataclass(frozen=True)
class Kind:
    name: str
    ticket: str
    signer: str
    licences: int
    price: str


# Seeded in sandbox/world.py: Fjordkraft 40 at 450, Aerlig 60 at 420, Blabaer 100 at 390.
KINDS = {
    "upward": Kind("upward", "5001", "kari.nordmann@fjordkraftbygg.example", 55, "450"),
    "small-reduction": Kind("small-reduction", "5002", "ase.odegard@aerligokonomi.example", 54, "420"),
    "large-reduction": Kind("large-reduction", "5003", "bjorn.laerum@blabaerhelse.example", 70, "390"),
    "price-only": Kind("price-only", "5001", "kari.nordmann@fjordkraftbygg.example", 40, "480"),
}
MODES = ("cold", "cold-phase", "warm")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.calls", description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    kinds = [KINDS[name] for name in args.kinds.split(",")]
    modes = [mode for mode in args.modes.split(",") if mode in MODES]
    print(f"calls: {describe()}")
    from prefect.settings import (
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as tmp:
        prefect = {
            PREFECT_LOCAL_STORAGE_PATH: Path(tmp) / "results",
            PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
            PREFECT_SERVER_ANALYTICS_ENABLED: False,
            PREFECT_LOGGING_TO_API_ENABLED: False,
        }
        with temporary_settings(prefect), prefect_test_harness(server_startup_timeout=90):
            table = _measure(Path(tmp), kinds, modes)
    _print(table, kinds, modes)


Table = dict[tuple[str, str], dict[str, Counter[str]]]  # (kind, mode) -> phase -> system -> requests


def _measure(tmp: Path, kinds: list[Kind], modes: list[str]) -> Table:
    from prefect.client.orchestration import get_client
    from prefect.deployments.runner import RunnerDeployment

    from bootstrap.runtime import build_runtime
    from config.settings import DealbuilderSettings, HubSpotSettings, LicenceSettings, Settings
    from flows.renegotiation import renegotiate_agreement
    from sandbox.stack import SandboxStack

    table: Table = {}
    with SandboxStack.start(Settings(), free_ports=True) as sandboxes:
        # Counting calls, not riding out the rate limit (bench.burst measures that).
        sandboxes.hubspot.rate_limit = 10_000
        fast = {"backoff_seconds": 0.01, "read_timeout": 5.0, "settle_seconds": 0.05}
        settings = sandboxes.configure(
            Settings(
                data_dir=tmp,
                database_url=f"sqlite:///{tmp / 'cases.db'}",
                hubspot=HubSpotSettings(**fast),
                dealbuilder=DealbuilderSettings(**fast),
                licences=LicenceSettings(**fast),
            )
        )
        deployment = renegotiate_agreement.to_deployment(name=settings.prefect.flow_deployment.split("/")[-1])
        cast(RunnerDeployment, deployment).apply()
        runtime = build_runtime(settings)

        def forget() -> None:
            # A cold start: an empty portal cache, and a new adapter (as a new process has).
            runtime.store.portal_cache.clear()
            runtime.__dict__.pop("crm", None)

        with get_client(sync_client=True) as client:
            for mode in modes:
                for kind in kinds:
                    if mode == "warm":
                        _case(runtime, client, sandboxes, kind, lambda: None)  # the case that warms the cache
                    else:
                        forget()
                    table[(kind.name, mode)] = _case(
                        runtime, client, sandboxes, kind, forget if mode == "cold-phase" else lambda: None
                    )
                    total = _total(table[(kind.name, mode)])
                    print(f"calls: {kind.name} {mode}: {sum(total[name] for name in SYSTEMS)} requests")
    return table


def _case(
    runtime: Runtime, client: SyncPrefectClient, sandboxes: SandboxStack, kind: Kind, before_phase: Callable[[], None]
) -> dict[str, Counter[str]]:
    """One case end to end, the requests of each phase counted from the sandboxes' logs."""
    from prefect.exceptions import Pause
    from prefect.flow_engine import run_flow

    from flows.poll_signatures import poll_signatures_flow
    from flows.renegotiation import renegotiation_flow
    from models.renegotiation import RenegotiationRequest
    from reforhandling.starting import preflight, start_case

    sandboxes.reset()
    phases: dict[str, Counter[str]] = {}
    renegotiate_agreement = renegotiation_flow(lambda: runtime)
    poll_signatures = poll_signatures_flow(lambda: runtime)

    def counts() -> Counter[str]:
        return Counter(
            {
                "hubspot": len(sandboxes.hubspot.log),
                "dealbuilder": len(sandboxes.dealbuilder.log),
                "licences": len(sandboxes.licences.log),
                "smtp": len(sandboxes.smtp.messages),
                "hubspot writes": sum(1 for entry in sandboxes.hubspot.log if entry["method"] != "GET"),
            }
        )

    @contextlib.contextmanager
    def phase(name: str) -> Iterator[None]:
        before_phase()
        before = counts()
        yield
        after = counts()
        after.subtract(before)
        phases[name] = after

    def run(case_key: str) -> None:
        case = runtime.store.get(case_key)
        flow_run = client.read_flow_run(UUID(str(case.flow_run_id)))
        with contextlib.suppress(Pause):
            run_flow(renegotiate_agreement, flow_run=flow_run, parameters={"case_key": case_key}, return_type="state")

    request = RenegotiationRequest(
        ticket_id=kind.ticket,
        signer_email=kind.signer,
        licences=kind.licences,
        price_per_licence=Decimal(kind.price),
        agent_email="agent@avonova.example",
    )
    with phase("start"):
        problems = preflight(request, runtime=runtime)
        assert not problems, problems
        key = start_case(request, settings=runtime.settings, store=runtime.store, client=client, actor="bench").case_key
    with phase("to approval"):
        run(key)
    with phase("approve -> sent"):
        case = runtime.store.get(key)
        client.resume_flow_run(
            UUID(str(case.flow_run_id)), run_input={"approved": True, "approver": "Ola Kundeservice"}
        )
        run(key)
    case = runtime.store.get(key)
    assert case.contract_id, f"{kind.name}: no contract sent ({case.state} {case.reason})"
    sandboxes.dealbuilder.sign(case.contract_id)
    with phase("poll"):
        assert poll_signatures() == 1
    with phase("signed -> done"):
        run(key)
    state = runtime.store.get(key).state
    assert state.value == "COMPLETED", f"{kind.name}: {state}"
    return phases


def _total(phases: dict[str, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counted in phases.values():
        total.update(counted)
    return total


def _print(table: Table, kinds: list[Kind], modes: list[str]) -> None:
    print()
    print("requests per case, by phase (HubSpot / Dealbuilder / licences / SMTP messages)")
    print(
        f"{'case':<16} {'mode':<11} " + " ".join(f"{name:>16}" for name in PHASES) + f" {'total':>16} {'HS writes':>9}"
    )
    for kind in kinds:
        for mode in modes:
            phases = table[(kind.name, mode)]
            cells = ["/".join(str(phases[name][system]) for system in SYSTEMS) for name in PHASES]
            total = _total(phases)
            cells.append("/".join(str(total[system]) for system in SYSTEMS))
            print(
                f"{kind.name:<16} {mode:<11} "
                + " ".join(f"{cell:>16}" for cell in cells)
                + f" {total['hubspot writes']:>9}"
            )
    print()
    if "warm" in modes:
        for mode in (mode for mode in modes if mode != "warm"):
            ratios = [
                _total(table[(kind.name, mode)])["hubspot"] / max(1, _total(table[(kind.name, "warm")])["hubspot"])
                for kind in kinds
            ]
            print(
                f"ratio HubSpot requests {mode} / warm: "
                + ", ".join(f"{k.name} {r:.2f}" for k, r in zip(kinds, ratios, strict=True))
            )


if __name__ == "__main__":
    main()
