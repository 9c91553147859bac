"""Contract suites: each behaviour test runs twice, on the fake and on the real adapter against its sandbox (the
session's sandbox stack, reset to the seeded world before each test), so a fake that drifts fails its suite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.settings import DealbuilderSettings, HubSpotSettings, LicenceSettings, Settings
from sandbox.stack import SandboxStack

TARGETS = ["fake", "sandbox"]
# Fast retries, and no tolerance for clock skew: the fake and the sandbox run on this machine's clock.
FAST = {"backoff_seconds": 0.001, "read_timeout": 5.0, "settle_seconds": 0.05, "clock_skew_seconds": 0.0}


def sandbox_settings(sandboxes: SandboxStack) -> Settings:
    """Settings whose endpoints are the session's sandboxes, with fast retries."""
    return sandboxes.configure(
        Settings(
            hubspot=HubSpotSettings(**FAST, rate_limit_name=""),
            dealbuilder=DealbuilderSettings(**FAST),
            licences=LicenceSettings(**FAST),
        )
    )


def moment() -> datetime:
    """A `since` for a checked write: the next millisecond (the sandboxes stamp changes to the millisecond), so that
    every change made before is older than it and every change made after is not."""
    start = _millisecond()
    while (now := _millisecond()) == start:
        pass
    return now


def _millisecond() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@pytest.fixture(params=TARGETS)
def target_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
