"""`reforhandling soak`: N cases end to end through the deployed flow on a fresh embedded stack while every sandbox
injects faults (5xx, answers slower than the read timeout, dropped connections, HubSpot 429 bursts, SMTP refusals);
then every case is counted: completed, duplicates by kind (must be 0), faults by kind, retries."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from adapters.dealbuilder_api import D_STATUS as STATUS
from adapters.dealbuilder_api import STATUS_SENT, STATUS_VIEWED
from config.settings import Settings
from devtools.embedded_stack import embedded_stack
from devtools.tickets import new_sandbox_ticket
from models.case import CLOSED_STATES, CaseState
from models.renegotiation import RenegotiationRequest
from models.waits import APPROVAL
from sandbox import records
from sandbox.kit import FaultRule, SandboxApp
from sandbox.stack import SandboxStack
from sandbox.world import CUSTOMERS
from store.case_store import CaseStore

# Adapters give up on an answer after READ_TIMEOUT; SLOW answers come later, so the create may still land.
READ_TIMEOUT = 2.0
SLOW = READ_TIMEOUT + 0.5
SECONDS_PER_CASE = 20


@dataclass
class SoakReport:
    cases: int
    completed: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    ops_retries: int = 0
    task_retries: int = 0
    duplicates: Counter[str] = field(default_factory=Counter)
    # Who resumed the signed cases (the webhook receiver or the poller), and the webhook's delivery attempts.
    resumed_by: Counter[str] = field(default_factory=Counter)
    webhook_attempts: int = 0
    webhook_refused: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items())) or "none"
        duplicates = ", ".join(f"{kind} {count}" for kind, count in sorted(self.duplicates.items())) or "0"
        resumed = ", ".join(f"{count} by {actor}" for actor, count in sorted(self.resumed_by.items())) or "none"
        return [
            f"cases completed:   {self.completed} of {self.cases} in {self.seconds:.0f}s",
            f"faults injected:   {faults}; HubSpot 429s {self.rate_limited}",
            f"retries:           {self.task_retries} task retries, {self.ops_retries} ops retries",
            f"duplicates:        {duplicates}",
            f"signatures:        resumed {resumed}; {self.webhook_attempts} webhook deliveries, "
            f"{self.webhook_refused} not taken at once",
        ]


def fault_rules() -> dict[str, list[FaultRule]]:
    """Per system: about 10 % 5xx, a few answers past the read timeout, dropped connections before and after the
    work, HubSpot 429s; SMTP refuses at connect and answers 4xx at DATA now and then (a fresh list per system, as
    a rule counts its own injections)."""

    def http() -> list[FaultRule]:
        return [
            FaultRule(kind="error", rate=0.10, status=503),
            FaultRule(kind="slow", rate=0.02, delay=SLOW),
            FaultRule(kind="slow_after", rate=0.02, delay=SLOW),
            FaultRule(kind="drop_before", rate=0.02),
            FaultRule(kind="drop_after", rate=0.02),
        ]

    smtp = [
        FaultRule(kind="error", rate=0.10, status=421, route="^CONNECT "),
        FaultRule(kind="error", rate=0.10, status=451, route="^DATA "),
        FaultRule(kind="drop_before", rate=0.05, route="^DATA "),
    ]
    # HubSpot's ten-second limit, in bursts: a 429 with its Retry-After, besides what the sandbox's own limit gives.
    bursts = [FaultRule(kind="error", rate=0.05, status=429)]
    return {"hubspot": bursts + http(), "dealbuilder": http(), "licences": http(), "smtp": smtp}


SYSTEMS = ("hubspot", "dealbuilder", "licences", "smtp")


def _app(sandboxes: SandboxStack, name: str) -> SandboxApp:
    return sandboxes.smtp.listing if name == "smtp" else cast(SandboxApp, getattr(sandboxes, name))


def run_soak(
    settings: Settings, *, cases: int, seed: int = 1, poll_seconds: int = 3, seconds_per_case: float = SECONDS_PER_CASE
) -> SoakReport:
    """Run `cases` cases under faults and count what happened; the report's problems list what went wrong (a case
    still open after 60 s plus `seconds_per_case` per case among them)."""
    fast = {"read_timeout": READ_TIMEOUT, "settle_seconds": SLOW + 1.0, "backoff_seconds": 0.2}
    settings = settings.model_copy(
        update={
            "hubspot": settings.hubspot.model_copy(update=fast),
            "dealbuilder": settings.dealbuilder.model_copy(update=fast),
            "licences": settings.licences.model_copy(update=fast),
            "mail": settings.mail.model_copy(update={"timeout": READ_TIMEOUT, "data_timeout": SLOW + 1.0}),
        }
    )
    report = SoakReport(cases=cases)
    began = time.monotonic()
    # With the webhook receiver, as on `up`: a signature resumes its case at once, the poller is the backstop.
    with embedded_stack(settings, "soak", poll_seconds=poll_seconds, webhook=True) as (settings, sandboxes, _):
        store = CaseStore(settings.effective_database_url)
        keys = start_cases(settings, sandboxes, store, cases)
        for name, rules in fault_rules().items():
            _app(sandboxes, name).faults.set(rules, seed)
        drive_cases(sandboxes, store, keys, report, deadline=time.monotonic() + 60 + seconds_per_case * cases)
        for name in SYSTEMS:
            _app(sandboxes, name).faults.set([])
        count_outcome(sandboxes, store, keys, report)
    report.seconds = time.monotonic() - began
    return report


def start_cases(settings: Settings, sandboxes: SandboxStack, store: CaseStore, cases: int) -> list[str]:
    """One new ticket per case (a ticket has one open case at a time), for the seeded customers in turn, half of
    them up and half down."""
    from prefect.client.orchestration import get_client

    from reforhandling.starting import start_case

    keys = []
    with get_client(sync_client=True) as client:
        for number in range(cases):
            customer = CUSTOMERS[number % 5]
            ticket = new_sandbox_ticket(settings, f"Soak {number} - {customer.name}")
            request = RenegotiationRequest(
                ticket_id=ticket,
                signer_email=customer.signer_email,
                licences=customer.licences + (3 if number % 2 else -2),
                price_per_licence=customer.price_per_licence + Decimal(number % 7),
                agent_email="agent@avonova.example",
                company_id=customer.company_id,
            )
            keys.append(start_case(request, settings=settings, store=store, client=client, actor="soak").case_key)
    return keys


def drive_cases(
    sandboxes: SandboxStack,
    store: CaseStore,
    keys: list[str],
    report: SoakReport,
    *,
    deadline: float,
    each_round: Callable[[], None] | None = None,
) -> None:
    """Approve every approval form, sign every contract sent, and Retry a failed run (as ops would) until every
    case is closed or the time is up; `each_round` runs once per round (e.g. to start a poll)."""
    from prefect.client.orchestration import get_client
    from prefect.states import AwaitingRetry

    answered: set[tuple[str, str]] = set()
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            open_cases = [store.get(key) for key in keys if store.get(key).state not in CLOSED_STATES]
            if not open_cases:
                return
            for case in open_cases:
                assert case.flow_run_id
                run = client.read_flow_run(UUID(case.flow_run_id))
                state = run.state
                if case.state is CaseState.NEEDS_ATTENTION and state is not None and state.is_final():
                    client.set_flow_run_state(run.id, AwaitingRetry(), force=True)
                    report.ops_retries += 1
                    continue
                key = state.state_details.pause_key if state is not None and state.is_paused() else None
                if key and key.startswith(f"{APPROVAL}-") and (case.case_key, key) not in answered:
                    result = client.resume_flow_run(run.id, run_input={"approved": True, "approver": "Ola"})
                    if result.status.value == "ACCEPT":
                        answered.add((case.case_key, key))
                elif case.contract_id and _awaits_the_customer(sandboxes, case.contract_id):
                    # The customer signs what reached them: the contract's own status, not our record of the case
                    # (read a moment earlier, and a second sending after a decline is signed again).
                    sandboxes.dealbuilder.sign(case.contract_id)
            if each_round is not None:
                each_round()
            time.sleep(1)
    late = [case for case in map(store.get, keys) if case.state not in CLOSED_STATES]
    where = [
        f"{c.case_key} {c.state}, contract {c.contract_id} {_contract_status(sandboxes, c.contract_id)}" for c in late
    ]
    report.problems.append(f"not closed in time: {'; '.join(where)}")


def _contract_status(sandboxes: SandboxStack, contract_id: str | None) -> str:
    return str(sandboxes.dealbuilder.document(contract_id)[STATUS]) if contract_id else "-"


def _awaits_the_customer(sandboxes: SandboxStack, contract_id: str) -> bool:
    return _contract_status(sandboxes, contract_id) in (STATUS_SENT, STATUS_VIEWED)


def count_outcome(sandboxes: SandboxStack, store: CaseStore, keys: list[str], report: SoakReport) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    for name in SYSTEMS:
        for entry in _app(sandboxes, name).log:
            if entry["fault"]:
                report.faults[f"{name} {entry['fault']}"] += 1
            if name == "hubspot" and entry["status"] == 429:
                report.rate_limited += 1
    mails = Counter(str(message.get("message_id")) for message in sandboxes.smtp.messages)
    attempts = sandboxes.dealbuilder.webhook_attempts()
    report.webhook_attempts = len(attempts)
    report.webhook_refused = sum(1 for attempt in attempts if not 200 <= attempt["status"] < 300)
    for key in keys:
        case = store.get(key)
        report.resumed_by.update(event.actor for event in store.events(key, kind="resumed"))
        if case.state is CaseState.COMPLETED:
            report.completed += 1
        else:
            report.problems.append(f"{key}: {case.state} {case.reason or ''}")
        counts: dict[str, int] = {
            "deal": len(records.deals(sandboxes, key)),
            "contract": len(records.documents(sandboxes, key)),
            "note": len(records.notes(sandboxes, case.ticket_id)),
            "licence write": sum(1 for change in sandboxes.licences.changes() if change["reference"] == key),
            "e-mail": max((count for message_id, count in mails.items() if f"<{key}." in message_id), default=0),
        }
        for kind, count in counts.items():
            if count > 1:
                report.duplicates[kind] += count - 1
    with get_client(sync_client=True) as client:
        run_ids = [UUID(str(store.get(key).flow_run_id)) for key in keys]
        for start in range(0, len(run_ids), 50):
            batch = run_ids[start : start + 50]
            offset = 0
            while True:
                task_runs: list[Any] = client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=batch)), limit=200, offset=offset
                )
                report.task_retries += sum(max(0, task_run.run_count - 1) for task_run in task_runs)
                if len(task_runs) < 200:
                    break
                offset += 200
