"""The fault soak, CI-sized: cases through the deployed flow, with the webhook receiver, while every sandbox injects
faults (issues 9, 22)."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from devtools.soak import run_soak


def test_cases_under_faults_on_every_system_all_complete_with_no_duplicate(tmp_path: Path) -> None:
    # A generous bound: a loaded machine is slow, and what counts is that every case completes, once.
    report = run_soak(Settings(data_dir=tmp_path), cases=3, seed=3, seconds_per_case=150)

    assert report.problems == []
    assert (report.completed, dict(report.duplicates)) == (3, {})
    injected = {kind.split()[0] for kind in report.faults}
    assert {"hubspot", "dealbuilder"} <= injected, report.faults
    # The receiver ran, as on `up`: every signature was delivered to it (the poller is the backstop).
    assert report.webhook_attempts >= 3, report.lines()
