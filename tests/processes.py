"""Stopping a process a test started: wait for it to end, however long a loaded machine takes, then kill."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess

# A process asked to stop gets this long before it is killed: a loaded machine can take minutes, and a test asserts
# on what the stop left behind (runs' states, records), never on how soon it came.
STOP_BOUND_SECONDS = 300.0
# A test that runs the stack's processes (tests/e2e) gets this long in all: minutes on a quiet machine, many more
# beside the other xdist workers and whatever else the machine runs. Its own waits are for states.
PROCESS_TEST_TIMEOUT = 1800
# How long such a test drives its cases before it lists the ones still open: below its timeout, so that a failure says
# which cases and why rather than only where the test was.
DRIVE_BOUND_SECONDS = PROCESS_TEST_TIMEOUT - 300
# A server a test starts gets this long to answer: each xdist worker starts its own (PostgreSQL, Prefect) side by side
# on a machine that may be busy with more; a quiet one takes a few seconds.
STARTUP_BOUND_SECONDS = 300.0


def stop_process(
    process: subprocess.Popen[bytes] | subprocess.Popen[str],
    signum: signal.Signals = signal.SIGTERM,
    *,
    group: bool = False,
    bound: float = STOP_BOUND_SECONDS,
) -> int | None:
    """Send `signum` (to the process's group with `group`) and wait for the process to end; past `bound` kill it
    (and its group). Its exit status, or None when it had to be killed."""
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(process.pid, signum)
        elif process.poll() is None:
            process.send_signal(signum)
    try:
        return process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
        process.wait()
        return None
