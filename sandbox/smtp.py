"""The SMTP sandbox: a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives and lists it over
HTTP at `GET /messages` (for people: the page `GET /inbox`), with the HTTP sandboxes' fault injection
(`POST /_sandbox/faults`).

Faults apply at two stages, matched as "CONNECT <peer>" and "DATA <recipients>": at CONNECT, `drop_*` closes the
connection at once (refused), `error` greets with its status (421, 554), `slow` delays the greeting; at DATA,
after the whole message arrived, `error` answers its status (4xx, 5xx) without keeping the message, `error_after`
keeps it and then answers the status, `drop_before` closes without keeping it, `drop_after` keeps it and closes,
and `slow` waits `delay` before keeping it and answering 250. A slow message is kept even when the client stopped
waiting: a real server that has the whole message does not take it back (RFC 1047). The request log
(`GET /_sandbox/requests`) holds every message (DATA) and every fault injected."""

from __future__ import annotations

import asyncio
import email
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sandbox.inbox import INBOX_PATH, INBOX_POLICY, inbox_page
from sandbox.kit import FaultRule, JSONResponse, SandboxApp, utc_now_iso
from sandbox.server import SandboxServer

ACCEPTED = "250 Message accepted for delivery"


class _Controller(Controller):  # type: ignore[misc]
    """aiosmtpd's Controller, able to listen on a free port (port=0), serving the faulty SMTP below."""

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def factory(self) -> SMTP:
        return _FaultySmtp(self.handler, **self.SMTP_kwargs)


class _FaultySmtp(SMTP):  # type: ignore[misc]
    """aiosmtpd's server with the sandbox's faults at the greeting (stage CONNECT)."""

    async def _handle_client(self) -> None:
        listing: SmtpListing = self.event_handler.listing
        assert self.session is not None and isinstance(self.transport, asyncio.Transport)
        peer = self.session.peer
        client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        fault = listing.faults.pick("CONNECT", client)
        if fault is None:
            await super()._handle_client()
            return
        status = 0 if fault.kind.startswith("drop") else 220 if fault.kind == "slow" else fault.status
        listing.note("CONNECT", client, status, fault.kind)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            await super()._handle_client()
        elif fault.kind.startswith("drop"):
            self.transport.abort()
        else:
            await self.push(_refusal(fault.status))
            self.transport.close()


class SmtpListing(SandboxApp):
    """The HTTP side of the SMTP sandbox: the received messages, newest last; `/_sandbox/reset` empties it."""

    name = "smtp"

    def initial_state(self) -> dict[str, Any]:
        return {"messages": []}

    def setup_routes(self) -> None:
        self.route("GET", "/messages")(self._list)
        self.route("GET", INBOX_PATH)(self._inbox)

    def _inbox(self, request: Request) -> Response:
        with self.lock:
            found = list(self.state["messages"])
        return HTMLResponse(inbox_page(found), headers={"Content-Security-Policy": INBOX_POLICY})

    def _list(self, request: Request) -> Response:
        with self.lock:
            found = list(self.state["messages"])
        to = request.query_params.get("to")
        if to:
            found = [m for m in found if to.lower() in [address.lower() for address in m["rcpt_to"]]]
        return JSONResponse({"messages": found})

    def add(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.state["messages"].append(message)

    def note(self, stage: str, detail: str, status: int, fault: str = "") -> None:
        """Log one SMTP stage in the kit's request log: method is the stage, path what it concerned."""
        self.record(stage, detail, status, fault)


class _Handler:
    def __init__(self, listing: SmtpListing) -> None:
        self.listing = listing
        self._landing: set[asyncio.Task[None]] = set()  # slow messages still on their way into the mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpt_tos = list(envelope.rcpt_tos)
        recipients = ",".join(rcpt_tos)
        message = parse_message(
            envelope.original_content or envelope.content, mail_from=envelope.mail_from, rcpt_tos=rcpt_tos
        )
        fault = self.listing.faults.pick("DATA", recipients)
        if fault is None:
            self.listing.add(message)
            self.listing.note("DATA", recipients, 250)
            return ACCEPTED
        if fault.kind == "slow":
            await self._keep_slowly(message, recipients, fault)
            return ACCEPTED
        if fault.kind in {"drop_after", "error_after"}:
            self.listing.add(message)
        if fault.kind.startswith("drop"):
            self.listing.note("DATA", recipients, 0, fault.kind)
            server.transport.abort()
            await asyncio.get_running_loop().create_future()  # losing the connection cancels this handler
        self.listing.note("DATA", recipients, fault.status, fault.kind)
        return _refusal(fault.status)

    async def _keep_slowly(self, message: dict[str, Any], recipients: str, fault: FaultRule) -> None:
        """Keep the message after `delay`, whether or not the client still waits for the answer."""

        async def land() -> None:
            await asyncio.sleep(fault.delay)
            self.listing.add(message | {"received_at": utc_now_iso()})
            self.listing.note("DATA", recipients, 250, "slow")

        task = asyncio.ensure_future(land())
        self._landing.add(task)
        task.add_done_callback(self._landing.discard)
        await asyncio.shield(task)


def _refusal(status: int) -> str:
    """An SMTP reply of this status with an enhanced code: 4xx asks to come back later, 5xx refuses for good."""
    if status < 500:
        return f"{status} 4.3.0 Temporary failure (sandbox fault), try again later"
    return f"{status} 5.7.1 Message refused (sandbox fault)"


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
