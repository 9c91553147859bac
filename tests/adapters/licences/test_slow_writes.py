"""A licence write whose PUT outlives the read timeout: it lands after the adapter gave up on it, and still the
count is written once and no late write can undo a later one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.licence_admin import HttpLicenceAdmin
from config.settings import LicenceSettings
from sandbox.kit import FaultRule, SandboxServer
from sandbox.licences import LicenceSandbox
from sandbox.world import CUSTOMERS
from tests.waiting import wait_until

FJORDKRAFT = CUSTOMERS[0]
# The sandbox holds the first PUT past the read timeout; the adapter waits longer than that before it looks.
READ_TIMEOUT, DELAY, SETTLE = 0.3, 0.8, 1.2


@pytest.fixture
def slow_tolerant(server: SandboxServer) -> Iterator[HttpLicenceAdmin]:
    """The adapter with a short read timeout and a settle time past the sandbox's delay."""
    settings = LicenceSettings(
        base_url=server.url, read_timeout=READ_TIMEOUT, settle_seconds=SETTLE, backoff_seconds=0.01, max_attempts=3
    )
    adapter = HttpLicenceAdmin(settings)
    yield adapter
    adapter.close()


def _wait_until_the_slow_request_landed(app: LicenceSandbox) -> None:
    wait_until(lambda: any(entry["fault"] == "slow" for entry in app.requests("PUT")), "the slow request to land")


def test_a_licence_write_that_outlives_the_read_timeout_is_written_once(
    slow_tolerant: HttpLicenceAdmin, app: LicenceSandbox
) -> None:
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route="^PUT ", count=1)])

    stored = slow_tolerant.set_licences(customer_id=FJORDKRAFT.org_number, licences=55, case_key="case-5001")

    _wait_until_the_slow_request_landed(app)
    assert stored == 55 == app.licences(FJORDKRAFT.org_number)
    assert [(c["before"], c["after"], c["reference"]) for c in app.changes()] == [
        (FJORDKRAFT.licences, 55, "case-5001")
    ]


def test_a_late_licence_write_cannot_undo_a_later_one(slow_tolerant: HttpLicenceAdmin, app: LicenceSandbox) -> None:
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route="^PUT ", count=1)])

    slow_tolerant.set_licences(customer_id=FJORDKRAFT.org_number, licences=55, case_key="case-5001")
    slow_tolerant.set_licences(customer_id=FJORDKRAFT.org_number, licences=60, case_key="case-5002")

    _wait_until_the_slow_request_landed(app)
    assert app.licences(FJORDKRAFT.org_number) == 60
