"""`reforhandling up`, the README's main command, as a person runs it: it comes up with an example case waiting for
approval and the board of open cases, Ctrl-C stops everything it started, and a second `up` on the same data dir
shows the example case as it is instead of starting another."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest

from config.settings import PROJECT_ROOT
from reforhandling.prefect_auth import basic_auth_header
from sandbox.kit import free_port
from tests.processes import PROCESS_TEST_TIMEOUT, stop_process
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def up_env(data_dir: Path) -> tuple[dict[str, str], dict[str, int]]:
    names = ("hubspot", "dealbuilder", "licences", "mail", "mail_http", "prefect", "webhook")
    ports = {name: free_port() for name in names}
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "REFORHANDLING_DATA_DIR": str(data_dir),
        "REFORHANDLING_HUBSPOT__BASE_URL": f"http://127.0.0.1:{ports['hubspot']}",
        "REFORHANDLING_DEALBUILDER__BASE_URL": f"http://127.0.0.1:{ports['dealbuilder']}",
        "REFORHANDLING_LICENCES__BASE_URL": f"http://127.0.0.1:{ports['licences']}",
        "REFORHANDLING_MAIL__PORT": str(ports["mail"]),
        "REFORHANDLING_MAIL__SANDBOX_HTTP_PORT": str(ports["mail_http"]),
        "REFORHANDLING_PREFECT__PORT": str(ports["prefect"]),
        "REFORHANDLING_DEALBUILDER__WEBHOOK_PORT": str(ports["webhook"]),
    }
    env.pop("PREFECT_API_URL", None)
    return env, ports


@contextlib.contextmanager
def running_up(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`reforhandling up` with `env` until it is ready: (the process, what it printed)."""
    with log.open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-c", "from reforhandling.cli import app; app()", "up"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "Ctrl-C stops everything" in log.read_text() or up.poll() is not None, "`up` ready")
        assert up.poll() is None, log.read_text()
        yield up, log.read_text()
    finally:
        if up.poll() is None:
            up.kill()


def stop(up: subprocess.Popen[bytes], log: Path, ports: dict[str, int], data_dir: Path) -> None:
    """Ctrl-C, as a person stops it: nothing it started may be left behind."""
    assert stop_process(up, signal.SIGINT) == 0, log.read_text()
    assert "Stopping" in log.read_text()
    assert all(port_is_free(port) for port in ports.values()), ports
    assert processes_of(data_dir) == [], "processes left behind by `up`"


def test_up_starts_the_stack_with_an_example_case_at_approval_and_ctrl_c_stops_it_all_and_a_second_up_shows_it(
    tmp_path: Path,
) -> None:
    first_log = tmp_path / "up.log"
    env, ports = up_env(tmp_path)
    with running_up(env, first_log) as (up, printed):
        run_id = re.search(r"/runs/flow-run/([0-9a-f-]{36})", printed)
        assert run_id, printed
        api = f"http://127.0.0.1:{ports['prefect']}/api"
        # The API is protected: a call without the password printed once (and kept in the data dir) is refused.
        assert httpx.get(f"{api}/flow_runs/{run_id.group(1)}", timeout=10).status_code == 401
        wrong = basic_auth_header("reforhandling:not-the-password")
        assert httpx.get(f"{api}/flow_runs/{run_id.group(1)}", timeout=10, headers=wrong).status_code == 401
        # Every port the stack listens on is bound to the loopback address only.
        assert listening_addresses(ports.values()) == {port: {"127.0.0.1"} for port in ports.values()}
        password = re.search(r"Prefect password:\s+(\S+)", printed)
        assert password and (tmp_path / "prefect-auth").read_text().strip() == password.group(1)
        assert printed.count(password.group(1)) == 1
        auth = basic_auth_header(password.group(1))
        run = httpx.get(f"{api}/flow_runs/{run_id.group(1)}", timeout=10, headers=auth).json()
        assert (run["state"]["type"], run["state"]["state_details"]["pause_key"]) == ("PAUSED", "approval-1")
        assert f"http://127.0.0.1:{ports['dealbuilder']}/sign/" in printed
        # The webhook receiver listens and is registered with Dealbuilder, so a signature resumes its case at once.
        hooks = httpx.get(
            f"http://127.0.0.1:{ports['dealbuilder']}/v1/Webhooks", headers={"x-api-key": "sandbox-key"}, timeout=10
        ).json()
        assert [hook["url"] for hook in hooks["items"]] == [f"http://127.0.0.1:{ports['webhook']}/webhooks/dealbuilder"]
        # The board is there at once, and its link opens its newest version (the table), not the list of versions.
        board = re.search(r"Board of open cases:\s+(\S+)", printed)
        assert board and board.group(1) == f"http://127.0.0.1:{ports['webhook']}/artifacts/reforhandling-cases"
        opened = httpx.get(board.group(1), timeout=10)
        assert opened.status_code == 307, opened.text
        artifact_id = opened.headers["location"].rsplit("/artifacts/artifact/", 1)[1]
        table = httpx.get(f"{api}/artifacts/{artifact_id}", timeout=10, headers=auth).json()
        assert (table["type"], table["key"]) == ("table", "reforhandling-cases")
        example = re.search(r"\((RF-[^;]+); Resume = approve\)", printed)
        assert example, printed
        key = example.group(1)
        assert [row["case"] for row in json.loads(table["data"])] == [key]
        # The example case is closed before the second `up`: it must show it, not start one that fails.
        cancelled = subprocess.run(
            [sys.executable, "-c", "from reforhandling.cli import app; app()", "cancel", key, "--reason", "test"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
        stop(up, first_log, ports, tmp_path)

    # The data dir is private to its user: the case store, logs, the password, the Prefect server's database.
    private = {str(path.relative_to(tmp_path)): stat.S_IMODE(path.stat().st_mode) for path in tmp_path.rglob("*")}
    assert {"cases.db", "logs/server.log", "prefect-auth", "prefect/prefect.db"} <= set(private), sorted(private)
    assert private == {name: 0o700 if (tmp_path / name).is_dir() else 0o600 for name in private}

    second_log = tmp_path / "up-again.log"
    env, ports = up_env(tmp_path)
    with running_up(env, second_log) as (up, printed):
        assert f"/runs/flow-run/{run_id.group(1)}" in printed and f"{key} is CANCELLED" in printed, printed
        assert "up --fresh" in printed
        assert password.group(1) not in printed
        assert f"Prefect password:    kept in {tmp_path / 'prefect-auth'}" in printed
        renegotiations = {"flows": {"name": {"any_": ["renegotiate-agreement"]}}}
        count = f"http://127.0.0.1:{ports['prefect']}/api/flow_runs/count"
        assert httpx.post(count, json=renegotiations, timeout=10, headers=auth).json() == 1, "a second example case"
        stop(up, second_log, ports, tmp_path)


def listening_addresses(ports: Iterable[int]) -> dict[int, set[str]]:
    """The local addresses listening on `ports`, from the kernel's socket tables (IPv4 and IPv6)."""
    wanted = set(ports)
    found: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) in wanted:  # 0A: LISTEN
                found.setdefault(int(port, 16), set()).add(_address(address))
    return found


def _address(hexed: str) -> str:
    if len(hexed) == 8:
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hexed)[::-1])
    words = b"".join(bytes.fromhex(hexed[i : i + 8])[::-1] for i in range(0, 32, 8))
    return socket.inet_ntop(socket.AF_INET6, words)


def processes_of(data_dir: Path) -> list[str]:
    """Every process still alive that `up` started (they all carry its data dir in their environment)."""
    marker = f"REFORHANDLING_DATA_DIR={data_dir}".encode()
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return left
