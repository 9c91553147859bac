"""The ContractService port's contract, on FakeContracts and on DealbuilderContracts against the Dealbuilder
sandbox: agreements, one draft per case key, the checked draft update, send once, status, signing day, decline,
expiry, extend and resend, cancel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from adapters.dealbuilder_contracts import DealbuilderContracts
from adapters.errors import ConfigurationError, NotFoundError, ValidationRejected
from adapters.ports import ContractService
from config.settings import DealbuilderSettings, RoutineSettings
from fakes import FakeContracts
from models.agreement import Agreement
from models.contract import Contract, ContractDraft, ContractState, Signer
from sandbox.stack import SandboxStack
from sandbox.world import CUSTOMERS
from tests.adapters.dealbuilder.conftest import make_draft
from tests.contracts.conftest import FAST, moment, sandbox_settings
from tests.contracts.world import seeded_contracts

ROUTINE = RoutineSettings()
FJORDKRAFT = CUSTOMERS[0]
CASE = "case-contract-7"


@dataclass
class ContractsWorld:
    """The port, and the other side of it: the signer, a person in Dealbuilder, and the provider's clock."""

    contracts: ContractService
    today: Callable[[], date]
    set_today: Callable[[date], None]
    sign: Callable[[str], object]
    decline: Callable[[str], object]
    someone_edits: Callable[[str, int], object]  # contract id, licence quantity
    sendings: Callable[[str], int]  # signing requests e-mailed for a contract

    def draft(self, *, case_key: str = CASE, **changes: object) -> ContractDraft:
        """The routine's draft from the first customer's current agreement."""
        agreement = current(self.contracts, FJORDKRAFT.org_number)
        return make_draft(agreement, case_key=case_key, today=self.today()).model_copy(update=changes)

    def sent(self) -> Contract:
        contract = self.contracts.find_or_create_draft(draft=self.draft())
        return self.contracts.send(contract_id=contract.id, signing_deadline=self.today() + timedelta(days=7))


def current(contracts: ContractService, org_number: str) -> Agreement:
    return max(contracts.signed_agreements(org_number=org_number), key=lambda a: (a.signed_on, a.contract_id))


def _fake() -> ContractsWorld:
    today = date.today()
    fake = seeded_contracts(today, FakeContracts(settings=DealbuilderSettings(**FAST), today=today))
    return ContractsWorld(
        contracts=fake,
        today=lambda: fake.today,
        set_today=fake.set_today,
        sign=fake.sign,
        decline=fake.decline,
        someone_edits=lambda contract_id, licences: fake.someone_edits(contract_id, licences=licences),
        sendings=lambda contract_id: sum(d.contract_id == contract_id for d in fake.deliveries),
    )


def _sandbox(sandboxes: SandboxStack) -> Iterator[ContractsWorld]:
    app = sandboxes.dealbuilder
    app.reset()
    app.faults.set([])
    settings = sandbox_settings(sandboxes)
    adapter = DealbuilderContracts(settings.dealbuilder, settings.routine)
    try:
        yield ContractsWorld(
            contracts=adapter,
            today=lambda: app.today,
            set_today=app.set_today,
            sign=app.sign,
            decline=app.decline,
            someone_edits=lambda contract_id, licences: app.set_product(
                contract_id, ROUTINE.licence_line, quantity=licences
            ),
            sendings=lambda contract_id: sum(d["channel"] == "email" for d in app.deliveries(contract_id)),
        )
    finally:
        adapter.close()


@pytest.fixture
def world(target_kind: str, request: pytest.FixtureRequest) -> Iterator[ContractsWorld]:
    if target_kind == "fake":
        yield _fake()
    else:
        yield from _sandbox(request.getfixturevalue("sandboxes"))


# --- agreements -----------------------------------------------------------------------------------------------------
def test_signed_agreements_are_the_customers_assist_agreements(world: ContractsWorld) -> None:
    for customer in CUSTOMERS:
        found = world.contracts.signed_agreements(org_number=customer.org_number)
        seeded = [d for d in customer.documents if d.status == "Signed" and d.licences is not None]
        assert sorted((a.contract_id, a.licences, a.price_per_licence, a.signed_on) for a in found) == sorted(
            (d.id, d.licences, d.price_per_licence, d.signed_on(world.today())) for d in seeded
        ), customer.name
    agreement = current(world.contracts, FJORDKRAFT.org_number)
    assert (agreement.customer_name, agreement.org_number, agreement.template) == (
        FJORDKRAFT.name,
        FJORDKRAFT.org_number,
        "Avtale om Avonova Assist",
    )
    assert agreement.terms["bindingstid"] == "12 måneder"
    assert [line.name for line in agreement.lines] == [ROUTINE.licence_line, ROUTINE.onboarding_line]
    assert world.contracts.signed_agreements(org_number="000000000") == []


# --- drafts ---------------------------------------------------------------------------------------------------------
def test_find_or_create_draft_never_makes_two(world: ContractsWorld) -> None:
    first = world.contracts.find_or_create_draft(draft=world.draft())
    second = world.contracts.find_or_create_draft(draft=world.draft(licences=99))
    assert second.id == first.id
    assert (first.state, first.raw_status, first.case_key) == (ContractState.DRAFT, "Draft", CASE)
    assert (first.licences, first.price_per_licence) == (55, Decimal("1234.50"))
    assert (first.start_date, first.signed_on) == (world.today(), None)
    assert first.preview_url and len(first.signing_urls) == 1


def test_an_unknown_template_is_a_configuration_error(world: ContractsWorld) -> None:
    with pytest.raises(ConfigurationError):
        world.contracts.find_or_create_draft(draft=world.draft(template="Finnes ikke"))


def test_preview_shows_the_draft_as_held(world: ContractsWorld) -> None:
    draft = world.draft()
    contract = world.contracts.find_or_create_draft(draft=draft)
    preview = world.contracts.preview(contract_id=contract.id)
    assert preview.contract_id == contract.id and preview.url
    assert preview.lines == draft.lines
    assert preview.signer == Signer(name=draft.signer.name, email=draft.signer.email, phone=draft.signer.phone)
    assert (preview.start_date, preview.signing_deadline) == (draft.start_date, draft.signing_deadline)
    assert (preview.sender, preview.booker) == (ROUTINE.contract_sender, ROUTINE.contract_booker)


def test_update_draft_changes_the_licence_line_and_dates(world: ContractsWorld) -> None:
    draft = world.draft()
    discounted = (draft.lines[0].model_copy(update={"discount_percent": Decimal("10")}), *draft.lines[1:])
    contract = world.contracts.find_or_create_draft(draft=draft.model_copy(update={"lines": discounted}))
    deadline, start = world.today() + timedelta(days=10), world.today() + timedelta(days=20)
    outcome = world.contracts.update_draft(
        contract_id=contract.id,
        licences=48,
        price_per_licence=Decimal("1100.00"),
        signing_deadline=deadline,
        start_date=start,
    )
    # The new price is what the customer pays: the licence line's discount goes.
    assert (outcome.kept, outcome.ours) == (
        {},
        {
            "quantity": "48",
            "unitPrice": "1100.00",
            "discountPercent": "0",
            "validUntil": deadline.isoformat(),
            "startDate": start.isoformat(),
        },
    )
    read = world.contracts.read_status(contract_id=contract.id)
    assert (read.licences, read.price_per_licence, read.signing_deadline, read.start_date) == (
        48,
        Decimal("1100.00"),
        deadline,
        start,
    )
    licence = next(
        line for line in world.contracts.preview(contract_id=contract.id).lines if line.name.endswith("lisens")
    )
    assert licence.discount_percent == 0


def test_update_draft_keeps_a_change_someone_made_since(world: ContractsWorld) -> None:
    contract = world.contracts.find_or_create_draft(draft=world.draft())
    since = moment()
    world.someone_edits(contract.id, 60)
    outcome = world.contracts.update_draft(
        contract_id=contract.id,
        licences=48,
        price_per_licence=Decimal("1100.00"),
        signing_deadline=world.today() + timedelta(days=10),
        since=since,
    )
    assert outcome.kept.get("quantity") == "60" and not outcome.restored
    assert world.contracts.read_status(contract_id=contract.id).licences == 60


def test_update_draft_since_with_nothing_changed_writes(world: ContractsWorld) -> None:
    contract = world.contracts.find_or_create_draft(draft=world.draft())
    outcome = world.contracts.update_draft(
        contract_id=contract.id,
        licences=48,
        price_per_licence=Decimal("1100.00"),
        signing_deadline=world.today() + timedelta(days=10),
        since=moment(),
    )
    assert outcome.kept == {}
    assert world.contracts.read_status(contract_id=contract.id).licences == 48


def test_update_of_a_sent_contract_is_refused(world: ContractsWorld) -> None:
    contract = world.sent()
    with pytest.raises(ValidationRejected):
        world.contracts.update_draft(
            contract_id=contract.id,
            licences=48,
            price_per_licence=Decimal("1100.00"),
            signing_deadline=world.today() + timedelta(days=10),
        )


# --- send, status ---------------------------------------------------------------------------------------------------
def test_send_once(world: ContractsWorld) -> None:
    sent = world.sent()
    again = world.contracts.send(contract_id=sent.id, signing_deadline=world.today() + timedelta(days=3))
    assert (sent.state, sent.raw_status, sent.signing_deadline) == (
        ContractState.SENT,
        "Sent",
        world.today() + timedelta(days=7),
    )
    assert (again.state, again.signing_deadline) == (ContractState.SENT, world.today() + timedelta(days=7))
    assert world.sendings(sent.id) == 1


def test_send_with_a_deadline_already_past_is_refused(world: ContractsWorld) -> None:
    contract = world.contracts.find_or_create_draft(draft=world.draft())
    with pytest.raises(ValidationRejected):
        world.contracts.send(contract_id=contract.id, signing_deadline=world.today() - timedelta(days=1))
    assert world.contracts.read_status(contract_id=contract.id).state == ContractState.DRAFT
    assert world.sendings(contract.id) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda contracts: contracts.read_status(contract_id="DB-999999"),
        lambda contracts: contracts.preview(contract_id="DB-999999"),
        lambda contracts: contracts.cancel(contract_id="DB-999999"),
        lambda contracts: contracts.extend_and_resend(contract_id="DB-999999", signing_deadline=date.today()),
    ],
    ids=["status", "preview", "cancel", "resend"],
)
def test_a_missing_contract_is_not_found(world: ContractsWorld, call: Callable[[ContractService], object]) -> None:
    with pytest.raises(NotFoundError):
        call(world.contracts)


def test_read_statuses_leaves_out_missing_ones(world: ContractsWorld) -> None:
    contract = world.contracts.find_or_create_draft(draft=world.draft())
    found = world.contracts.read_statuses(contract_ids=[contract.id, "DB-999999", contract.id])
    assert list(found) == [contract.id]
    assert found[contract.id] == world.contracts.read_status(contract_id=contract.id)


# --- the signer -----------------------------------------------------------------------------------------------------
def test_signed_on_the_providers_day_and_then_an_agreement(world: ContractsWorld) -> None:
    contract = world.sent()
    day = world.today() + timedelta(days=2)
    world.set_today(day)
    world.sign(contract.id)
    signed = world.contracts.read_status(contract_id=contract.id)
    assert (signed.state, signed.raw_status, signed.signed_on) == (ContractState.SIGNED, "Signed", day)
    newest = current(world.contracts, FJORDKRAFT.org_number)
    assert (newest.contract_id, newest.licences, newest.signed_on) == (contract.id, 55, day)
    assert newest.template == ROUTINE.contract_template and newest.sender == ROUTINE.contract_sender


def test_a_signed_contract_cannot_be_cancelled_or_resent(world: ContractsWorld) -> None:
    contract = world.sent()
    world.sign(contract.id)
    with pytest.raises(ValidationRejected):
        world.contracts.cancel(contract_id=contract.id)
    with pytest.raises(ValidationRejected):
        world.contracts.extend_and_resend(contract_id=contract.id, signing_deadline=world.today() + timedelta(days=9))
    assert world.contracts.read_status(contract_id=contract.id).state == ContractState.SIGNED


def test_declined_then_extended_and_resent(world: ContractsWorld) -> None:
    contract = world.sent()
    world.decline(contract.id)
    assert world.contracts.read_status(contract_id=contract.id).state == ContractState.DECLINED
    deadline = world.today() + timedelta(days=14)
    resent = world.contracts.extend_and_resend(contract_id=contract.id, signing_deadline=deadline)
    assert (resent.state, resent.signing_deadline) == (ContractState.SENT, deadline)
    assert world.sendings(contract.id) == 2


def test_expires_after_its_deadline_and_is_resent(world: ContractsWorld) -> None:
    contract = world.sent()
    world.set_today(world.today() + timedelta(days=8))
    expired = world.contracts.read_status(contract_id=contract.id)
    assert (expired.state, expired.raw_status) == (ContractState.EXPIRED, "Expired")
    deadline = world.today() + timedelta(days=7)
    resent = world.contracts.extend_and_resend(contract_id=contract.id, signing_deadline=deadline)
    assert (resent.state, resent.signing_deadline) == (ContractState.SENT, deadline)
    again = world.contracts.extend_and_resend(contract_id=contract.id, signing_deadline=deadline)
    assert again.state == ContractState.SENT and world.sendings(contract.id) == 2


def test_extend_and_resend_of_a_draft_sends_it(world: ContractsWorld) -> None:
    contract = world.contracts.find_or_create_draft(draft=world.draft())
    deadline = world.today() + timedelta(days=5)
    sent = world.contracts.extend_and_resend(contract_id=contract.id, signing_deadline=deadline)
    assert (sent.state, sent.signing_deadline) == (ContractState.SENT, deadline)
    assert world.sendings(contract.id) == 1


# --- cancel ---------------------------------------------------------------------------------------------------------
def test_cancel_once_and_the_case_key_still_finds_it(world: ContractsWorld) -> None:
    contract = world.sent()
    cancelled = world.contracts.cancel(contract_id=contract.id)
    again = world.contracts.cancel(contract_id=contract.id)
    assert (cancelled.state, cancelled.raw_status, again.state) == (
        ContractState.CANCELED,
        "Revoked",
        ContractState.CANCELED,
    )
    # A cancelled contract is the case's contract while no live one exists: a replay does not draft a second.
    assert world.contracts.find_or_create_draft(draft=world.draft()).id == contract.id


def test_fake_is_a_contract_service() -> None:
    # mypy checks this assignment: the fake implements the port exactly.
    contracts: ContractService = FakeContracts()
    assert contracts.signed_agreements(org_number=FJORDKRAFT.org_number) == []
