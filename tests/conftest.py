"""Fixtures shared by the test folders."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect test server for the session (about 10 s to start); yields its API URL."""
    storage = tmp_path_factory.mktemp("results")
    with (
        temporary_settings(
            {
                PREFECT_LOCAL_STORAGE_PATH: storage,
                PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
                PREFECT_SERVER_ANALYTICS_ENABLED: False,
                # Run logs stay on stderr (pytest shows them on failure); shipping them to the API only costs time.
                PREFECT_LOGGING_TO_API_ENABLED: False,
            }
        ),
        prefect_test_harness(server_startup_timeout=60),
    ):
        yield str(PREFECT_API_URL.value())
