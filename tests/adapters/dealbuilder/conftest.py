"""The Dealbuilder sandbox on a free port and the real adapter pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from adapters.dealbuilder_contracts import DealbuilderContracts
from config.settings import DealbuilderSettings, RoutineSettings
from models.agreement import Agreement
from models.contract import ContractDraft, ContractLine, Signer
from models.rules import signing_deadline
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.kit import SandboxServer
from sandbox.world import CUSTOMERS

ROUTINE = RoutineSettings()


@pytest.fixture
def sandbox() -> Iterator[tuple[DealbuilderSandbox, SandboxServer]]:
    app = DealbuilderSandbox()
    server = SandboxServer(app, port=0).start()
    try:
        yield app, server
    finally:
        server.stop()


@pytest.fixture
def app(sandbox: tuple[DealbuilderSandbox, SandboxServer]) -> DealbuilderSandbox:
    return sandbox[0]


@pytest.fixture
def server(sandbox: tuple[DealbuilderSandbox, SandboxServer]) -> SandboxServer:
    return sandbox[1]


@pytest.fixture
def settings(server: SandboxServer) -> DealbuilderSettings:
    return DealbuilderSettings(
        base_url=server.url, backoff_seconds=0.0, max_attempts=3, read_timeout=5.0, settle_seconds=0.05
    )


@pytest.fixture
def contracts(settings: DealbuilderSettings) -> Iterator[DealbuilderContracts]:
    adapter = DealbuilderContracts(settings, ROUTINE)
    yield adapter
    adapter.close()


def make_draft(
    agreement: Agreement,
    *,
    case_key: str = "case-5001",
    licences: int = 55,
    price: Decimal = Decimal("1234.50"),
    start: date | None = None,
    deadline: date | None = None,
    today: date,
) -> ContractDraft:
    customer = next(c for c in CUSTOMERS if c.org_number == agreement.org_number)
    return ContractDraft(
        case_key=case_key,
        template=ROUTINE.contract_template,
        title=f"Reforhandling av avtale om Avonova Assist – {agreement.customer_name}",
        agreement=agreement,
        signer=Signer(
            name=f"{customer.signer_first} {customer.signer_last}",
            email=customer.signer_email,
            phone=customer.signer_phone,
        ),
        licences=licences,
        price_per_licence=price,
        start_date=start or today,
        signing_deadline=deadline or signing_deadline(today),
        sender=ROUTINE.contract_sender,
        booker=ROUTINE.contract_booker,
        lines=(
            ContractLine(name=ROUTINE.licence_line, quantity=licences, unit_price=price),
            ContractLine(
                name=ROUTINE.onboarding_line,
                quantity=1,
                unit_price=Decimal("2500.00"),
                discount_percent=Decimal("100"),
            ),
        ),
        deal_id="8001",
    )


def current_agreement(contracts: DealbuilderContracts, org_number: str) -> Agreement:
    """The customer's newest signed Assist agreement, as the routine drafts from it."""
    return max(contracts.signed_agreements(org_number=org_number), key=lambda a: (a.signed_on, a.contract_id))
