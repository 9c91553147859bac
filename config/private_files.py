"""The local stack's data dir is private to its user: the case store, the logs, the Prefect password and the Prefect
server's database hold customers' names, figures and a secret. Folders 0700, files 0600."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as a folder only its user can enter; an existing one is made so too."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty, readable and writable by its user only, unless it exists (then made so)."""
    # An existing file is never opened here: closing any descriptor of a file drops every POSIX lock this process
    # holds on it, and SQLite's locks on the case store are such locks (a second engine in a process that had one
    # open let another process write under its feet: "database disk image is malformed"; sqlite.org/howtocorrupt.html).
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    path.chmod(FILE_MODE)
    return path


# For processes that write into the data dir (the Prefect server's database, serve's results): private from birth.
PRIVATE_UMASK = 0o077


def make_private(data_dir: Path) -> None:
    """Make the data dir and everything already in it private (a data dir made before this rule, or by hand)."""
    private_dir(data_dir)
    for path in data_dir.rglob("*"):
        if path.is_symlink():
            continue
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
