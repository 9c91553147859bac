"""Fixtures shared by the test folders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_LOCAL_STORAGE_PATH,
    PREFECT_LOGGING_TO_API_ENABLED,
    PREFECT_RESULTS_PERSIST_BY_DEFAULT,
    PREFECT_SERVER_ANALYTICS_ENABLED,
    temporary_settings,
)
from prefect.testing.utilities import prefect_test_harness

from config.settings import PROJECT_ROOT, Settings
from devtools.prefect_stack import PrefectStack
from sandbox.kit import free_port
from sandbox.stack import SandboxStack
from tests.postgres import create_database, postgres_server


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        help="run the Prefect server and the case store on PostgreSQL (Debian's postgresql, started here)",
    )


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The URL of a PostgreSQL server for this session with --postgres, else None (SQLite)."""
    if not request.config.getoption("--postgres"):
        yield None
        return
    with postgres_server() as url:
        yield url


@pytest.fixture
def case_store_url(postgres_url: str | None, request: pytest.FixtureRequest) -> str | None:
    """A fresh case store database per test on PostgreSQL; None: the test's own SQLite file."""
    if postgres_url is None:
        return None
    return create_database(postgres_url, f"cases_{uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[SandboxStack]:
    """The four sandboxes for the session (flow and contract tests); reset them to the seeded world before use."""
    with SandboxStack.start(Settings(), free_ports=True) as stack:
        # Flow and contract tests are about the routine and the ports, not HubSpot's rate limit (the adapter tests
        # ride that out).
        stack.hubspot.rate_limit = 10_000
        yield stack


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None) -> Iterator[str]:
    """A Prefect test server for the session (about 10 s to start); yields its API URL. With --postgres, a real
    `prefect server start` on PostgreSQL instead of the harness's SQLite."""
    storage = tmp_path_factory.mktemp("results")
    with temporary_settings(
        {
            PREFECT_LOCAL_STORAGE_PATH: storage,
            PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
            PREFECT_SERVER_ANALYTICS_ENABLED: False,
            # Run logs stay on stderr (pytest shows them on failure); shipping them to the API only costs time.
            PREFECT_LOGGING_TO_API_ENABLED: False,
        }
    ):
        if postgres_url is None:
            with prefect_test_harness(server_startup_timeout=60):
                yield str(PREFECT_API_URL.value())
            return
        with (
            prefect_server_on(postgres_url, tmp_path_factory.mktemp("prefect")) as api,
            temporary_settings({PREFECT_API_URL: api}),
        ):
            yield api


@contextmanager
def prefect_server_on(postgres_url: str, home: Path) -> Iterator[str]:
    """`prefect server start` with its database on PostgreSQL; yields the API URL."""
    database = create_database(postgres_url, "prefect").replace("+psycopg", "+asyncpg")
    base = Settings(data_dir=home)
    settings = base.model_copy(update={"prefect": base.prefect.model_copy(update={"port": free_port()})})
    stack = PrefectStack(settings, home / "prefect", home / "logs", server_database_url=database)
    try:
        stack.start_server()
        yield settings.prefect.api_url
    finally:
        stack.stop()


def prefect_cli(env: dict[str, str], *args: str) -> str:
    """Run Prefect's own CLI from the repository root with `env`; fail the test with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
