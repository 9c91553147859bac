"""A fresh embedded stack for the demo, the soak, the benchmarks and the process-level tests: the sandboxes, a
Prefect server with its password, the serve process for the deployments and, where wanted, the receiver of
Dealbuilder's events."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from config.settings import Settings
from devtools.prefect_stack import PrefectStack, prefect_env
from reforhandling.prefect_auth import auth_string, client_settings
from sandbox.server import free_port
from sandbox.stack import SandboxStack


@contextmanager
def embedded_stack(
    settings: Settings,
    name: str,
    *,
    poll_seconds: int,
    webhook: bool = False,
    server_database_url: str | None = None,
) -> Iterator[tuple[Settings, SandboxStack, PrefectStack]]:
    """A fresh stack under `data/<name>/<time>`: the sandboxes, a Prefect server with its password (its database on
    SQLite, or at `server_database_url`), and the serve process for the deployments; with `webhook`, the receiver of
    Dealbuilder's events too, registered with the Dealbuilder sandbox; stopped on exit (the sandboxes stay readable
    inside the block)."""
    from prefect.settings import temporary_settings

    root = settings.data_dir / name / datetime.now().strftime("%Y%m%d-%H%M%S")
    settings = settings.model_copy(
        update={
            "data_dir": root,
            "database_url": f"sqlite:///{root / 'cases.db'}",
            "prefect": settings.prefect.model_copy(update={"port": free_port(), "poll_interval_seconds": poll_seconds}),
        }
    )
    print(f"{name}: working in {root}")
    with SandboxStack.start(settings, free_ports=True) as sandboxes:
        settings = sandboxes.configure(settings)
        # This process's Prefect client talks to this server (Prefect reads its settings on import).
        auth, _ = auth_string(settings, create=True)
        os.environ.update(prefect_env(settings, root / "prefect", auth=auth))
        stack = PrefectStack(
            settings, root / "prefect", root / "logs", auth=auth, server_database_url=server_database_url
        )
        receiver = None
        try:
            began = time.monotonic()
            stack.start_server()
            stack.start_serve()
            stack.wait_for_deployment(settings.prefect.flow_deployment)
            stack.wait_for_deployment(settings.prefect.poller_deployment)
            print(f"{name}: Prefect up in {time.monotonic() - began:.1f}s at {settings.prefect.ui_url}")
            if webhook:
                from reforhandling.webhook import start_webhook

                receiver, hook_url = start_webhook(settings, port=0)
                print(f"{name}: Dealbuilder webhook at {hook_url}")
            # Also where Prefect's settings were read before the variables above were set (a test process).
            with temporary_settings(client_settings(settings)):
                yield settings, sandboxes, stack
        finally:
            if receiver is not None:
                receiver.stop()
            stack.stop()
