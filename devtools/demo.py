"""`reforhandling demo`: three cases end to end on a fresh embedded stack, approved through Prefect's API as the
UI does, signed in the Dealbuilder sandbox and resumed by its webhook or the real poller deployment; then the
sandboxes are checked for exactly what the routine requires."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from config.settings import Settings
from devtools.embedded_stack import embedded_stack
from models.artifacts import case_artifact_key
from models.case import CLOSED_STATES, CaseState
from models.messages import notice_kind
from models.notices import Notice
from models.renegotiation import RenegotiationRequest
from models.waits import approval_key
from sandbox import records
from sandbox.stack import SandboxStack
from sandbox.world import customer_by_ticket
from store.case_store import CaseStore

if TYPE_CHECKING:
    from adapters.hubspot_crm import HubSpotCrm

TIMEOUT_SECONDS = 420
DEMO_AGENT = "agent@avonova.example"
# What an earlier case left in the increase case's nedjustering field before the demo starts.
EARLIER_REDUCTION = "5"


@dataclass
class DemoCase:
    label: str
    ticket: str
    licences: int
    expected_route: str | None
    expected_mail_to: str | None
    case_key: str = ""
    started: float = 0.0
    finished: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def customer_id(self) -> str:
        return customer_by_ticket(self.ticket).org_number


def demo_cases(settings: Settings) -> list[DemoCase]:
    routine = settings.routine
    return [
        DemoCase("increase within 36 months", "5001", 55, "invoice_service", routine.sales_registration_recipient),
        DemoCase("small reduction", "5002", 54, "invoice_service", None),
        DemoCase("large reduction", "5003", 70, "csc", routine.csc_recipient),
    ]


def run_demo(settings: Settings, *, poll_seconds: int) -> int:
    """Run the demo; 0 when all three cases completed and the sandboxes hold exactly what they should."""
    # Dealbuilder's webhook and the poller both resume signed cases, as on `up`: whoever comes first.
    with embedded_stack(settings, "demo", poll_seconds=poll_seconds, webhook=True) as (settings, sandboxes, _):
        cases = demo_cases(settings)
        # An increase must clear a reduction an earlier case left on the card (nedjustering 0, not 5).
        for case in cases:
            if case.licences > customer_by_ticket(case.ticket).licences:
                company_id = customer_by_ticket(case.ticket).company_id
                _crm(settings).set_company_property(
                    company_id=company_id, name=settings.routine.downward_property, value=EARLIER_REDUCTION
                )
        _drive(settings, sandboxes, cases)
        store = CaseStore(settings.effective_database_url)
        for case in cases:
            case.problems += _check(settings, sandboxes, store, case)
        _check_mailbox(sandboxes, cases)
        _check_artifacts(store, cases)
    _print_table(store, cases)
    failed = [case for case in cases if case.problems]
    for case in failed:
        print(f"demo: {case.label} ({case.case_key}): " + "; ".join(case.problems))
    verdict = "FAILED" if failed else "all three cases completed and the sandboxes hold what the routine requires"
    print(f"demo: {verdict}")
    return 1 if failed else 0


def _drive(settings: Settings, sandboxes: SandboxStack, cases: list[DemoCase]) -> None:
    """Start the cases, approve each at its approval form, sign each contract, and wait for completion."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.responses import SetStateStatus

    from reforhandling.starting import start_case

    store = CaseStore(settings.effective_database_url)
    approved: set[str] = set()
    signed: set[str] = set()
    with get_client(sync_client=True) as client:
        for case in cases:
            customer = customer_by_ticket(case.ticket)
            request = RenegotiationRequest(
                ticket_id=case.ticket,
                signer_email=customer.signer_email,
                licences=case.licences,
                price_per_licence=customer.price_per_licence,
                agent_email=DEMO_AGENT,
            )
            case.case_key = start_case(request, settings=settings, store=store, client=client, actor="demo").case_key
            case.started = time.monotonic()
            print(f"demo: {case.label}: case {case.case_key} started")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            waiting = False
            for case in cases:
                stored = store.get(case.case_key)
                if stored.state in CLOSED_STATES or stored.state is CaseState.NEEDS_ATTENTION:
                    if not case.finished:
                        case.finished = time.monotonic()
                        print(f"demo: {case.label}: {stored.state} after {case.finished - case.started:.1f}s")
                    continue
                waiting = True
                assert stored.flow_run_id
                run = client.read_flow_run(UUID(stored.flow_run_id))
                pause_key = run.state.state_details.pause_key if run.state and run.state.is_paused() else None
                if pause_key == approval_key(1) and case.case_key not in approved:
                    # Exactly what the UI's Resume dialog sends.
                    answer = {"approved": True, "approver": "Ola Kundeservice"}
                    result = client.resume_flow_run(run.id, run_input=answer)
                    # Just after suspending, a run may not have stored its form yet: refused, we answer again.
                    if result.status == SetStateStatus.ACCEPT:
                        approved.add(case.case_key)
                        print(f"demo: {case.label}: approved")
                elif stored.state is CaseState.AWAITING_SIGNATURE and case.case_key not in signed:
                    assert stored.contract_id
                    sandboxes.dealbuilder.sign(stored.contract_id)
                    signed.add(case.case_key)
                    print(f"demo: {case.label}: contract {stored.contract_id} signed in the Dealbuilder sandbox")
            if not waiting:
                return
            time.sleep(0.5)
    for case in cases:
        if not case.finished:
            case.problems.append(f"not finished within {TIMEOUT_SECONDS}s (state {store.get(case.case_key).state})")


def _crm(settings: Settings) -> HubSpotCrm:
    """HubSpot as the routine's adapter reads it, over the SDK."""
    from adapters.hubspot_crm import HubSpotCrm

    return HubSpotCrm(settings.hubspot, settings.routine)


def _check(settings: Settings, sandboxes: SandboxStack, store: CaseStore, case: DemoCase) -> list[str]:
    """What the routine requires of one completed case, as the sandboxes recorded it and HubSpot's SDK reads it."""
    routine = settings.routine
    customer = customer_by_ticket(case.ticket)
    stored = store.get(case.case_key)
    problems = []

    def expect(what: str, actual: object, wanted: object) -> None:
        if actual != wanted:
            problems.append(f"{what}: {actual!r}, expected {wanted!r}")

    expect("case state", stored.state, CaseState.COMPLETED)
    expect("route", stored.route, case.expected_route)
    deals = records.deals(sandboxes, case.case_key)
    expect("deals", len(deals), 1)
    if deals:
        properties = deals[0]["properties"]
        expect("deal name", properties.get("dealname"), f"{customer.name} - REFORHANDLING")
        expect("deal amount", properties.get("amount"), str(case.licences))
        read = _crm(settings).read_deal(deal_id=str(deals[0]["id"]))
        expect("deal stage (over the SDK)", read.stage, routine.deal_stage_won)
        expect("deal's tickets (over the SDK)", read.ticket_ids, (case.ticket,))
        notes = records.notes(sandboxes, case.ticket)
        named = [note for note in notes if read.url in note and str(stored.contract_id) in note]
        expect("invoice note naming the deal and the contract", len(named), 1)
    documents = records.documents(sandboxes, case.case_key)
    expect("contracts", [d["status"] for d in documents], ["Signed"])
    if stored.contract_id:
        channels = sorted(d["channel"] for d in sandboxes.dealbuilder.deliveries(stored.contract_id))
        expect("contract deliveries", channels, ["email", "sms"])
    expect("ticket name", records.ticket(sandboxes, case.ticket).get("subject"), f"Reforhandling - {customer.name}")
    expect("ticket stage", records.stage_label(sandboxes, case.ticket), routine.ticket_stage_sent)
    expect("invoice notes", len(records.notes(sandboxes, case.ticket)), 1)
    expect("licences in Avonova Digital", sandboxes.licences.licences(case.customer_id), case.licences)
    removed = customer.licences - case.licences
    nedjustering = records.company(sandboxes, customer.company_id).get(routine.downward_property) or None
    expect("nedjustering", nedjustering, str(max(removed, 0)))
    owner = records.owner_email(sandboxes, records.ticket(sandboxes, case.ticket).get("hubspot_owner_id"))
    wanted_owner = {"invoice_service": routine.invoice_service_owner, "csc": routine.csc_owner}.get(
        case.expected_route or ""
    )
    if wanted_owner:
        expect("ticket owner", owner, wanted_owner)
    expect("price after", stored.price_after, Decimal(customer.price_per_licence))
    return problems


def _check_mailbox(sandboxes: SandboxStack, cases: list[DemoCase]) -> None:
    """Exactly one e-mail per case that needs one (sales registration, CSC handover), and none for the others; and
    exactly one approval-needed notice per case (one approval form each), to the agent who started it."""
    for case in cases:
        received = [m for m in sandboxes.smtp.messages if case.case_key in json.dumps(m, ensure_ascii=False)]
        routine = [m["to"] for m in received if notice_kind(str(m.get("message_id"))) is None]
        wanted = [[case.expected_mail_to]] if case.expected_mail_to else []
        if routine != wanted:
            case.problems.append(f"e-mails: {routine}, expected {wanted}")
        original = customer_by_ticket(case.ticket).original
        for mail in received:
            sales = ".sales-registration@" in str(mail.get("message_id"))
            if sales and original is not None and original.sender not in mail["text"]:
                case.problems.append(f"sales e-mail does not name the seller {original.sender!r}")
        told = [m["to"] for m in received if notice_kind(str(m.get("message_id"))) is Notice.APPROVAL_NEEDED]
        if told != [[DEMO_AGENT]]:
            case.problems.append(f"approval-needed notices: {told}, expected [[{DEMO_AGENT!r}]]")


def _check_artifacts(store: CaseStore, cases: list[DemoCase]) -> None:
    """Each case's summary is on its run: a version when drafted and at each state change, one of them completed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        for case in cases:
            run_id = store.get(case.case_key).flow_run_id
            if not run_id:
                continue
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]),
                    key=ArtifactFilterKey(any_=[case_artifact_key(case.case_key)]),
                )
            )
            completed = [a for a in artifacts if f"tilstand **{CaseState.COMPLETED}**" in str(a.data)]
            if len(artifacts) < 2 or len(completed) != 1:
                case.problems.append(f"summary artifacts on the run: {len(artifacts)} ({len(completed)} completed)")


def _print_table(store: CaseStore, cases: list[DemoCase]) -> None:
    print()
    print(f"{'case':<28} {'key':<18} {'state':<12} {'route':<16} {'HubSpot calls':>13} {'seconds':>8}")
    for case in cases:
        stored = store.get(case.case_key)
        calls = sum(int(json.loads(e.details).get("hubspot_calls", 0)) for e in store.events(case.case_key))
        seconds = (case.finished or time.monotonic()) - case.started
        route = stored.route or "-"
        print(f"{case.label:<28} {case.case_key:<18} {stored.state.value:<12} {route:<16} {calls:>13} {seconds:>8.1f}")
    print()
