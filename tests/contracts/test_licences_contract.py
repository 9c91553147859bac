"""The LicenceAdmin port's contract, on FakeLicences and on HttpLicenceAdmin against the licence sandbox: read,
set once per case (a repeated set writes nothing), refusals and unknown customers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from adapters.errors import NotFoundError, ValidationRejected
from adapters.licence_admin import HttpLicenceAdmin
from adapters.ports import LicenceAdmin
from fakes import FakeLicences
from sandbox.stack import SandboxStack
from sandbox.world import CUSTOMERS
from tests.contracts.conftest import sandbox_settings
from tests.contracts.world import seeded_licences

FJORDKRAFT = CUSTOMERS[0]
UNKNOWN = "999999999"


@dataclass
class LicencesWorld:
    licences: LicenceAdmin
    writes: Callable[[], list[tuple[str, int, int, str]]]  # (customer, before, after, reference), oldest first


@pytest.fixture
def world(target_kind: str, request: pytest.FixtureRequest) -> Iterator[LicencesWorld]:
    if target_kind == "fake":
        fake = seeded_licences()
        yield LicencesWorld(fake, lambda: [(c.customer_id, c.before, c.after, c.reference) for c in fake.changes])
        return
    sandboxes: SandboxStack = request.getfixturevalue("sandboxes")
    app = sandboxes.licences
    app.reset()
    app.faults.set([])
    adapter = HttpLicenceAdmin(sandbox_settings(sandboxes).licences)
    try:
        yield LicencesWorld(
            adapter,
            lambda: [(c["customerId"], c["before"], c["after"], c["reference"]) for c in app.changes()],
        )
    finally:
        adapter.close()


def test_reads_the_customers_count(world: LicencesWorld) -> None:
    for customer in CUSTOMERS:
        if customer.licence_system_count is not None:
            assert world.licences.read_licences(customer_id=customer.org_number) == customer.licence_system_count
    assert world.licences.requires_confirmation is False


def test_set_once_per_case(world: LicencesWorld) -> None:
    org = FJORDKRAFT.org_number
    before = world.licences.read_licences(customer_id=org)
    assert world.licences.set_licences(customer_id=org, licences=35, case_key="case-1") == 35
    assert world.licences.set_licences(customer_id=org, licences=35, case_key="case-1") == 35
    assert world.licences.read_licences(customer_id=org) == 35
    assert world.writes() == [(org, before, 35, "case-1")]


def test_another_case_setting_the_same_count_writes_it(world: LicencesWorld) -> None:
    org = FJORDKRAFT.org_number
    world.licences.set_licences(customer_id=org, licences=35, case_key="case-1")
    world.licences.set_licences(customer_id=org, licences=35, case_key="case-2")
    assert [write[3] for write in world.writes()] == ["case-1", "case-2"]


def test_a_negative_count_is_refused(world: LicencesWorld) -> None:
    with pytest.raises(ValidationRejected):
        world.licences.set_licences(customer_id=FJORDKRAFT.org_number, licences=-1, case_key="case-1")
    assert world.writes() == []


@pytest.mark.parametrize(
    "call",
    [
        lambda licences: licences.read_licences(customer_id=UNKNOWN),
        lambda licences: licences.set_licences(customer_id=UNKNOWN, licences=3, case_key="case-1"),
    ],
    ids=["read", "set"],
)
def test_an_unknown_customer_is_not_found(world: LicencesWorld, call: Callable[[LicenceAdmin], object]) -> None:
    with pytest.raises(NotFoundError):
        call(world.licences)
    assert world.writes() == []


def test_fake_is_a_licence_admin() -> None:
    # mypy checks this assignment: the fake implements the port exactly.
    licences: LicenceAdmin = FakeLicences()
    assert licences.requires_confirmation is False
