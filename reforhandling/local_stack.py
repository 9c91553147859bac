"""`reforhandling up`: the whole local stack (Prefect server with UI, the sandboxes, the deployments) and one
example case waiting for approval; Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import time
from uuid import UUID

from config.private_files import PRIVATE_UMASK, make_private
from config.settings import Settings
from models.artifacts import BOARD_KEY
from models.case import CLOSED_STATES
from models.renegotiation import RenegotiationRequest
from reforhandling.prefect_auth import AUTH_FILE, auth_string
from reforhandling.prefect_stack import PrefectStack, prefect_env
from sandbox.server import SandboxServer, wait_for_stop_signal
from sandbox.stack import SandboxStack
from sandbox.world import customer_by_ticket
from store.case_store import CaseStore

EXAMPLE_TICKET = "5001"
EXAMPLE_LICENCES = 55


def run_up(settings: Settings) -> None:
    data = settings.data_dir
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
            run_id = _example_case(settings)
            print()
            print(f"Prefect UI:          {settings.prefect.ui_url}  (log in at /login with the Prefect password)")
            if made and auth:
                # Shown this once; it stays in the data dir for `reforhandling start`, `cancel` and the next `up`.
                print(f"Prefect password:    {auth}  (kept in {data / AUTH_FILE})")
            print(f"Example case:        {settings.prefect.ui_url}/runs/flow-run/{run_id}  (Resume = approve)")
            print(f"Board of open cases: {settings.prefect.ui_url}/artifacts/key/{BOARD_KEY}  (every poll)")
            print(f"Signing pages:       {sandboxes.urls['dealbuilder']}/sign/  (after approval)")
            print(f"Dealbuilder webhook: {hook_url}  (registered: a signature resumes its case at once)")
            print(f"E-mails received:    {sandboxes.urls['smtp_messages']}")
            print(f"HubSpot requests:    {sandboxes.urls['hubspot']}/_sandbox/requests")
            print(
                f"Reconciliation:      deployment `reconcile`, cron {settings.prefect.reconcile_cron!r} "
                f"({settings.routine.timezone}); drift goes to {settings.routine.ops_recipient}"
            )
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
        return start_webhook(settings)
    except OSError as error:
        raise SystemExit(
            f"The webhook receiver's port {settings.dealbuilder.webhook_port} is taken ({error.strerror}): is another "
            "`reforhandling up` running? Stop it, or move it with REFORHANDLING_DEALBUILDER__WEBHOOK_PORT."
        ) from error


def _example_case(settings: Settings) -> str:
    """Start the example case, or find the one an earlier `up` started and that is still open."""
    from prefect.client.orchestration import get_client

    from reforhandling.starting import start_case

    store = CaseStore(settings.effective_database_url)
    for case in store.cases():
        if case.ticket_id == EXAMPLE_TICKET and case.state not in CLOSED_STATES and case.flow_run_id:
            return case.flow_run_id
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
    return case.flow_run_id
