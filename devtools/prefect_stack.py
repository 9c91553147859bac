"""The embedded Prefect stack for `up` and `demo`: a local Prefect server with its UI (SQLite) and a `serve`
process for the deployments, both child processes that stop with us."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import SecretStr

from config.private_files import PRIVATE_UMASK, private_dir, private_file
from config.settings import PROJECT_ROOT, Settings
from reforhandling.prefect_auth import basic_auth_header


def prefect_env(
    settings: Settings, prefect_home: Path, *, poll_seconds: int = 1, auth: str | None = None
) -> dict[str, str]:
    """Prefect's own settings for the server, the serve process and this process's client; with `auth`, the API
    and the UI ask for it (HTTP basic auth) and every client of ours sends it."""
    api_url = settings.prefect.api_url
    protected = {"PREFECT_SERVER_API_AUTH_STRING": auth, "PREFECT_API_AUTH_STRING": auth} if auth else {}
    return protected | {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": api_url,
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # On SQLite the late-runs service fights the runs for the database lock (FACTS.md).
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(prefect_home / "storage"),
        # How soon serve picks up a started or resumed run: a person waits for it after every start, approval and
        # signature (bench.latency), while one query a second costs the server nothing it notices.
        "PREFECT_RUNNER_POLL_FREQUENCY": str(poll_seconds),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def settings_env(settings: Settings) -> dict[str, str]:
    """REFORHANDLING_* variables that hand our effective endpoints, timeouts and retry settings to the serve
    process's flow runs (secrets stay out: they come from their own variables or Prefect Secret blocks)."""
    env = {
        "REFORHANDLING_PROFILE": settings.profile,
        "REFORHANDLING_DATA_DIR": str(settings.data_dir),
        "REFORHANDLING_DATABASE_URL": settings.effective_database_url,
        "REFORHANDLING_LICENCES__MODE": settings.licence_mode,
        "REFORHANDLING_PREFECT__PORT": str(settings.prefect.port),
        "REFORHANDLING_PREFECT__POLL_INTERVAL_SECONDS": str(settings.prefect.poll_interval_seconds),
    }
    for section in ("hubspot", "dealbuilder", "licences", "mail", "intake"):
        model = getattr(settings, section)
        for name, value in model:
            if isinstance(value, str | int | float | bool) and not isinstance(value, SecretStr):
                env[f"REFORHANDLING_{section.upper()}__{name.upper()}"] = str(value)
    return env


@dataclass
class PrefectStack:
    """A running Prefect server and serve process; `stop` ends both."""

    settings: Settings
    prefect_home: Path
    log_dir: Path
    auth: str | None = None
    # The server's own database (PostgreSQL beyond one machine); None: SQLite under prefect_home.
    server_database_url: str | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        prefect = prefect_env(self.settings, self.prefect_home, auth=self.auth)
        if self.server_database_url:
            prefect["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = self.server_database_url
        return {**os.environ, **prefect, **settings_env(self.settings)}

    def start_server(self, timeout: float = 90.0) -> None:
        """Start `prefect server start` and wait until its API answers."""
        self._spawn(
            "server",
            [
                sys.executable,
                "-m",
                # `prefect server start`, with SQLite's writers waiting their turn rather than refused (see there).
                "devtools.prefect_server",
                "--host",
                self.settings.prefect.host,
                "--port",
                str(self.settings.prefect.port),
            ],
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(f"{self.settings.prefect.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Prefect server did not answer within {timeout:.0f}s; see {self.log_dir / 'server.log'}")

    def start_serve(self) -> None:
        """Start the process that serves the deployments (it runs each flow run in a child process)."""
        self._spawn("serve", [sys.executable, "-m", "deployments.serve"])

    def wait_for_deployment(self, name: str, timeout: float = 60.0) -> str:
        """The id of a deployment once the serve process has registered it."""
        deadline = time.monotonic() + timeout
        url = f"{self.settings.prefect.api_url}/deployments/name/{name}"
        while time.monotonic() < deadline:
            self.check_alive()
            response = httpx.get(url, timeout=5, headers=basic_auth_header(self.auth))
            if response.status_code == 200:
                return str(response.json()["id"])
            time.sleep(0.5)
        raise RuntimeError(f"deployment {name} was not registered within {timeout:.0f}s; see {self.log_dir}")

    def stop(self) -> None:
        """Stop serve and its flow-run processes first, then the server (a run left alone keeps calling a dead
        API); each child leads its own process group, so the whole group goes, grandchildren included."""
        for name in sorted(self.processes, key=lambda name: name != "serve"):
            process = self.processes[name]
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
            # A flow-run process may outlive its parent serve; it is still in the group.
            _signal_group(process, signal.SIGKILL)
        self.processes.clear()

    def _spawn(self, name: str, command: list[str]) -> None:
        # Logs name cases, companies and figures: private to the user, as the data dir is.
        private_dir(self.log_dir)
        with private_file(self.log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=PRIVATE_UMASK,
            )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_dir / f'{name}.log'}")
