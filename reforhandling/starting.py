"""Start a case: validate the request, open the case, and create its run from the deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect.client.orchestration import SyncPrefectClient

from adapters.errors import NotFoundError
from bootstrap.runtime import Runtime
from config.settings import Settings
from models.agreement import AgreementBasis, NoAgreement
from models.board import flow_run_url
from models.case import Case, CaseState
from models.crm import Company, Contact, Ticket
from models.org_number import InvalidOrgNumber
from models.renegotiation import NothingToRenegotiate, RenegotiationRequest, check_something_changes
from steps.agreement import find_agreements
from steps.enrichment import TicketNotReady, company_of
from store.case_store import CaseStore


def run_url(settings: Settings, flow_run_id: str) -> str:
    return flow_run_url(settings.prefect.ui_url, flow_run_id)


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


@dataclass(frozen=True)
class Reading:
    """What a case would read before it writes anything, and what stops it (empty `problems`: nothing)."""

    problems: list[str]
    ticket: Ticket | None = None
    company: Company | None = None
    # None: no HubSpot contact has the signer's e-mail (the case creates one with --signer-name).
    contact: Contact | None = None
    basis: AgreementBasis | None = None


def preflight(request: RenegotiationRequest, *, runtime: Runtime) -> list[str]:
    """Read what a case would read, write nothing, and say what stops it: an unknown ticket or one outside the
    renegotiation pipeline, an unknown company or signer, a missing or invalid org number, nothing to change."""
    return read_case_inputs(request, runtime=runtime).problems


def read_case_inputs(request: RenegotiationRequest, *, runtime: Runtime, known: Ticket | None = None) -> Reading:
    """The ticket, company, signer and agreements a case would read, with `preflight`'s problems (reads only);
    `known` is the request's ticket read moments ago by the caller (the intake), not read again."""
    routine = runtime.settings.routine
    try:
        ticket = (
            known
            if known is not None and known.id == request.ticket_id
            else runtime.crm.read_ticket(ticket_id=request.ticket_id)
        )
    except NotFoundError:
        return Reading([f"ticket: HubSpot has no ticket {request.ticket_id}; check the id in the ticket's address"])
    if ticket.pipeline != routine.ticket_pipeline:
        return Reading(
            [
                f"ticket: {request.ticket_id} is in the pipeline {ticket.pipeline!r}, not "
                f"{routine.ticket_pipeline!r}; start renegotiations from a ticket in that pipeline"
            ]
        )
    problems: list[str] = []
    signer = runtime.crm.find_contact(email=request.signer_email)
    try:
        company = runtime.crm.read_company(
            company_id=request.company_id or company_of(ticket, signer, request.signer_email)
        )
    except TicketNotReady as error:
        return Reading([f"company: {error.found}; give --company <HubSpot company id>"])
    except NotFoundError as error:
        return Reading([f"company: {error}"])
    if signer is None and not request.signer_name:
        problems.append(
            f"signer_email: no HubSpot contact has {request.signer_email}; check the address, or give "
            "--signer-name to create the contact"
        )
    basis: AgreementBasis | None = None
    try:
        basis = find_agreements(runtime.contracts, routine, company)
        check_something_changes(
            licences_before=basis.current.licences,
            paid_before=basis.current.paid_per_licence,
            licences_after=request.licences,
            price_after=request.price_per_licence,
        )
    except (InvalidOrgNumber, NoAgreement) as error:
        problems.append(f"company: {error}")
    except NothingToRenegotiate as error:
        problems.append(f"licences, price_per_licence: {error}")
    return Reading(problems, ticket=ticket, company=company, contact=signer, basis=basis)
