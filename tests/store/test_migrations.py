from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from decimal import Decimal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from config.settings import get_settings
from models.case import CaseState
from models.renegotiation import RenegotiationRequest
from reforhandling.cli import app
from store.case_store import CaseStore
from store.database import Upgrade, head_revision, make_engine, newest_revision_file, upgrade_to_head
from tests.old_case_store import OLD_CASE_KEY, OLD_SIGNER_NAME, create_old_case_store

runner = CliRunner()


@pytest.fixture
def db_upgrade(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[str]]]:
    """`reforhandling db upgrade` on the test's database; each call returns the lines it printed."""
    monkeypatch.setenv("REFORHANDLING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REFORHANDLING_DATABASE_URL", database_url)
    get_settings.cache_clear()

    def upgrade() -> list[str]:
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    yield upgrade
    get_settings.cache_clear()


def schema_differences(url: str) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the models (nothing, when in step)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))
    finally:
        engine.dispose()


def test_db_upgrade_adopts_a_store_made_before_migrations_keeping_its_case_and_adding_the_signer_name(
    database_url: str, db_upgrade: Callable[[], list[str]]
) -> None:
    create_old_case_store(database_url)

    before, after = db_upgrade()[1:]

    assert (before, after) == (
        "before: none (tables made before migrations; stamped 0001)",
        f"after:  {head_revision()}",
    )
    assert schema_differences(database_url) == []
    store = CaseStore(database_url)
    old = store.get(OLD_CASE_KEY)
    assert (old.ticket_id, old.state, old.licences_after, old.price_after) == (
        "5002",
        CaseState.STARTED,
        54,
        Decimal("420.00"),
    )
    # The name the old code kept only in the "opened" event is copied to the case, where enrichment reads it.
    assert old.signer_name == OLD_SIGNER_NAME
    new = store.open_case(
        RenegotiationRequest(
            ticket_id="5001",
            signer_email="nora.ny@fjordkraftbygg.example",
            signer_name="Nora Ny",
            licences=45,
            price_per_licence=Decimal("450"),
            agent_email="agent@avonova.example",
        ),
        actor="agent",
    )
    assert store.get(new.case_key).signer_name == "Nora Ny"
    store.engine.dispose()


def test_a_second_db_upgrade_changes_nothing(database_url: str, db_upgrade: Callable[[], list[str]]) -> None:
    first = db_upgrade()
    second = db_upgrade()

    head = head_revision()
    assert first[1:] == ["before: none", f"after:  {head}"]
    assert second[1:] == [f"before: {head}", f"after:  {head} (already the newest)"]
    assert schema_differences(database_url) == []
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
    engine.dispose()


def _upgrade_in_a_process(url: str, barrier: Barrier, results: Queue[Upgrade]) -> None:
    barrier.wait()
    results.put(upgrade_to_head(url))


def test_stores_starting_at_once_on_a_new_database_migrate_it_once(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(3), context.Queue()
    processes = [context.Process(target=_upgrade_in_a_process, args=(database_url, barrier, results)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()

    assert [process.exitcode for process in processes] == [0, 0, 0]
    head = head_revision()
    done = sorted((results.get(timeout=5) for _ in processes), key=lambda u: u.before or "")
    assert done == [Upgrade(None, head), Upgrade(head, head), Upgrade(head, head)]


def test_the_head_read_from_the_migration_files_without_alembic_is_alembics_head() -> None:
    # Every run phase trusts the cheap reading to skip Alembic; a revision it misread would skip an upgrade.
    assert newest_revision_file() == head_revision()
