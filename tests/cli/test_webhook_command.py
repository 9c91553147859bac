"""`reforhandling webhook` as ops run it beside a Prefect server elsewhere: it listens, registers its public URL with
Dealbuilder, refuses a forged event, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from adapters import dealbuilder_api as api
from config.settings import PROJECT_ROOT
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.kit import SandboxServer, free_port
from tests.processes import stop_process
from tests.waiting import wait_until


def test_webhook_listens_registers_its_public_url_refuses_a_wrong_key_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    dealbuilder = DealbuilderSandbox()
    port = free_port()
    public = "https://reforhandling.example/webhooks/dealbuilder"
    with SandboxServer(dealbuilder) as server:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "REFORHANDLING_DATA_DIR": str(tmp_path),
            "REFORHANDLING_DEALBUILDER__BASE_URL": server.url,
            "REFORHANDLING_DEALBUILDER__WEBHOOK_PORT": str(port),
            "REFORHANDLING_DEALBUILDER__WEBHOOK_PUBLIC_URL": public,
        }
        log = tmp_path / "webhook.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", "from reforhandling.cli import app; app()", "webhook"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(
                lambda: "registered with Dealbuilder" in log.read_text() or process.poll() is not None,
                "the receiver to register",
            )
            assert process.poll() is None, log.read_text()
            [hook] = dealbuilder.state["webhooks"]
            assert (hook[api.WH_URL], hook[api.WH_KEY]) == (public, "sandbox-webhook-key")
            forged = {api.EV_ID: "evt-1", api.EV_TYPE: api.EVENT_SIGNED, api.EV_DOCUMENT_ID: "DB-1", api.EV_KEY: "x"}
            answer = httpx.post(f"http://127.0.0.1:{port}/webhooks/dealbuilder", json=forged, timeout=10)
            assert answer.status_code == 403
            assert stop_process(process, signal.SIGINT) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
    assert "sandbox-webhook-key" not in log.read_text()
