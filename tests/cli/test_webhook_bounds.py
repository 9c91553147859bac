"""The webhook receiver's input is bounded while it is read (issue 22): a chunked body past the limit is refused
before the sender has finished sending it, with no more than the limit read, and a slow sender is cut off."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.types import Message, Receive, Scope, Send

from bootstrap.runtime import build_runtime
from config.settings import DealbuilderSettings, Settings
from reforhandling.webhook import MAX_BODY, WEBHOOK_PATH, DealbuilderWebhook
from sandbox.kit import SandboxServer

CHUNK = 16 * 1024
BODY_TIMEOUT = 1.0


class Counting:
    """The receiver, counting the body bytes it takes from the server."""

    name = "counting-webhook"

    def __init__(self, app: DealbuilderWebhook) -> None:
        self.app = app
        self.read = 0
        self.last = 0  # the size of the last body message taken

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            self.last = len(message.get("body", b""))
            self.read += self.last
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[Counting, str]]:
    settings = Settings(data_dir=tmp_path, dealbuilder=DealbuilderSettings(webhook_body_timeout=BODY_TIMEOUT))
    counting = Counting(DealbuilderWebhook(build_runtime(settings), {}))
    with SandboxServer(counting) as server:
        yield counting, server.url


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=30)
    sock.sendall(
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    return sock


def answer_of(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received and (data := sock.recv(65536)):
        received += data
    return received


def test_a_chunked_body_past_the_limit_is_refused_before_it_ends_and_no_more_than_the_limit_is_read(
    receiver: tuple[Counting, str],
) -> None:
    counting, url = receiver
    total = 200 * 1024 * 1024
    sock = connect(url)
    chunk = f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n"
    sent = 0
    with sock:
        sock.setblocking(False)
        # Send while the receiver reads; stop when it answers (a refusal read to the end would take 200 MB).
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            assert writable, f"no answer after {sent / 1024:.0f} KiB"
            done = sock.send(chunk)
            if done < len(chunk):  # finish the chunk before looking again; a closed connection ends the sending
                sock.settimeout(30)
                try:
                    sock.sendall(chunk[done:])
                except OSError:
                    break
                sock.setblocking(False)
            sent += CHUNK
        sock.settimeout(30)
        answer = answer_of(sock)

    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert sent < total / 10
    # It stops at the message that passes the limit (the server hands over what the socket held, larger when busy).
    assert counting.read - counting.last <= MAX_BODY < counting.read < 1024 * 1024
    print(f"413 after {sent / 1024:.0f} KiB sent, {counting.read / 1024:.0f} KiB read by the receiver")


def test_a_sender_slower_than_the_body_timeout_is_cut_off(receiver: tuple[Counting, str]) -> None:
    _, url = receiver
    sock = connect(url)
    started = time.monotonic()
    with sock:
        sock.sendall(b"1\r\n{\r\n")  # one byte, then nothing more: the body never ends

        answer = answer_of(sock)

    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert BODY_TIMEOUT <= time.monotonic() - started < 20
