"""`reforhandling demo` as a person runs it: three cases end to end on a fresh embedded stack, and the demo's own
checks of what the sandboxes hold pass. It runs here, among the other process-level tests, rather than after them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT
from tests.processes import DRIVE_BOUND_SECONDS, PROCESS_TEST_TIMEOUT

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT)


def test_the_demo_completes_its_three_cases_and_finds_what_the_routine_requires_in_the_sandboxes(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "reforhandling"), "demo"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "REFORHANDLING_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=DRIVE_BOUND_SECONDS,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "demo: all three cases completed and the sandboxes hold what the routine requires" in done.stdout, output
    table = re.findall(
        r"^(increase within 36 months|small reduction|large reduction)\s+RF-\S+\s+(\S+)", done.stdout, re.M
    )
    assert sorted(table) == [
        ("increase within 36 months", "COMPLETED"),
        ("large reduction", "COMPLETED"),
        ("small reduction", "COMPLETED"),
    ], output
    assert list((tmp_path / "demo").iterdir()), "the demo worked outside the data dir it was given"
