"""Opening the case store again in a process that already has it open keeps that process's SQLite locks: another
process still waits for them. (Closing any descriptor of the file drops every POSIX lock the process holds on it, and
the lost lock let two processes write at once: "database disk image is malformed".)"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from store.database import make_engine

TAKE_THE_WRITE_LOCK = """
import sqlite3, sys
try:
    sqlite3.connect(sys.argv[1], timeout=0).execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError as error:
    print(error)
else:
    print("got the lock")
"""


def another_process_tries_to_write(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", TAKE_THE_WRITE_LOCK, str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_second_engine_on_the_store_keeps_the_write_lock_this_process_holds(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_engine(f"sqlite:///{path}").dispose()
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    assert another_process_tries_to_write(path) == "database is locked"

    make_engine(f"sqlite:///{path}").dispose()

    assert another_process_tries_to_write(path) == "database is locked"
    holder.rollback()
    assert another_process_tries_to_write(path) == "got the lock"
