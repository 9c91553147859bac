"""`reforhandling up`: the whole local stack (Prefect server with UI, the sandboxes, the deployments) and one
example case waiting for approval; Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from uuid import UUID

from config.clock import local_today
from config.private_files import PRIVATE_UMASK, make_private
from config.settings import Settings
from devtools.prefect_stack import PrefectStack, prefect_env
from models.artifacts import BOARD_KEY, case_artifact_key
from models.board import flow_run_url
from models.case import Case, CaseState
from models.links import latest_artifact_url
from models.renegotiation import RenegotiationRequest
from reforhandling.prefect_auth import AUTH_FILE, auth_string
from sandbox.server import SandboxServer, wait_for_stop_signal
from sandbox.stack import SandboxStack
from sandbox.world import customer_by_ticket
from store.case_store import CaseStore

EXAMPLE_TICKET = "5001"
EXAMPLE_LICENCES = 55


# What `up --fresh` removes from the data dir: the local world (sandboxes, Prefect, logs, the case store), not the
# Prefect password, so a browser that is logged in stays logged in.
LOCAL_WORLD = ("sandboxes", "prefect", "logs", "cases.db")


def run_up(settings: Settings, *, fresh: bool = False) -> None:
    data = settings.data_dir
    if fresh:
        reset_local_world(settings)
    # Before anything is written: an older data dir is tightened, and what the stack creates is private from birth.
    make_private(data)
    os.umask(PRIVATE_UMASK)
    auth, made = auth_string(settings, create=True)
    os.environ.update(prefect_env(settings, data / "prefect", auth=auth))
    try:
        started = SandboxStack.start(settings, free_ports=False, state_dir=data / "sandboxes")
    except OSError as error:
        raise SystemExit(
            f"A sandbox port is taken ({error.strerror}): is another `reforhandling up` running? Stop it, or move "
            "the sandboxes with REFORHANDLING_HUBSPOT__BASE_URL, ..._DEALBUILDER__BASE_URL, ..._LICENCES__BASE_URL, "
            "..._MAIL__PORT (see `reforhandling config`)."
        ) from error
    with started as sandboxes:
        settings = sandboxes.configure(settings)
        stack = PrefectStack(settings, data / "prefect", data / "logs", auth=auth)
        receiver = None
        try:
            print(f"Starting the Prefect server at {settings.prefect.ui_url} (logs in {data / 'logs'}) ...")
            stack.start_server()
            stack.start_serve()
            stack.wait_for_deployment(settings.prefect.flow_deployment)
            # A signature resumes its case at once; the poller stays as the backstop.
            receiver, hook_url = _webhook(settings)
            example = _example_case(settings)
            _publish_board(settings)
            print()
            print(f"Prefect UI:          {settings.prefect.ui_url}  (log in at /login with the Prefect password)")
            if made and auth:
                # Shown this once; it stays in the data dir for `reforhandling start`, `cancel` and the next `up`.
                print(f"Prefect password:    {auth}  (kept in {data / AUTH_FILE})")
            elif auth:
                print(f"Prefect password:    kept in {data / AUTH_FILE}")
            print(_example_line(settings, example))
            print(f"Board of open cases: {latest_artifact_url(settings.dealbuilder.receiver_url, BOARD_KEY)}")
            print(f"Signing pages:       {sandboxes.urls['dealbuilder']}/sign/  (after approval)")
            print(f"Dealbuilder webhook: {hook_url}  (registered: a signature resumes its case at once)")
            print(f"E-mails received:    {sandboxes.urls['inbox']}")
            print(f"HubSpot requests:    {sandboxes.urls['hubspot']}/_sandbox/requests")
            print(
                f"Reconciliation:      deployment `reconcile`, cron {settings.prefect.reconcile_cron!r} "
                f"({settings.routine.timezone}); drift goes to {settings.routine.ops_recipient}"
            )
            print(*_how_to_start(settings), sep="\n")
            print("Cases: `reforhandling cases`. New case: `reforhandling start --help`. Ctrl-C stops everything.")
            # Installed only now: importing Prefect's client above replaces the handlers.
            wait_for_stop_signal(stack.check_alive)
        finally:
            print("Stopping ...")
            if receiver is not None:
                receiver.stop()
            stack.stop()


def _webhook(settings: Settings) -> tuple[SandboxServer, str]:
    # Imported only now: it imports Prefect, which reads its settings (set above) on import.
    from reforhandling.webhook import start_webhook

    try:
        return start_webhook(settings, subscribe_hubspot=True)
    except OSError as error:
        raise SystemExit(
            f"The webhook receiver's port {settings.dealbuilder.webhook_port} is taken ({error.strerror}): is another "
            "`reforhandling up` running? Stop it, or move it with REFORHANDLING_DEALBUILDER__WEBHOOK_PORT."
        ) from error


def reset_local_world(settings: Settings) -> None:
    """Remove what `up` keeps between runs, so the sandboxes are seeded anew and there are no cases."""
    if settings.database_url is not None:
        raise SystemExit(
            "`up --fresh` resets only a case store in the data dir; REFORHANDLING_DATABASE_URL points elsewhere."
        )
    removed = []
    for name in LOCAL_WORLD:
        path = settings.data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(name)
    print(f"Fresh start: removed {', '.join(removed) or 'nothing'} from {settings.data_dir}")


def _how_to_start(settings: Settings) -> list[str]:
    """Where an agent starts a case: on the ticket (a seeded one not yet renegotiated), or in the Prefect UI's form."""
    from models.links import TICKET, hubspot_record_url

    ticket = hubspot_record_url(settings.hubspot.records_url, settings.hubspot.portal_id, TICKET, "5002")
    intake = settings.intake
    fields = ", ".join(intake.properties)
    return [
        f"Start from a ticket: {ticket}  (fill {fields}; move it to `{intake.ready_stage}`; "
        f"`{settings.routine.ticket_status_property}` shows where the case stands)",
        f"Start from the form: {settings.prefect.ui_url}/deployments  (start-renegotiation -> Run -> Custom run)",
    ]


def _example_line(settings: Settings, case: Case) -> str:
    """The example case: its run link and, when it no longer waits for approval, its state and how to start over."""
    link = flow_run_url(settings.prefect.ui_url, case.flow_run_id or "")
    if case.state is CaseState.AWAITING_APPROVAL:
        return f"Example case:        {link}  ({case.case_key}; Resume = approve)"
    summary = latest_artifact_url(settings.dealbuilder.receiver_url, case_artifact_key(case.case_key))
    return (
        f"Example case:        {link}  ({case.case_key} is {case.state}; summary {summary}; "
        f"`reforhandling up --fresh` starts the local world over)"
    )


def _publish_board(settings: Settings) -> None:
    """The board of open cases, there at once; the poller refreshes it from now on."""
    from bootstrap.runtime import build_runtime
    from tasks.artifacts import publish_case_board

    now = datetime.now(UTC)
    publish_case_board(build_runtime(settings), now, local_today(settings.routine.timezone, now))


def _example_case(settings: Settings) -> Case:
    """Start the example case, or find the one an earlier `up` started (in whatever state), so a second `up` shows it
    instead of failing a new one for a customer who has the example's licences already."""
    from prefect.client.orchestration import get_client

    from reforhandling.starting import start_case

    store = CaseStore(settings.effective_database_url)
    earlier = [case for case in store.cases() if case.ticket_id == EXAMPLE_TICKET and case.flow_run_id]
    if earlier:
        return max(earlier, key=lambda case: case.created_at)
    customer = customer_by_ticket(EXAMPLE_TICKET)
    request = RenegotiationRequest(
        ticket_id=EXAMPLE_TICKET,
        signer_email=customer.signer_email,
        licences=EXAMPLE_LICENCES,
        price_per_licence=customer.price_per_licence,
        agent_email="agent@avonova.example",
    )
    with get_client(sync_client=True) as client:
        case = start_case(request, settings=settings, store=store, client=client, actor="reforhandling up")
        assert case.flow_run_id
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = client.read_flow_run(UUID(case.flow_run_id)).state
            if state is not None and (state.is_paused() or state.is_final()):
                break
            time.sleep(1)
    return store.get(case.case_key)
