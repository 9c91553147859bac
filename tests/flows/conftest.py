"""Flow tests: the real flow, run in this process against a Prefect test server and the four sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, PREFECT_RESULTS_PERSIST_BY_DEFAULT, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from adapters.licence_admin import ManualLicenceAdmin
from flows.poll_signatures import poll_signatures
from flows.renegotiation import renegotiate_agreement
from models.case import Case
from models.renegotiation import RenegotiationRequest
from reforhandling.settings import (
    DealbuilderSettings,
    HubSpotSettings,
    LicenceSettings,
    MailSettings,
    Settings,
)
from reforhandling.starting import start_case
from reforhandling.wiring import Runtime, build_runtime, use_runtime
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.hubspot import HubSpotSandbox
from sandbox.kit import SandboxServer
from sandbox.licences import LicenceSandbox
from sandbox.smtp import SmtpSandbox


@dataclass
class Sandboxes:
    hubspot: HubSpotSandbox
    dealbuilder: DealbuilderSandbox
    licences: LicenceSandbox
    smtp: SmtpSandbox
    urls: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        for app in (self.hubspot, self.dealbuilder, self.licences):
            app.reset()
            app.faults.set([])
        self.smtp.clear()


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[Sandboxes]:
    apps = (HubSpotSandbox(rate_limit=10_000), DealbuilderSandbox(), LicenceSandbox())
    servers = [SandboxServer(app).start() for app in apps]
    smtp = SmtpSandbox().start()
    found = Sandboxes(*apps, smtp=smtp, urls={s.app.name: s.url for s in servers})  # type: ignore[arg-type]
    yield found
    smtp.stop()
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UUID]:
    storage = tmp_path_factory.mktemp("results")
    with (
        temporary_settings({PREFECT_LOCAL_STORAGE_PATH: storage, PREFECT_RESULTS_PERSIST_BY_DEFAULT: True}),
        prefect_test_harness(server_startup_timeout=60),
    ):
        deployment_id = renegotiate_agreement.to_deployment(name="renegotiate-agreement").apply()
        yield deployment_id


def settings_for(sandboxes: Sandboxes, tmp_path: Path) -> Settings:
    fast = {"backoff_seconds": 0.01, "read_timeout": 5.0}
    return Settings(
        data_dir=tmp_path,
        hubspot=HubSpotSettings(base_url=sandboxes.urls["hubspot"], **fast),
        dealbuilder=DealbuilderSettings(base_url=sandboxes.urls["dealbuilder"], **fast),
        licences=LicenceSettings(base_url=sandboxes.urls["licences"], mode="http", read_timeout=5.0),
        mail=MailSettings(host=sandboxes.smtp.host, port=sandboxes.smtp.port),
    )


@dataclass
class CaseDriver:
    """Starts cases and plays the parts of the people and the poller, through Prefect's API."""

    runtime: Runtime
    client: SyncPrefectClient
    sandboxes: Sandboxes

    def start(self, ticket: str, signer: str, licences: int, price: str, **extra: Any) -> Case:
        request = RenegotiationRequest(
            ticket_id=ticket,
            signer_email=signer,
            licences=licences,
            price_per_licence=Decimal(price),
            agent_email="agent@avonova.example",
            **extra,
        )
        case = start_case(request, settings=self.runtime.settings, store=self.runtime.store, client=self.client, actor="test")
        self.run(case)
        return self.case(case.case_key)

    def run(self, case: Case) -> FlowRun:
        """Run the case's flow run in this process until it finishes or suspends (as a worker would)."""
        assert case.flow_run_id
        flow_run = self.client.read_flow_run(UUID(case.flow_run_id))
        try:
            run_flow(renegotiate_agreement, flow_run=flow_run, parameters={"case_key": case.case_key}, return_type="state")
        except Pause:
            pass
        return self.client.read_flow_run(flow_run.id)

    def resume(self, case: Case, **run_input: Any) -> FlowRun:
        """Answer the run's open form as the UI does, then let the worker pick the run up."""
        assert case.flow_run_id
        result = self.client.resume_flow_run(UUID(case.flow_run_id), run_input=run_input)
        assert result.status.value == "ACCEPT", result.details
        return self.run(self.case(case.case_key))

    def poll(self, **kwargs: Any) -> int:
        return int(poll_signatures(**kwargs))

    def pause_key(self, case: Case) -> str | None:
        assert case.flow_run_id
        state = self.client.read_flow_run(UUID(case.flow_run_id)).state
        return state.state_details.pause_key if state and state.is_paused() else None

    def case(self, case_key: str) -> Case:
        return self.runtime.store.get(case_key)


@pytest.fixture
def driver(prefect_server: UUID, sandboxes: Sandboxes, tmp_path: Path) -> Iterator[CaseDriver]:
    sandboxes.reset()
    runtime = build_runtime(settings_for(sandboxes, tmp_path))
    with use_runtime(runtime), get_client(sync_client=True) as client:
        yield CaseDriver(runtime, client, sandboxes)


@pytest.fixture
def manual_driver(driver: CaseDriver) -> Iterator[CaseDriver]:
    driver.runtime.licences = ManualLicenceAdmin()
    yield driver
