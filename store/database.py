"""The case store's database: engines for SQLite or PostgreSQL, and its schema brought to the newest migration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import create_engine

from config.private_files import DIR_MODE, private_file

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a migration runs: every run phase opens the store, and nearly always finds the
# schema current (importing Alembic cost about 0.2 CPU-seconds of each run phase's process, bench/RESULTS.md).

MIGRATIONS = Path(__file__).with_name("migrations")
# The revision equal to the tables `SQLModel.metadata.create_all` made before Alembic owned the schema.
FIRST_REVISION = "0001"
# One PostgreSQL advisory lock id for every process that upgrades the case store (any constant will do).
UPGRADE_LOCK_ID = 7_246_331_020


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade_to_head` found and left: revisions (None: no version table), and whether it adopted tables
    made before migrations by stamping them at the first revision."""

    before: str | None
    after: str | None
    adopted: bool = False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL and a busy timeout let the flow runs, the poller and the CLI share one file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL, creating the SQLite folder when missing; the schema is `upgrade_to_head`'s."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # Customers' names and figures: private to its user (SQLite gives the -wal and -shm files the same mode).
        private_file(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade_to_head(url: str) -> Upgrade:
    """Bring the database at `url` to the newest migration; safe to call from many processes at once."""
    engine = make_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine) -> Upgrade:
    """`upgrade_to_head` on an engine the caller keeps."""
    with engine.connect() as connection:
        # Most starts find the schema current: answer without taking the lock, and without Alembic.
        current = _stored_revision(connection)
        connection.rollback()
        if current is not None and current == newest_revision_file():
            return Upgrade(current, current)
    from alembic import command

    head = head_revision()
    with engine.connect() as connection:
        current = _current_revision(connection)
        connection.rollback()
        if current == head:
            return Upgrade(current, current)
        with connection.begin():
            _lock_for_upgrade(connection)
            # Another process may have upgraded while we waited for the lock.
            before = _current_revision(connection)
            adopted = before is None and inspect(connection).has_table("cases")
            if adopted:
                command.stamp(_config(connection), FIRST_REVISION)
            command.upgrade(_config(connection), "head")
            return Upgrade(before, _current_revision(connection), adopted)


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at; None before any migration ran."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return _current_revision(connection)
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(None)).get_current_head()


_REVISION = re.compile(r"^revision\b[^=]*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=]*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


def newest_revision_file() -> str | None:
    """The head revision read from the migration files' `revision` and `down_revision` lines, without importing
    Alembic; None when that is not one revision (Alembic then decides). Equal to `head_revision()` (a test)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        downs.update(_DOWN_REVISION.findall(source))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _config(connection: Connection | None) -> Config:
    from alembic.config import Config

    # In code rather than an alembic.ini: the migrations run on the connection we hand them (env.py reads it).
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revision(connection: Connection) -> str | None:
    """The version table's one revision, read with plain SQL; None when there is no table or not one row."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def _lock_for_upgrade(connection: Connection) -> None:
    """Hold the database's write lock until the upgrade's transaction ends, so one process upgrades at a time."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": UPGRADE_LOCK_ID})
    elif connection.dialect.name == "sqlite":
        # Python's sqlite3 runs DDL outside any transaction unless one is open: open it, taking the file's write lock
        # now (a second process waits out busy_timeout here) so the check above and the DDL below are one transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
