"""All four sandboxes together (HubSpot, Dealbuilder, Avonova Digital licences, SMTP), for the demo and tests."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from config.settings import Settings
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.hubspot import HubSpotSandbox
from sandbox.hubspot.webhooks import hubspot_options
from sandbox.licences import LicenceSandbox
from sandbox.server import SandboxServer
from sandbox.smtp import SmtpSandbox


class SandboxStack:
    """The running sandboxes: `hubspot`, `dealbuilder`, `licences` (apps), `smtp`, their servers and `urls`."""

    def __init__(
        self,
        *,
        hubspot: HubSpotSandbox,
        dealbuilder: DealbuilderSandbox,
        licences: LicenceSandbox,
        smtp: SmtpSandbox,
        servers: dict[str, SandboxServer],
    ) -> None:
        self.hubspot = hubspot
        self.dealbuilder = dealbuilder
        self.licences = licences
        self.smtp = smtp
        self.servers = servers
        self._running = True

    @classmethod
    def start(cls, settings: Settings, *, free_ports: bool, state_dir: Path | None = None) -> SandboxStack:
        """Start every sandbox on the ports in `settings`, or on free ports; state in `state_dir` when given."""

        def state(name: str) -> Path | None:
            return state_dir / f"{name}.db" if state_dir is not None else None

        def port(url: str) -> int:
            return 0 if free_ports else int(urlsplit(url).port or 80)

        hubspot = HubSpotSandbox(state_file=state("hubspot"), **hubspot_options(settings))
        dealbuilder = DealbuilderSandbox(
            state_file=state("dealbuilder"), api_key=settings.dealbuilder.api_key.get_secret_value()
        )
        licences = LicenceSandbox(state_file=state("licences"), token=settings.licences.token.get_secret_value())
        servers: dict[str, SandboxServer] = {}
        try:
            for name, app, url in (
                ("hubspot", hubspot, settings.hubspot.base_url),
                ("dealbuilder", dealbuilder, settings.dealbuilder.base_url),
                ("licences", licences, settings.licences.base_url),
            ):
                servers[name] = SandboxServer(app, port=port(url)).start()
            # Links in contracts (signing page, preview) must point at where the sandbox really listens.
            dealbuilder.public_url = servers["dealbuilder"].url
            smtp = SmtpSandbox(
                host=settings.mail.host if not free_ports else "127.0.0.1",
                port=0 if free_ports else settings.mail.port,
                http_port=0 if free_ports else settings.mail.sandbox_http_port,
            ).start()
        except BaseException:
            for server in servers.values():
                server.stop()
            raise
        return cls(hubspot=hubspot, dealbuilder=dealbuilder, licences=licences, smtp=smtp, servers=servers)

    @property
    def urls(self) -> dict[str, str]:
        return {
            "hubspot": self.servers["hubspot"].url,
            "dealbuilder": self.servers["dealbuilder"].url,
            "signing": f"{self.servers['dealbuilder'].url}/sign/",
            "licences": self.servers["licences"].url,
            "smtp": f"smtp://{self.smtp.host}:{self.smtp.port}",
            "smtp_messages": f"{self.smtp.http_url}/messages",
            "inbox": f"{self.smtp.http_url}/inbox",
        }

    def configure(self, settings: Settings) -> Settings:
        """A copy of `settings` whose endpoints point at these running sandboxes."""
        return settings.model_copy(
            update={
                "hubspot": settings.hubspot.model_copy(update={"base_url": self.servers["hubspot"].url}),
                "dealbuilder": settings.dealbuilder.model_copy(update={"base_url": self.servers["dealbuilder"].url}),
                "licences": settings.licences.model_copy(
                    update={"base_url": self.servers["licences"].url, "mode": "http"}
                ),
                "mail": settings.mail.model_copy(
                    update={
                        "host": self.smtp.host,
                        "port": self.smtp.port,
                        "sandbox_http_port": self.smtp.http.port,
                        "starttls": False,
                        "use_ssl": False,
                        "username": None,
                        "password": None,
                    }
                ),
            }
        )

    def reset(self) -> None:
        """Every sandbox back to the seeded world, faults cleared."""
        for app in (self.hubspot, self.dealbuilder, self.licences):
            app.reset()
            app.faults.set([])
        self.smtp.clear()

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        for server in self.servers.values():
            server.stop()
        self.smtp.stop()

    def __enter__(self) -> SandboxStack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
