"""`reforhandling sandbox ...`: run the local sandboxes in the foreground until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from config.settings import get_settings
from sandbox.server import wait_for_stop_signal

sandbox_app = typer.Typer(
    help="Run the local sandboxes (same wire protocol as the real systems).", no_args_is_help=True
)

PortOption = Annotated[int | None, typer.Option(help="Port on 127.0.0.1 (default: the configured one).")]
StateOption = Annotated[Path | None, typer.Option(help="Keep state in this SQLite file (survives a restart).")]


@sandbox_app.command("hubspot")
def hubspot(
    port: PortOption = None,
    state_file: StateOption = None,
    rate_limit: int = 100,
    rate_window: Annotated[float, typer.Option(help="Seconds of the rolling rate-limit window.")] = 10.0,
    search_lag: Annotated[float, typer.Option(help="Seconds before a new record shows up in search.")] = 0.0,
) -> None:
    """Run the HubSpot CRM sandbox."""
    from sandbox.hubspot import HubSpotSandbox
    from sandbox.hubspot.webhooks import hubspot_options
    from sandbox.server import SandboxServer, serve_until_signal

    settings = get_settings()
    app = HubSpotSandbox(
        state_file=state_file,
        rate_limit=rate_limit,
        rate_window=rate_window,
        search_lag=search_lag,
        **hubspot_options(settings),
    )
    serve_until_signal([SandboxServer(app, port=port if port is not None else _port(settings.hubspot.base_url))])


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


@sandbox_app.command("dealbuilder")
def dealbuilder(port: PortOption = None, state_file: StateOption = None) -> None:
    """Run the Dealbuilder sandbox (API, signing pages, movable clock)."""
    from sandbox.dealbuilder import DealbuilderSandbox
    from sandbox.server import SandboxServer, serve_until_signal

    settings = get_settings()
    server = SandboxServer(
        DealbuilderSandbox(state_file=state_file, api_key=settings.dealbuilder.api_key.get_secret_value()),
        port=port if port is not None else _port(settings.dealbuilder.base_url),
    )
    app = server.app
    assert isinstance(app, DealbuilderSandbox)
    app.public_url = server.url
    serve_until_signal([server], announce=lambda line: typer.echo(f"{line}  (signing pages: {server.url}/sign/...)"))


@sandbox_app.command("licences")
def licences(port: PortOption = None, state_file: StateOption = None) -> None:
    """Run the Avonova Digital licence sandbox."""
    from sandbox.licences import LicenceSandbox
    from sandbox.server import SandboxServer, serve_until_signal

    settings = get_settings()
    app = LicenceSandbox(state_file=state_file, token=settings.licences.token.get_secret_value())
    serve_until_signal([SandboxServer(app, port=port if port is not None else _port(settings.licences.base_url))])


@sandbox_app.command("mail")
def mail(port: PortOption = None, http_port: PortOption = None) -> None:
    """Run the SMTP sandbox and its HTTP listing of received messages."""
    from sandbox.smtp import SmtpSandbox

    settings = get_settings()
    smtp = SmtpSandbox(
        host=settings.mail.host,
        port=port if port is not None else settings.mail.port,
        http_port=http_port if http_port is not None else settings.mail.sandbox_http_port,
    )
    with smtp:
        typer.echo(f"smtp: smtp://{smtp.host}:{smtp.port}")
        typer.echo(f"smtp messages: {smtp.http_url}/messages")
        wait_for_stop_signal()


@sandbox_app.command("all")
def all_sandboxes(
    state_dir: Annotated[Path | None, typer.Option(help="Keep every sandbox's state in this directory.")] = None,
) -> None:
    """Run every sandbox (HubSpot, Dealbuilder, licences, SMTP) on the configured ports."""
    from sandbox.stack import SandboxStack

    with SandboxStack.start(get_settings(), free_ports=False, state_dir=state_dir) as stack:
        labels = {
            "hubspot": "HubSpot API",
            "dealbuilder": "Dealbuilder API",
            "signing": "Dealbuilder signing pages",
            "licences": "Avonova Digital licences API",
            "smtp": "SMTP server",
            "smtp_messages": "SMTP received messages",
        }
        for key, url in stack.urls.items():
            typer.echo(f"{labels.get(key, key):<30} {url}")
        typer.echo("Ctrl-C stops them all.")
        wait_for_stop_signal()
