"""The `reforhandling` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from config.settings import Settings, get_settings
from devtools.cli_sandbox import sandbox_app
from reforhandling.cli_db import db_app

if TYPE_CHECKING:
    from bootstrap.runtime import Runtime
    from models.renegotiation import RenegotiationRequest
    from reforhandling.case_views import Places

app = typer.Typer(
    help="Renegotiate Avonova Assist agreements across HubSpot, Dealbuilder and Avonova Digital.",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(db_app, name="db")


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        typer.echo(f"Settings refused:\n{error}", err=True)
        raise typer.Exit(2) from error


def _request(settings: Settings, **options: str | None) -> RenegotiationRequest:
    """The request from the command's options, or the validation messages and exit 2 (`start` and `plan`)."""
    from config.clock import local_today
    from models.renegotiation import RenegotiationRequest, describe_errors, request_limits
    from reforhandling.starting import request_from_options

    try:
        return RenegotiationRequest.parse(
            request_from_options(**options),
            today=local_today(settings.routine.timezone),
            limits=request_limits(settings.routine),
        )
    except ValidationError as error:
        typer.echo(f"Nothing was started; fix these and run again:\n{describe_errors(error)}", err=True)
        raise typer.Exit(2) from error


def _refuse_problems(problems: list[str]) -> None:
    """What stops a case, as `start` and `plan` both say it."""
    if problems:
        typer.echo("Nothing was started; fix these and run again:\n" + "\n".join(problems), err=True)
        raise typer.Exit(2)


@app.command()
def config() -> None:
    """Print the effective settings, secrets masked."""
    from sqlalchemy.engine import make_url

    settings = _settings()
    shown = settings.model_dump(mode="json")
    # A database URL may carry a password.
    shown["database_url"] = make_url(settings.effective_database_url).render_as_string(hide_password=True)
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@app.command()
def cases(
    open_only: Annotated[
        bool, typer.Option("--open", help="Only open cases (not completed, rejected, cancelled).")
    ] = False,
    state: Annotated[
        list[str] | None, typer.Option(help="Only cases in this state (repeatable), e.g. AWAITING_APPROVAL.")
    ] = None,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, one line per case, however wide.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Every field of every case as JSON, for scripts.")] = False,
    width: Annotated[
        int | None,
        typer.Option(envvar="COLUMNS", hidden=True, help="The terminal's width (COLUMNS); columns that do not fit go."),
    ] = None,
) -> None:
    """List the cases: state, age, whom each waits for, licences and price before -> after, and the run link."""
    from reforhandling.case_views import UnknownState, case_row, chosen_states
    from reforhandling.cli_views import cases_json, print_cases
    from store.case_store import CaseStore

    settings = _settings()
    try:
        states = chosen_states(open_only=open_only, names=state or [])
    except UnknownState as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    found = CaseStore(settings.effective_database_url).cases(states)
    now, places = datetime.now(UTC), _places(settings)
    rows = [case_row(case, now=now, places=places) for case in found]
    if as_json:
        typer.echo(cases_json(rows))
        return
    if not found and states is None:
        typer.echo("No cases yet. Start one with `reforhandling start` (or `reforhandling up` for the example).")
        return
    print_cases(rows, width=width, wide=wide)


@app.command()
def case(case_key: str) -> None:
    """Show one case: its facts, its links and the timeline of its event log."""
    from reforhandling.case_views import case_header, case_links, timeline
    from reforhandling.cli_views import print_case
    from store.case_store import CaseNotFound, CaseStore

    settings = _settings()
    store = CaseStore(settings.effective_database_url)
    try:
        found = store.get(case_key)
    except CaseNotFound as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    now, places = datetime.now(UTC), _places(settings)
    print_case(
        found.case_key,
        case_header(found, now=now, places=places),
        case_links(found, places=places),
        timeline(store.events(case_key), places=places),
    )


def _places(settings: Settings) -> Places:
    from reforhandling.case_views import Places

    return Places(
        prefect_ui_url=settings.prefect.ui_url,
        hubspot_app_url=settings.hubspot.records_url,
        hubspot_portal_id=settings.hubspot.portal_id,
        timezone=settings.routine.timezone,
        receiver_url=settings.dealbuilder.receiver_url,
    )


# A case's options, declared once for `start` and `plan`; each command gives their types (what it requires).
TICKET = typer.Option(help="HubSpot ticket id the case starts from.")
SIGNER = typer.Option(help="E-mail of the customer's contact with signing authority.")
LICENCES = typer.Option(help="New number of licences.")
PRICE = typer.Option(help="New price per licence in NOK, e.g. 450 or 449.50.")
AGENT = typer.Option(help="Your e-mail: deal owner and meeting booker.")
START_DATE = typer.Option(help="Agreed start date (YYYY-MM-DD); default: the send date.")
COMPANY = typer.Option(help="HubSpot company id, when the ticket has none.")
SIGNER_NAME = typer.Option(help="The signer's name, to create the contact when no contact has that e-mail.")


@app.command()
def start(
    ticket: Annotated[str, TICKET],
    signer: Annotated[str, SIGNER],
    licences: Annotated[str, LICENCES],
    price: Annotated[str, PRICE],
    agent: Annotated[str, AGENT],
    start_date: Annotated[str | None, START_DATE] = None,
    company: Annotated[str | None, COMPANY] = None,
    signer_name: Annotated[str | None, SIGNER_NAME] = None,
) -> None:
    """Start a renegotiation case from the deployment and print its run link."""
    from prefect.client.orchestration import get_client
    from prefect.settings import temporary_settings

    from bootstrap.runtime import build_runtime
    from reforhandling.prefect_auth import client_settings
    from reforhandling.starting import preflight, run_url, start_case
    from store.case_store import OpenCaseExists

    settings = _settings()
    request = _request(
        settings,
        ticket_id=ticket,
        signer_email=signer,
        licences=licences,
        price_per_licence=price,
        agent_email=agent,
        start_date=start_date,
        company_id=company,
        signer_name=signer_name,
    )
    runtime = build_runtime(settings)
    # Preflight's HubSpot reads take from the shared rate budget (on the Prefect server when it is kept there).
    with temporary_settings(client_settings(settings)):
        _refuse_problems(preflight(request, runtime=runtime))
    try:
        with temporary_settings(client_settings(settings)), get_client(sync_client=True) as client:
            started = start_case(request, settings=settings, store=runtime.store, client=client, actor=agent)
    except OpenCaseExists as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    assert started.flow_run_id is not None
    typer.echo(f"Case {started.case_key} started: {run_url(settings, started.flow_run_id)}")


# The request model wants an agent; a plan without --agent shows "the agent who starts the case" instead.
PLAN_AGENT = "agent@avonova.example"


@app.command()
def plan(
    ticket: Annotated[str, TICKET],
    # Not given: read from the ticket's renegotiation fields (and its owner, for the agent).
    signer: Annotated[str | None, SIGNER] = None,
    licences: Annotated[str | None, LICENCES] = None,
    price: Annotated[str | None, PRICE] = None,
    agent: Annotated[str | None, AGENT] = None,
    start_date: Annotated[str | None, START_DATE] = None,
    company: Annotated[str | None, COMPANY] = None,
    signer_name: Annotated[str | None, SIGNER_NAME] = None,
) -> None:
    """Read what a case would read and print every write it would make; writes nothing. Values not given are read
    from the ticket's renegotiation fields, as a move of the ticket to the ready stage would read them."""
    from bootstrap.runtime import build_runtime
    from config.clock import local_today
    from models.plan import plan_text, renegotiation_plan
    from reforhandling.starting import read_case_inputs, request_from_options

    settings = _settings()
    # A dry run's handful of reads needs no Prefect server: it skips the shared rate limit (a 429 still backs off).
    runtime = build_runtime(
        settings.model_copy(update={"hubspot": settings.hubspot.model_copy(update={"rate_limit_name": ""})})
    )
    given = request_from_options(
        signer_email=signer,
        licences=licences,
        price_per_licence=price,
        agent_email=agent,
        start_date=start_date,
        signer_name=signer_name,
    )
    on_ticket = (
        _ticket_fields(runtime, ticket) if {"signer_email", "licences", "price_per_licence"} - set(given) else {}
    )
    agent = agent or on_ticket.get("agent_email")
    request = _request(
        settings,
        **{**on_ticket, **given, "ticket_id": ticket, "company_id": company, "agent_email": agent or PLAN_AGENT},
    )
    reading = read_case_inputs(request, runtime=runtime)
    _refuse_problems(reading.problems)
    assert reading.ticket and reading.company and reading.basis
    composed = renegotiation_plan(
        request,
        ticket=reading.ticket,
        company=reading.company,
        contact=reading.contact,
        basis=reading.basis,
        routine=settings.routine,
        today=local_today(settings.routine.timezone),
        manual_licences=runtime.licences.requires_confirmation,
        agent_given=agent is not None,
    )
    typer.echo(plan_text(composed))


def _ticket_fields(runtime: Runtime, ticket_id: str) -> dict[str, str]:
    """The request's fields as the ticket holds them (its renegotiation fields and its owner); none for a ticket
    HubSpot does not have (the plan's own read of it says so)."""
    from adapters.errors import NotFoundError
    from models.intake import request_data
    from reforhandling.intake import build_source

    try:
        ticket = build_source(runtime).read_ticket(ticket_id=ticket_id)
    except NotFoundError:
        return {}
    return {name: str(value) for name, value in request_data(ticket, runtime.settings.intake).items()}


@app.command()
def cancel(
    case_key: str,
    reason: Annotated[str, typer.Option(help="Why; it goes on the ticket and in the case log.")],
    actor: Annotated[str, typer.Option(help="Your e-mail or name, for the case log.")] = "ops",
) -> None:
    """Cancel an open case: stop its run, revoke its unsigned contract, note it on the ticket, close the case."""
    from prefect.client.orchestration import get_client
    from prefect.settings import temporary_settings

    from bootstrap.runtime import build_runtime
    from reforhandling.cancelling import CannotCancel, cancel_case
    from reforhandling.prefect_auth import client_settings
    from store.case_store import CaseNotFound

    settings = _settings()
    runtime = build_runtime(settings)
    try:
        with temporary_settings(client_settings(settings)), get_client(sync_client=True) as client:
            cancelled = cancel_case(case_key, reason=reason, runtime=runtime, client=client, actor=actor)
    except (CannotCancel, CaseNotFound) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Case {cancelled.case_key} cancelled; the ticket {cancelled.ticket_id} can get a new case.")


@app.command()
def up(
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Start the local world over: sandboxes seeded anew, no cases, no runs (keeps the password)."
        ),
    ] = False,
) -> None:
    """Run the whole local stack (Prefect server + UI, sandboxes, deployments) with one example case."""
    from devtools.local_stack import run_up

    run_up(_settings(), fresh=fresh)


@app.command()
def webhook() -> None:
    """Serve the receiver of Dealbuilder's document events and register it with Dealbuilder; Ctrl-C stops it."""
    from reforhandling.webhook import serve_webhook

    serve_webhook(_settings())


@app.command()
def demo(
    poll_seconds: Annotated[int, typer.Option(help="Interval of the signature poller in the demo.")] = 3,
) -> None:
    """Run three cases end to end on a fresh embedded stack, check the sandboxes, print a summary."""
    from devtools.demo import run_demo

    raise typer.Exit(run_demo(_settings(), poll_seconds=poll_seconds))


@app.command()
def soak(
    cases: Annotated[int, typer.Option(help="Number of cases to run under faults.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the fault injection (the same seed, the same faults).")] = 1,
    seconds_per_case: Annotated[
        float, typer.Option(help="Time per case before open ones count as problems (more on a busy machine).")
    ] = 20.0,
) -> None:
    """Run N cases end to end on a fresh embedded stack while every sandbox injects faults; count the outcome."""
    from devtools.soak import run_soak

    report = run_soak(_settings(), cases=cases, seed=seed, seconds_per_case=seconds_per_case)
    for line in report.lines() + report.problems:
        typer.echo(f"soak: {line}")
    raise typer.Exit(0 if report.completed == cases and not report.duplicates else 1)
