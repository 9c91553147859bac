"""The HubSpot sandbox on a free port and HubSpotCrm pointed at it through the real SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from adapters.hubspot_crm import HubSpotCrm
from adapters.portal_cache import MemoryPortalCache
from config.settings import HubSpotSettings, RoutineSettings
from models.crm import DealDraft
from sandbox.hubspot import HubSpotSandbox
from sandbox.kit import FaultPlan, FaultRule, SandboxServer
from sandbox.world import CUSTOMERS

AGENT = "agent@avonova.example"
AGENT_OWNER_ID = "7001"
ASSIST_PIPELINE, WAITING_STAGE = "87654321", "87654323"
KUNDESENTER_PIPELINE, SENT_STAGE = "81234567", "81234570"


@dataclass
class Portal:
    """A running sandbox and a factory for adapters pointed at it."""

    app: HubSpotSandbox
    server: SandboxServer
    routine: RoutineSettings = field(default_factory=RoutineSettings)
    # One portal cache for the test's adapters, as the case store is one for every process of a stack.
    cache: MemoryPortalCache = field(default_factory=MemoryPortalCache)

    def settings(self, **overrides: Any) -> HubSpotSettings:
        values: dict[str, Any] = {
            "base_url": self.server.url,
            "backoff_seconds": 0.001,
            "max_attempts": 4,
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "settle_seconds": 0.05,
        }
        return HubSpotSettings(**(values | overrides))

    def crm(self, routine: RoutineSettings | None = None, **overrides: Any) -> HubSpotCrm:
        return HubSpotCrm(self.settings(**overrides), routine or self.routine, cache=self.cache)

    def faults(self, *rules: FaultRule, seed: int = 0) -> None:
        self.app.faults.set(list(rules), seed)

    def posts(self, path: str) -> list[dict[str, Any]]:
        return self.app.requests("POST", path)


@pytest.fixture
def portal_factory() -> Iterator[Callable[..., Portal]]:
    servers: list[SandboxServer] = []

    def start(**options: Any) -> Portal:
        app = HubSpotSandbox(faults=FaultPlan(), **({"rate_window": 1.0} | options))
        server = SandboxServer(app, port=0).start()
        servers.append(server)
        return Portal(app, server)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def portal(portal_factory: Callable[..., Portal]) -> Portal:
    return portal_factory()


@pytest.fixture
def crm(portal: Portal) -> HubSpotCrm:
    return portal.crm()


def draft(case_key: str = "case-5001", customer_index: int = 0, *, licences: int = 30) -> DealDraft:
    customer = CUSTOMERS[customer_index]
    return DealDraft(
        case_key=case_key,
        name=f"{customer.name} - REFORHANDLING",
        close_date=date(2024, 10, 6),
        delivery_start=date(2024, 10, 4),
        licences=licences,
        agent_email=AGENT,
        company_id=customer.company_id,
        contact_id=str(3001 + customer_index),
        ticket_id=customer.ticket_id,
    )
