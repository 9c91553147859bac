"""Benchmark `waiting`: cases suspended at signature: one poll's wall time and requests, the processes and memory
held while they wait, and the time to resume a set signed at once.

Run: .venv/bin/python -m bench.waiting [--waiting 1000] [--signed 100]. `--signed` real cases go through the
deployed flow on the local stack to the signature pause (approved through Prefect's API as the UI does). The other
`--waiting` minus `--signed` cases are made directly: a copy of a real case's sent contract in the Dealbuilder
sandbox and a case row AWAITING_SIGNATURE in the case store with a flow-run id no run has (the poll reads their
contracts and leaves them waiting; they are never signed). The poll is the real poll-signatures flow, run in this
process: first over the waiting set with none signed, then with the real ones all signed at once (it resumes them),
and the resumed runs are timed until all are COMPLETED. The ratio sets a poll over all waiting cases against one
over the real ones alone."""

from __future__ import annotations

import argparse
import copy
import secrets
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from bench.machine import descendants, describe, rss_mib

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

    from sandbox.stack import SandboxStack
    from store.case_store import CaseStore


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.waiting", description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=1000, help="cases waiting for a signature in all")
    parser.add_argument("--signed", type=int, default=100, help="of them real runs, all signed at once")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"waiting: {describe()}")
    from prefect.client.orchestration import get_client

    from adapters import dealbuilder_api as api
    from bench.local import local_stack
    from bootstrap.runtime import build_runtime
    from devtools.soak import start_cases
    from flows.poll_signatures import poll_signatures_flow
    from models.case import CaseState
    from models.renegotiation import RenegotiationRequest
    from store.case_store import CaseStore

    # The served poller waits an hour: this process runs each poll itself, to time it.
    with local_stack("bench-waiting", poll_seconds=3600) as (settings, sandboxes, stack):
        store = CaseStore(settings.effective_database_url)
        serve_pid = stack.processes["serve"].pid
        began = time.monotonic()
        keys = start_cases(settings, sandboxes, store, args.signed)
        answered: set[str] = set()
        with get_client(sync_client=True) as client:
            while any(store.get(key).state is not CaseState.AWAITING_SIGNATURE for key in keys):
                for key in keys:
                    case = store.get(key)
                    if key in answered or case.state is CaseState.AWAITING_SIGNATURE:
                        continue
                    if case.state.value in ("NEEDS_ATTENTION", "CANCELLED", "FAILED"):
                        raise RuntimeError(f"{key}: {case.state} {case.reason}")
                    state = client.read_flow_run(UUID(str(case.flow_run_id))).state
                    if state is not None and state.is_paused() and state.state_details.pause_key == "approval-1":
                        result = client.resume_flow_run(
                            state.state_details.flow_run_id or UUID(str(case.flow_run_id)),
                            run_input={"approved": True, "approver": "Ola Kundeservice"},
                        )
                        if result.status.value == "ACCEPT":
                            answered.add(key)
                time.sleep(1)
            to_signature = time.monotonic() - began
            # The case is AWAITING_SIGNATURE a moment before its run suspends and its process exits.
            while not all(_suspended(client, UUID(str(store.get(key).flow_run_id))) for key in keys):
                time.sleep(1)
        time.sleep(5)
        held = descendants(serve_pid)
        memory = rss_mib([serve_pid, *held])
        kinds = sorted({_command(pid) for pid in held})
        print(f"waiting: {args.signed} real cases at the signature pause after {to_signature:.0f}s")

        real = store.get(keys[0])
        template = sandboxes.dealbuilder.document(str(real.contract_id))
        began = time.monotonic()
        for number in range(args.waiting - args.signed):
            document = copy.deepcopy(sandboxes.dealbuilder.state["documents"][str(real.contract_id)])
            document_id = f"DB-W{number}"
            case = store.open_case(
                RenegotiationRequest(
                    ticket_id=str(900_000 + number),
                    signer_email=real.signer_email,
                    licences=real.licences_after,
                    price_per_licence=Decimal(real.price_after),
                    agent_email=real.agent_email,
                ),
                actor="bench",
            )
            document[api.D_ID] = document_id
            document[api.D_CUSTOM_FIELDS] = [
                {api.F_NAME: api.CF_CASE_KEY, api.F_VALUE: case.case_key} if f[api.F_NAME] == api.CF_CASE_KEY else f
                for f in document[api.D_CUSTOM_FIELDS]
            ]
            document["_tokens"] = [secrets.token_urlsafe(16) for _ in document["_tokens"]]
            with sandboxes.dealbuilder.lock:
                sandboxes.dealbuilder.state["documents"][document_id] = document
            store.update(
                case.case_key,
                state=CaseState.AWAITING_SIGNATURE,
                contract_id=document_id,
                flow_run_id=str(uuid4()),
                signing_deadline=real.signing_deadline,
            )
        assert template[api.D_STATUS] == api.STATUS_SENT, template[api.D_STATUS]
        print(f"waiting: {args.waiting - args.signed} more made directly in {time.monotonic() - began:.0f}s")

        runtime = build_runtime(settings)
        poll_signatures = poll_signatures_flow(lambda: runtime)
        poll_real = _poll(sandboxes, poll_signatures, only=keys, store=store)
        poll_all = _poll(sandboxes, poll_signatures, store=store)
        for key in keys:
            sandboxes.dealbuilder.sign(str(store.get(key).contract_id))
        began = time.monotonic()
        poll_signed = _poll(sandboxes, poll_signatures, store=store)
        while any(store.get(key).state is CaseState.AWAITING_SIGNATURE for key in keys):
            time.sleep(0.5)
        while any(store.get(key).state not in (CaseState.COMPLETED, CaseState.NEEDS_ATTENTION) for key in keys):
            time.sleep(0.5)
        resumed_all = time.monotonic() - began
        completed = sum(1 for key in keys if store.get(key).state is CaseState.COMPLETED)

    print()
    print(f"waiting cases: {args.waiting} ({args.signed} real suspended runs, the rest made directly)")
    print(
        f"processes held while they wait: {len(held)} below serve ({', '.join(kinds) or 'none'}), {memory:.0f} MiB"
        f" resident for serve and them; {args.signed} suspended runs"
    )
    for name, (seconds, requests, resumed) in (
        (f"poll over {args.signed} (none signed)", poll_real),
        (f"poll over {args.waiting} (none signed)", poll_all),
        (f"poll over {args.waiting} ({args.signed} signed)", poll_signed),
    ):
        print(f"{name:<34} {seconds:6.2f}s {requests:3d} Dealbuilder requests, {resumed} resumed")
    print("(the requests during a poll that resumes include the resumed runs' own reads of their contracts)")
    print(
        f"ratio poll over {args.waiting} / over {args.signed}: time {poll_all[0] / poll_real[0]:.2f}, "
        f"requests {poll_all[1] / max(1, poll_real[1]):.1f}"
    )
    print(
        f"{args.signed} signed at once: all resumed runs final in {resumed_all:.0f}s ({completed} COMPLETED), "
        f"{resumed_all / args.signed:.2f}s per case"
    )
    print("targets: a poll at most 5 s and 10 Dealbuilder requests at 1,000 waiting; no process per waiting case")


def _suspended(client: SyncPrefectClient, run_id: UUID) -> bool:
    state = client.read_flow_run(run_id).state
    return state is not None and state.is_paused()


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60].strip()
    except OSError:
        return "?"


def _poll(
    sandboxes: SandboxStack, poll_signatures: Callable[[], int], *, store: CaseStore, only: list[str] | None = None
) -> tuple[float, int, int]:
    """One poll: seconds, Dealbuilder requests, runs resumed; with `only`, the other waiting cases are hidden."""
    from models.case import CaseState

    hidden = []
    if only is not None:
        hidden = [c.case_key for c in store.cases([CaseState.AWAITING_SIGNATURE]) if c.case_key not in only]
        for key in hidden:
            store.update(key, state=CaseState.STARTED)
    before = len(sandboxes.dealbuilder.log)
    began = time.monotonic()
    resumed = int(poll_signatures())
    seconds = time.monotonic() - began
    requests = len(sandboxes.dealbuilder.log) - before
    for key in hidden:
        store.update(key, state=CaseState.AWAITING_SIGNATURE)
    return seconds, requests, resumed


if __name__ == "__main__":
    main()
