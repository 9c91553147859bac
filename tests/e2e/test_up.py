"""`reforhandling up`, the README's main command, as a person runs it: it comes up with an example case waiting for
approval, and Ctrl-C stops everything it started."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from config.settings import PROJECT_ROOT
from reforhandling.prefect_auth import basic_auth_header
from sandbox.kit import free_port
from tests.processes import stop_process


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_up_starts_the_stack_with_an_example_case_at_approval_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
    names = ("hubspot", "dealbuilder", "licences", "mail", "mail_http", "prefect", "webhook")
    ports = {name: free_port() for name in names}
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "REFORHANDLING_DATA_DIR": str(tmp_path),
        "REFORHANDLING_HUBSPOT__BASE_URL": f"http://127.0.0.1:{ports['hubspot']}",
        "REFORHANDLING_DEALBUILDER__BASE_URL": f"http://127.0.0.1:{ports['dealbuilder']}",
        "REFORHANDLING_LICENCES__BASE_URL": f"http://127.0.0.1:{ports['licences']}",
        "REFORHANDLING_MAIL__PORT": str(ports["mail"]),
        "REFORHANDLING_MAIL__SANDBOX_HTTP_PORT": str(ports["mail_http"]),
        "REFORHANDLING_PREFECT__PORT": str(ports["prefect"]),
        "REFORHANDLING_DEALBUILDER__WEBHOOK_PORT": str(ports["webhook"]),
    }
    env.pop("PREFECT_API_URL", None)
    log = tmp_path / "up.log"
    with log.open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-c", "from reforhandling.cli import app; app()", "up"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 150
        while "Ctrl-C stops everything" not in log.read_text():
            assert up.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        printed = log.read_text()
        run_id = re.search(r"/runs/flow-run/([0-9a-f-]{36})", printed)
        assert run_id, printed
        api = f"http://127.0.0.1:{ports['prefect']}/api"
        # The API is protected: a call without the password printed once (and kept in the data dir) is refused.
        assert httpx.get(f"{api}/flow_runs/{run_id.group(1)}", timeout=10).status_code == 401
        password = re.search(r"Prefect password:\s+(\S+)", printed)
        assert password and (tmp_path / "prefect-auth").read_text().strip() == password.group(1)
        assert printed.count(password.group(1)) == 1
        run = httpx.get(
            f"{api}/flow_runs/{run_id.group(1)}", timeout=10, headers=basic_auth_header(password.group(1))
        ).json()
        assert (run["state"]["type"], run["state"]["state_details"]["pause_key"]) == ("PAUSED", "approval-1")
        assert f"http://127.0.0.1:{ports['dealbuilder']}/sign/" in printed
        # The webhook receiver listens and is registered with Dealbuilder, so a signature resumes its case at once.
        hooks = httpx.get(
            f"http://127.0.0.1:{ports['dealbuilder']}/v1/Webhooks", headers={"x-api-key": "sandbox-key"}, timeout=10
        ).json()
        assert [hook["url"] for hook in hooks["items"]] == [f"http://127.0.0.1:{ports['webhook']}/webhooks/dealbuilder"]

        assert stop_process(up, signal.SIGINT) == 0, log.read_text()
    finally:
        if up.poll() is None:
            up.kill()
    assert "Stopping" in log.read_text()
    assert all(port_is_free(port) for port in ports.values()), ports
    assert processes_of(tmp_path) == [], "processes left behind by `up`"


def processes_of(data_dir: Path) -> list[str]:
    """Every process still alive that `up` started (they all carry its data dir in their environment)."""
    marker = f"REFORHANDLING_DATA_DIR={data_dir}".encode()
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return left
