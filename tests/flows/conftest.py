"""Flow tests: the real flow, run in this process against a Prefect test server and the four sandboxes."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest
from prefect import Flow
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.client.schemas.objects import Artifact, FlowRun
from prefect.client.schemas.sorting import ArtifactSort
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow

from adapters.licence_admin import ManualLicenceAdmin
from bootstrap.runtime import Runtime, build_runtime
from config.settings import (
    DealbuilderSettings,
    HubSpotSettings,
    LicenceSettings,
    Settings,
)
from flows.poll_signatures import poll_signatures_flow
from flows.reconcile import reconcile_flow
from flows.renegotiation import renegotiate_agreement, renegotiation_flow
from models.artifacts import case_artifact_key
from models.case import Case
from models.messages import notice_kind
from models.notices import Notice
from models.renegotiation import RenegotiationRequest
from reforhandling.starting import start_case
from sandbox.stack import SandboxStack


@pytest.fixture(scope="session")
def prefect_server(prefect_api: str) -> UUID:
    deployment = cast(RunnerDeployment, renegotiate_agreement.to_deployment(name="renegotiate-agreement"))
    return cast(UUID, deployment.apply())


def settings_for(sandboxes: SandboxStack, tmp_path: Path, database_url: str | None = None) -> Settings:
    fast = {"backoff_seconds": 0.01, "read_timeout": 5.0, "settle_seconds": 0.05}
    return sandboxes.configure(
        Settings(
            data_dir=tmp_path,
            database_url=database_url,
            # Like the sandbox's rate limit above: the shared budget has tests of its own (tests/adapters/hubspot/
            # test_rate_budget.py); here it would only pace the tests.
            hubspot=HubSpotSettings(**fast, rate_limit_name=""),
            dealbuilder=DealbuilderSettings(**fast),
            licences=LicenceSettings(**fast),
        )
    )


@dataclass
class CaseDriver:
    """Starts cases and plays the parts of the people and the poller, through Prefect's API."""

    runtime: Runtime
    client: SyncPrefectClient
    sandboxes: SandboxStack

    def start(self, ticket: str, signer: str, licences: int, price: str, **extra: Any) -> Case:
        request = RenegotiationRequest(
            ticket_id=ticket,
            signer_email=signer,
            licences=licences,
            price_per_licence=Decimal(price),
            agent_email="agent@avonova.example",
            **extra,
        )
        case = start_case(
            request, settings=self.runtime.settings, store=self.runtime.store, client=self.client, actor="test"
        )
        self.run(case)
        return self.case(case.case_key)

    def flow(self) -> Flow[[str], Any]:
        """The renegotiation flow on this driver's runtime as it is now (a test may swap it for a fresh one)."""
        runtime = self.runtime
        return renegotiation_flow(lambda: runtime)

    def poller(self) -> Flow[..., int]:
        """The signature poller on this driver's runtime as it is now."""
        runtime = self.runtime
        return poll_signatures_flow(lambda: runtime)

    def reconciler(self) -> Flow[..., int]:
        """The reconciliation on this driver's runtime as it is now."""
        runtime = self.runtime
        return reconcile_flow(lambda: runtime)

    def run(self, case: Case) -> FlowRun:
        """Run the case's flow run in this process until it finishes or suspends (as a worker would)."""
        assert case.flow_run_id
        flow_run = self.client.read_flow_run(UUID(case.flow_run_id))
        # A suspend ends the run with Pause, as it ends a worker's process.
        with contextlib.suppress(Pause):
            run_flow(self.flow(), flow_run=flow_run, parameters={"case_key": case.case_key}, return_type="state")
        return self.client.read_flow_run(flow_run.id)

    def resume(self, case: Case, **run_input: Any) -> FlowRun:
        """Answer the run's open form as the UI does, then let the worker pick the run up."""
        assert case.flow_run_id
        result = self.client.resume_flow_run(UUID(case.flow_run_id), run_input=run_input)
        assert result.status.value == "ACCEPT", result.details
        return self.run(self.case(case.case_key))

    def poll(self, **kwargs: Any) -> int:
        return int(self.poller()(**kwargs))

    def pause_key(self, case: Case) -> str | None:
        assert case.flow_run_id
        state = self.client.read_flow_run(UUID(case.flow_run_id)).state
        return state.state_details.pause_key if state and state.is_paused() else None

    def form(self, case: Case, key: str) -> str:
        """The Markdown the Resume dialog shows above the form of pause `key`."""
        assert case.flow_run_id
        return str(json.loads(self.client.read_flow_run_input(UUID(case.flow_run_id), f"suspended-{key}-description")))

    def case(self, case_key: str) -> Case:
        return self.runtime.store.get(case_key)

    def linked_run(self, mail: dict[str, Any]) -> UUID:
        """The flow run a notice's link opens: the UI's run page, the same in the text and the HTML, of a run the
        Prefect server knows."""
        ui = self.runtime.settings.prefect.ui_url
        [run_id] = set(re.findall(re.escape(ui) + r"/runs/flow-run/([0-9a-f-]{36})", mail["text"]))
        assert f'href="{ui}/runs/flow-run/{run_id}"' in mail["html"]
        return self.client.read_flow_run(UUID(run_id)).id

    def summaries(self, case: Case) -> list[Artifact]:
        """The case's summary artifacts on its run, newest first."""
        assert case.flow_run_id
        artifacts = self.client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(case.flow_run_id)]),
                key=ArtifactFilterKey(any_=[case_artifact_key(case.case_key)]),
            ),
            sort=ArtifactSort.CREATED_DESC,
        )
        return list(artifacts)


@pytest.fixture
def driver(
    prefect_server: UUID, sandboxes: SandboxStack, tmp_path: Path, case_store_url: str | None
) -> Iterator[CaseDriver]:
    sandboxes.reset()
    runtime = build_runtime(settings_for(sandboxes, tmp_path, case_store_url))
    with get_client(sync_client=True) as client:
        yield CaseDriver(runtime, client, sandboxes)


@pytest.fixture
def manual_driver(driver: CaseDriver) -> Iterator[CaseDriver]:
    driver.runtime.licences = ManualLicenceAdmin()
    yield driver


# Seeded in sandbox/world.py: 40 licences at 450 kr signed 14 months ago; 60 at 420 kr 50 months ago;
# 100 at 390 kr 20 months ago.
FJORDKRAFT = {"ticket": "5001", "signer": "kari.nordmann@fjordkraftbygg.example"}
AERLIG = {"ticket": "5002", "signer": "ase.odegard@aerligokonomi.example"}
BLABAER = {"ticket": "5003", "signer": "bjorn.laerum@blabaerhelse.example"}


def is_notice(message: dict[str, Any], notice: Notice | None = None) -> bool:
    """A notification (approval needed, reminders, ...) rather than one of the routine's own e-mails."""
    kind = notice_kind(str(message.get("message_id", "")))
    return kind is not None and (notice is None or kind is notice)


def notices(sandboxes: SandboxStack, notice: Notice | None = None) -> list[dict[str, Any]]:
    return [m for m in sandboxes.smtp.messages if is_notice(m, notice)]


def routine_mails(sandboxes: SandboxStack) -> list[dict[str, Any]]:
    """The routine's own e-mails (sales registration, CSC handover), without the notifications."""
    return [m for m in sandboxes.smtp.messages if not is_notice(m)]


def approve_and_sign(driver: CaseDriver, case_key: str) -> None:
    """Approve the case's draft as a person, sign its contract as the customer, and let the poller resume it."""
    case = driver.case(case_key)
    driver.resume(case, approved=True, approver="Ola Kundeservice")
    case = driver.case(case_key)
    assert case.contract_id
    driver.sandboxes.dealbuilder.sign(case.contract_id)
    assert driver.poll() == 1
    driver.run(case)
