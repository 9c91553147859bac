"""The store's tests run on both databases it supports: SQLite locally, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from tests.postgres import create_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, with or without --postgres (the store's SQL differs by database): a SQLite
    file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    return create_database(request.getfixturevalue("postgres_server_url"), f"cases_{uuid4().hex[:12]}")
