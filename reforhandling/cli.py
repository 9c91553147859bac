"""The `reforhandling` command."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from config.settings import Settings, get_settings
from reforhandling.cli_db import db_app
from reforhandling.cli_sandbox import sandbox_app

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
def cases() -> None:
    """List the cases in the case store."""
    from store.case_store import CaseStore

    rows = CaseStore(_settings().effective_database_url).cases()
    if not rows:
        typer.echo("No cases yet. Start one with `reforhandling start` (or `reforhandling up` for the example).")
        return
    header = f"{'case':<18} {'ticket':<8} {'company':<28} {'state':<30} {'licences':<10} {'price':<16} updated"
    typer.echo(header)
    for case in rows:
        licences = f"{case.licences_before or '?'}->{case.licences_after}"
        price = f"{case.price_before or '?'}->{case.price_after}"
        state = case.state.value + (f" ({case.reason[:40]})" if case.reason and case.state == "NEEDS_ATTENTION" else "")
        typer.echo(
            f"{case.case_key:<18} {case.ticket_id:<8} {(case.company_name or '')[:28]:<28} {state:<30} "
            f"{licences:<10} {price:<16} {case.updated_at:%Y-%m-%d %H:%M}"
        )


@app.command()
def case(case_key: str) -> None:
    """Show one case and its event log."""
    from store.case_store import CaseNotFound, CaseStore

    store = CaseStore(_settings().effective_database_url)
    try:
        found = store.get(case_key)
    except CaseNotFound as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False))
    for event in store.events(case_key):
        typer.echo(f"{event.at:%Y-%m-%d %H:%M:%S} {event.actor:<16} {event.kind:<28} {event.details}")


@app.command()
def start(
    ticket: Annotated[str, typer.Option(help="HubSpot ticket id the case starts from.")],
    signer: Annotated[str, typer.Option(help="E-mail of the customer's contact with signing authority.")],
    licences: Annotated[str, typer.Option(help="New number of licences.")],
    price: Annotated[str, typer.Option(help="New price per licence in NOK, e.g. 450 or 449.50.")],
    agent: Annotated[str, typer.Option(help="Your e-mail: deal owner and meeting booker.")],
    start_date: Annotated[
        str | None, typer.Option(help="Agreed start date (YYYY-MM-DD); default: the send date.")
    ] = None,
    company: Annotated[str | None, typer.Option(help="HubSpot company id, when the ticket has none.")] = None,
    signer_name: Annotated[
        str | None, typer.Option(help="The signer's name, to create the contact when no contact has that e-mail.")
    ] = None,
) -> None:
    """Start a renegotiation case from the deployment and print its run link."""
    from prefect.client.orchestration import get_client
    from prefect.settings import temporary_settings

    from config.clock import local_today
    from models.renegotiation import RenegotiationRequest, describe_errors, request_limits
    from reforhandling.prefect_auth import client_settings
    from reforhandling.starting import preflight, request_from_options, run_url, start_case
    from store.case_store import OpenCaseExists
    from tasks.runtime import build_runtime

    settings = _settings()
    data = request_from_options(
        ticket_id=ticket,
        signer_email=signer,
        licences=licences,
        price_per_licence=price,
        agent_email=agent,
        start_date=start_date,
        company_id=company,
        signer_name=signer_name,
    )
    try:
        request = RenegotiationRequest.parse(
            data, today=local_today(settings.routine.timezone), limits=request_limits(settings.routine)
        )
    except ValidationError as error:
        typer.echo(f"Nothing was started; fix these and run again:\n{describe_errors(error)}", err=True)
        raise typer.Exit(2) from error
    runtime = build_runtime(settings)
    # Preflight's HubSpot reads take slots of the shared rate limit on this stack's Prefect server.
    with temporary_settings(client_settings(settings)):
        problems = preflight(request, runtime=runtime)
    if problems:
        typer.echo("Nothing was started; fix these and run again:\n" + "\n".join(problems), err=True)
        raise typer.Exit(2)
    try:
        with temporary_settings(client_settings(settings)), get_client(sync_client=True) as client:
            started = start_case(request, settings=settings, store=runtime.store, client=client, actor=agent)
    except OpenCaseExists as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    assert started.flow_run_id is not None
    typer.echo(f"Case {started.case_key} started: {run_url(settings, started.flow_run_id)}")


@app.command()
def cancel(
    case_key: str,
    reason: Annotated[str, typer.Option(help="Why; it goes on the ticket and in the case log.")],
    actor: Annotated[str, typer.Option(help="Your e-mail or name, for the case log.")] = "ops",
) -> None:
    """Cancel an open case: stop its run, revoke its unsigned contract, note it on the ticket, close the case."""
    from prefect.client.orchestration import get_client
    from prefect.settings import temporary_settings

    from reforhandling.cancelling import CannotCancel, cancel_case
    from reforhandling.prefect_auth import client_settings
    from store.case_store import CaseNotFound
    from tasks.runtime import build_runtime

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
def up() -> None:
    """Run the whole local stack (Prefect server + UI, sandboxes, deployments) with one example case."""
    from reforhandling.local_stack import run_up

    run_up(_settings())


@app.command()
def demo(
    poll_seconds: Annotated[int, typer.Option(help="Interval of the signature poller in the demo.")] = 3,
) -> None:
    """Run three cases end to end on a fresh embedded stack, check the sandboxes, print a summary."""
    from reforhandling.demo import run_demo

    raise typer.Exit(run_demo(_settings(), poll_seconds=poll_seconds))


@app.command()
def soak(
    cases: Annotated[int, typer.Option(help="Number of cases to run under faults.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the fault injection (the same seed, the same faults).")] = 1,
) -> None:
    """Run N cases end to end on a fresh embedded stack while every sandbox injects faults; count the outcome."""
    from reforhandling.soak import run_soak

    report = run_soak(_settings(), cases=cases, seed=seed)
    for line in report.lines() + report.problems:
        typer.echo(f"soak: {line}")
    raise typer.Exit(0 if report.completed == cases and not report.duplicates else 1)
