"""Start a case: validate the request, open the case, and create its run from the deployment."""

from __future__ import annotations

from typing import Any

from prefect.client.orchestration import SyncPrefectClient

from models.case import Case, CaseState
from models.renegotiation import RenegotiationRequest
from reforhandling.settings import Settings
from store.case_store import CaseStore


def run_url(settings: Settings, flow_run_id: str) -> str:
    return f"{settings.prefect.ui_url}/runs/flow-run/{flow_run_id}"


def start_case(
    request: RenegotiationRequest, *, settings: Settings, store: CaseStore, client: SyncPrefectClient, actor: str
) -> Case:
    """Open the case and create its flow run; if the run cannot be created the case is cancelled again."""
    deployment = client.read_deployment_by_name(settings.prefect.flow_deployment)
    case = store.open_case(request, actor=actor)
    try:
        flow_run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"case_key": case.case_key}, tags=[f"ticket:{request.ticket_id}"]
        )
    except Exception as error:
        store.transition(
            case.case_key, CaseState.CANCELLED, actor=actor, details={"reason": f"run not created: {error}"}
        )
        raise
    return store.update(case.case_key, flow_run_id=str(flow_run.id))


def request_from_options(**options: Any) -> dict[str, Any]:
    """The request's fields from command-line options, leaving out those not given."""
    return {name: value for name, value in options.items() if value is not None}
