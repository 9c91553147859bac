"""Kill matrix over `reforhandling up`: Ctrl-C at five points of the example case (enrichment, deal, draft, send,
completion), then `up` again on the same data dir; every case must complete with one of each write, no person asked
again and no ops e-mail (a stop is not a failure).

Run: .venv/bin/python -m bench.kill_matrix [--points enrichment,deal,draft,send,completion]. Each point runs on a
fresh data dir under /tmp and free ports. The Ctrl-C (SIGINT to `up`, as a terminal sends it) comes the moment the
sandbox has answered the point's write, so the case's run is mid-phase when the stack stops. The person's part is
played through the same doors a person uses: Prefect's resume API for the approval, the signing page for the
signature. The writes are counted from the sandboxes' state files once the second `up` is stopped; the e-mails from
the SMTP sandbox's listing, read until each `up` stops."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlparse

import httpx

from bench.machine import describe

# How long `up` gets to stop by itself before it is killed (a loaded machine is slow), and for the case to finish.
STOP_BOUND = 300.0
CASE_BOUND = 600.0


@dataclass(frozen=True)
class Point:
    name: str
    system: str  # hubspot | dealbuilder | licences
    method: str
    path: str  # regex on the request's path
    after: str  # start | approval | signature: what the case has been through when the Ctrl-C is armed


POINTS = {
    point.name: point
    for point in (
        Point("enrichment", "hubspot", "PUT", r"^/crm/v4/objects/tickets/", "start"),
        Point("deal", "hubspot", "POST", r"^/crm/v3/objects/deals$", "start"),
        Point("draft", "dealbuilder", "POST", r"^/v1/Documents$", "start"),
        Point("send", "dealbuilder", "POST", r"^/v1/Documents/[^/]+/send$", "approval"),
        Point("completion", "licences", "PUT", r"^/api/v1/customers/", "signature"),
    )
}


@dataclass
class Outcome:
    point: str
    interrupted: str = ""  # the run's Prefect state right after the stop
    case_after_stop: str = ""
    state: str = ""
    writes: dict[str, int] = field(default_factory=dict)
    asked: int = 0  # approval forms answered (1: nobody asked again)
    mails: Counter[str] = field(default_factory=Counter)
    rescheduled: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.kill_matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--points", default=",".join(POINTS), help="comma-separated: " + ", ".join(POINTS))
    return parser


class Up:
    """`reforhandling up` as a terminal runs it, on its own data dir and ports."""

    def __init__(self, data_dir: Path) -> None:
        from sandbox.kit import free_port

        names = ("hubspot", "dealbuilder", "licences", "mail", "mail_http", "prefect", "webhook")
        self.data_dir = data_dir
        self.ports = {name: free_port() for name in names}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REFORHANDLING_"))},
            "PYTHONUNBUFFERED": "1",
            "REFORHANDLING_DATA_DIR": str(data_dir),
            "REFORHANDLING_HUBSPOT__BASE_URL": self.url("hubspot"),
            "REFORHANDLING_DEALBUILDER__BASE_URL": self.url("dealbuilder"),
            "REFORHANDLING_LICENCES__BASE_URL": self.url("licences"),
            "REFORHANDLING_MAIL__PORT": str(self.ports["mail"]),
            "REFORHANDLING_MAIL__SANDBOX_HTTP_PORT": str(self.ports["mail_http"]),
            "REFORHANDLING_PREFECT__PORT": str(self.ports["prefect"]),
            "REFORHANDLING_DEALBUILDER__WEBHOOK_PORT": str(self.ports["webhook"]),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.mails: list[dict[str, Any]] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, round_: int) -> None:
        from config.settings import PROJECT_ROOT

        with (self.data_dir / f"up-{round_}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from reforhandling.cli import app; app()", "up"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # As from a terminal: a shell's background job would hand `up` an ignored SIGINT.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ctrl_c(self) -> None:
        """SIGINT, then wait for `up` to stop by itself (killed past STOP_BOUND); the mails seen until then."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_BOUND
        while self.process.poll() is None and time.monotonic() < deadline:
            # The SMTP sandbox stops last: its last answer holds every mail this `up` received.
            with contextlib.suppress(httpx.HTTPError):
                self.last_mails = httpx.get(f"{self.url('mail_http')}/messages", timeout=2).json()["messages"]
            time.sleep(0.2)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.mails += getattr(self, "last_mails", [])
        self.last_mails = []

    def requests(self, system: str, method: str, path: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.url(system)}/_sandbox/requests", params={"method": method, "path": path}, timeout=5
        ).json()
        return cast(list[dict[str, Any]], answer["requests"])


class Prefect:
    """The Prefect API of a running `up`, with the password `up` keeps in its data dir."""

    def __init__(self, up: Up) -> None:
        from reforhandling.prefect_auth import basic_auth_header

        self.api = f"{up.url('prefect')}/api"
        password = (up.data_dir / "prefect-auth").read_text().strip()
        self.headers = basic_auth_header(password)

    def run(self, run_id: str) -> dict[str, Any] | None:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            answer = httpx.get(f"{self.api}/flow_runs/{run_id}", headers=self.headers, timeout=5)
            if answer.status_code == 200:
                return cast(dict[str, Any], answer.json())
        return None

    def pause_key(self, run_id: str) -> str | None:
        run = self.run(run_id)
        state = (run or {}).get("state") or {}
        return state.get("state_details", {}).get("pause_key") if state.get("type") == "PAUSED" else None

    def approve(self, run_id: str) -> bool:
        body = {"run_input": {"approved": True, "approver": "Ola Kundeservice"}}
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.post(f"{self.api}/flow_runs/{run_id}/resume", json=body, headers=self.headers, timeout=10)
            return answer.status_code in (200, 201) and answer.json().get("status") == "ACCEPT"
        return False


def _until(check: Callable[[], bool], what: str, bound: float = CASE_BOUND, up: Up | None = None) -> None:
    deadline = time.monotonic() + bound
    while not check():
        if up is not None and not up.alive():
            raise RuntimeError(f"`up` exited while waiting for {what}; see {up.data_dir}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {bound:.0f}s for {what}")
        time.sleep(0.1)


def _sign(up: Up, contract_id: str) -> None:
    """Sign as the customer does: the signing link from the document, the signing page's form."""
    document = httpx.get(
        f"{up.url('dealbuilder')}/v1/Documents/{contract_id}", headers={"x-api-key": "sandbox-key"}, timeout=10
    ).json()
    link = urlparse(document["parties"][0]["signingUrl"])
    answer = httpx.post(f"{up.url('dealbuilder')}{link.path}", data={"action": "sign"}, timeout=10)
    answer.raise_for_status()


def run_point(point: Point, root: Path) -> Outcome:
    from config.settings import Settings
    from models.case import CLOSED_STATES, CaseState
    from store.case_store import CaseStore

    outcome = Outcome(point.name)
    began = time.monotonic()
    data_dir = root / point.name
    data_dir.mkdir(parents=True)
    up = Up(data_dir)
    store: CaseStore | None = None
    signed = False
    try:
        up.start(1)
        case_db = Settings(data_dir=data_dir).effective_database_url

        def case_key() -> str | None:
            nonlocal store
            if not (data_dir / "cases.db").exists():
                return None
            store = store or CaseStore(case_db)
            with contextlib.suppress(Exception):
                cases = store.cases()
                return cases[0].case_key if cases and cases[0].flow_run_id else None
            return None

        _until(lambda: case_key() is not None, "the example case", up=up)
        key = str(case_key())
        assert store is not None
        run_id = str(store.get(key).flow_run_id)
        prefect = Prefect(up)
        if point.after in ("approval", "signature"):
            _until(lambda: prefect.pause_key(run_id) == "approval-1", "the approval form", up=up)
            _until(lambda: prefect.approve(run_id), "the approval to be taken", up=up)
        if point.after == "signature":
            _until(lambda: store.get(key).state is CaseState.AWAITING_SIGNATURE, "the contract sent", up=up)
            _sign(up, str(store.get(key).contract_id))
            signed = True
        _until(lambda: up.requests(point.system, point.method, point.path) != [], f"the {point.name} write", up=up)
        up.ctrl_c()
        outcome.case_after_stop = str(store.get(key).state)

        up.start(2)
        _until(lambda: prefect.run(run_id) is not None, "Prefect after the restart", up=up)

        def finished() -> bool:
            nonlocal signed
            assert store is not None
            case = store.get(key)
            if case.state in CLOSED_STATES or case.state is CaseState.NEEDS_ATTENTION:
                return True
            pause = prefect.pause_key(run_id)
            answered = [e for e in store.events(key) if e.kind.startswith("decision:approval-")]
            if pause and pause.startswith("approval-") and not answered:
                prefect.approve(run_id)
            elif pause and pause.startswith("approval-"):
                raise RuntimeError(f"asked again at {pause} after the restart")
            elif case.state is CaseState.AWAITING_SIGNATURE and case.contract_id and not signed:
                _sign(up, case.contract_id)
                signed = True
            return False

        _until(finished, "the case to close", up=up)
        outcome.interrupted = _stop_state(prefect, run_id)
        up.ctrl_c()
        case = store.get(key)
        outcome.state = str(case.state)
        events = store.events(key)
        outcome.asked = sum(1 for e in events if e.kind.startswith("decision:approval-"))
        outcome.rescheduled = sum(1 for e in events if e.kind == "run-rescheduled")
        if any(e.kind == f"state:{CaseState.NEEDS_ATTENTION}" for e in events):
            outcome.problems.append("the case was NEEDS_ATTENTION on the way")
        outcome.writes = _writes(data_dir, key, case.ticket_id)
        outcome.mails = Counter(_mail_kind(str(m.get("message_id", ""))) for m in up.mails)
    except Exception as error:
        outcome.problems.append(f"{type(error).__name__}: {error}")
        if up.alive():
            up.ctrl_c()
    outcome.seconds = time.monotonic() - began
    return outcome


def _stop_state(prefect: Prefect, run_id: str) -> str:
    """The state the stop left the run in: the one before its rescheduling (none: the stop caught no run)."""
    with contextlib.suppress(httpx.HTTPError, ValueError):
        states = httpx.get(
            f"{prefect.api}/flow_run_states/", params={"flow_run_id": run_id}, headers=prefect.headers, timeout=5
        ).json()
        states.sort(key=lambda state: state["timestamp"])
        for before, state in itertools.pairwise(states):
            if "rescheduled after a stop" in (state.get("message") or ""):
                return f"{before['name']}: {(before.get('message') or '')[:70]}"
        return "not rescheduled"
    return "?"


def _writes(data_dir: Path, case_key: str, ticket_id: str) -> dict[str, int]:
    """One of each write: counted from the sandboxes' state files, as a person checking the systems would."""
    from sandbox import records
    from sandbox.dealbuilder import DealbuilderSandbox
    from sandbox.hubspot.app import HubSpotSandbox
    from sandbox.licences import LicenceSandbox
    from sandbox.stack import SandboxStack

    state = data_dir / "sandboxes"
    sandboxes = cast(
        SandboxStack,
        SimpleNamespace(
            hubspot=HubSpotSandbox(state_file=state / "hubspot.db"),
            dealbuilder=DealbuilderSandbox(state_file=state / "dealbuilder.db"),
            licences=LicenceSandbox(state_file=state / "licences.db"),
        ),
    )
    documents = records.documents(sandboxes, case_key)
    sends = [d for doc in documents for d in sandboxes.dealbuilder.deliveries(doc["id"])]
    return {
        "deal": len(records.deals(sandboxes, case_key)),
        "contract": len(documents),
        "sending": len(sends),
        "note": len(records.notes(sandboxes, ticket_id)),
        "licence write": sum(1 for c in sandboxes.licences.changes() if c["reference"] == case_key),
    }


def _mail_kind(message_id: str) -> str:
    # <case key>.<kind>@reforhandling
    return message_id.split(".", 1)[-1].split("@", 1)[0] if "@reforhandling" in message_id else "other"


EXPECTED_WRITES = {"deal": 1, "contract": 1, "sending": 2, "note": 1, "licence write": 1}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    names = [name.strip() for name in args.points.split(",") if name.strip()]
    root = Path(tempfile.mkdtemp(prefix="kill-matrix-"))
    print(describe())
    print(f"kill matrix over `up`, data in {root}")
    outcomes = []
    for name in names:
        outcome = run_point(POINTS[name], root)
        if outcome.writes and outcome.writes != EXPECTED_WRITES:
            outcome.problems.append(f"writes {outcome.writes}, expected {EXPECTED_WRITES}")
        if outcome.state and outcome.state != "COMPLETED":
            outcome.problems.append(f"case ended {outcome.state}")
        if outcome.asked > 1:
            outcome.problems.append(f"approval asked {outcome.asked} times")
        if outcome.mails.get("needs-attention-failure-1"):
            outcome.problems.append("ops were mailed")
        outcomes.append(outcome)
        print(_line(outcome), flush=True)
    failed = [o for o in outcomes if o.problems]
    print(f"kill matrix: {len(outcomes) - len(failed)} of {len(outcomes)} points completed cleanly")
    return 1 if failed else 0


def _line(o: Outcome) -> str:
    writes = " ".join(f"{k}={v}" for k, v in o.writes.items())
    mails = " ".join(f"{k}={v}" for k, v in sorted(o.mails.items()))
    verdict = "; ".join(o.problems) or "ok"
    return (
        f"{o.point:<11} stop left run {o.interrupted!r}, case {o.case_after_stop}; rescheduled {o.rescheduled}; "
        f"-> {o.state} in {o.seconds:.0f}s; approvals answered {o.asked}; writes {writes}; mails {mails}: {verdict}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
