"""The SMTP sandbox: a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives and lists it over
HTTP at `GET /messages`."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from sandbox.kit import Request, Response, SandboxApp, SandboxServer, utc_now_iso


class _Controller(Controller):  # type: ignore[misc]
    """aiosmtpd's Controller, able to listen on a free port (port=0)."""

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpListing(SandboxApp):
    """The HTTP side of the SMTP sandbox: the received messages, newest last; `/_sandbox/reset` empties it."""

    name = "smtp"

    def initial_state(self) -> dict[str, Any]:
        return {"messages": []}

    def setup_routes(self) -> None:
        self.route("GET", "/messages")(self._list)

    def _list(self, request: Request) -> Response:
        with self.lock:
            found = list(self.state["messages"])
        to = request.arg("to")
        if to:
            found = [m for m in found if to.lower() in [address.lower() for address in m["rcpt_to"]]]
        return Response(200, {"messages": found})

    def add(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.state["messages"].append(message)


class _Handler:
    def __init__(self, listing: SmtpListing) -> None:
        self.listing = listing

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.listing.add(parse_message(raw, mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def parse_message(raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> dict[str, Any]:
    """What a test wants to see of a received e-mail: addresses, decoded subject, text and HTML bodies."""
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return {
        "received_at": utc_now_iso(),
        "mail_from": mail_from,
        "rcpt_to": rcpt_tos,
        "from": str(parsed.get("From", "")),
        "to": [address for _, address in getaddresses([str(v) for v in parsed.get_all("To", [])])],
        "cc": [address for _, address in getaddresses([str(v) for v in parsed.get_all("Cc", [])])],
        "subject": str(parsed.get("Subject", "")),
        "message_id": str(parsed.get("Message-ID", "")).strip(),
        "content_type": parsed.get_content_type(),
        "text": text_part.get_content() if text_part is not None else "",
        "html": html_part.get_content() if html_part is not None else "",
    }


class SmtpSandbox:
    """A local SMTP server keeping what it receives (`messages`), with an HTTP listing at `GET /messages`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        http_port: int = 0,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.listing = SmtpListing()
        self.credentials = credentials
        extra: dict[str, Any] = {}
        if credentials is not None:
            # A sandbox without TLS still lets the client prove it logs in.
            extra = {"authenticator": self._authenticate, "auth_require_tls": False}
        self.controller = _Controller(_Handler(self.listing), hostname=host, port=port, **extra)
        self.http = SandboxServer(self.listing, host=host, port=http_port)
        self._started = False

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False)

    @property
    def host(self) -> str:
        return str(self.controller.hostname)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def http_url(self) -> str:
        return self.http.url

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self.listing.lock:
            return list(self.listing.state["messages"])

    def clear(self) -> None:
        self.listing.reset()

    def start(self) -> SmtpSandbox:
        self.controller.start()
        self.http.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self.http.stop()
            self.controller.stop()
            self._started = False

    def __enter__(self) -> SmtpSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
