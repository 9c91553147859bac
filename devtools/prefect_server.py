"""`prefect server start` for the local stack, with every transaction on its SQLite database taking the write lock
when it begins.

Prefect begins its transactions on SQLite as DEFERRED: one that reads and then writes fails at once with "database
is locked" (a 503 to the client: the UI's Resume dialog shows "Failed to resume flow run") whenever another
connection wrote in between, because SQLite cannot upgrade a reader whose snapshot is stale, and it does so without
waiting for the busy timeout. Begun IMMEDIATE, a transaction waits its turn for the write lock (up to Prefect's busy
timeout, 60 s) and then cannot be refused. SQLite runs one writer at a time either way. Nothing changes on PostgreSQL.

    python -m devtools.prefect_server [the options of `prefect server start`]"""

from __future__ import annotations

import sys
from typing import Any


def take_the_write_lock_at_begin() -> None:
    """Make the server's SQLite transactions BEGIN IMMEDIATE (Prefect uses that itself only for migrations and
    `with_for_update` sessions)."""
    from prefect.server.database import configurations

    def begin_immediate(self: configurations.AioSqliteConfiguration, conn: Any) -> None:
        # Prefect sets a mode only for its explicit transactions; single statements stay in autocommit.
        if configurations.SQLITE_BEGIN_MODE.get() is not None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    # Read when the engine is made (`event.listen(..., self.begin_sqlite_stmt)`), so before the server starts.
    configurations.AioSqliteConfiguration.begin_sqlite_stmt = begin_immediate  # type: ignore[method-assign]


def main() -> None:
    take_the_write_lock_at_begin()
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
