"""Serve a sandbox (an ASGI app) with uvicorn on 127.0.0.1: in a thread for tests and the stack (`start`/`stop`),
or until SIGINT/SIGTERM for `reforhandling sandbox ...`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

import uvicorn
from starlette.types import Receive, Scope, Send


class ServedApp(Protocol):
    """What SandboxServer serves: an ASGI app with a name (a sandbox, or the project's webhook receiver)."""

    name: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


class ConnectionDropped(Exception):
    """Raised after a response's head to make uvicorn cut the connection: the client sees a transport error."""


class _QuietDrops(logging.Filter):
    """uvicorn logs every exception an app raises; a drop the sandbox injected on purpose is not one to show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, quick to stop: its own loop notices `should_exit` on a 0.1 s tick and then waits 0.1 s more,
    which every test's teardown would pay; this one wakes on `stop()` and closes idle connections at once."""

    async def main_loop(self) -> None:
        self.wake = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        while not await self.on_tick(0):  # counter 0: refresh the Date header on every tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 0.5)

    def stop_soon(self) -> None:
        self.should_exit = True
        if hasattr(self, "loop"):
            self.loop.call_soon_threadsafe(self.wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # closes an idle keep-alive connection, lets a busy one finish its answer
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        while self.server_state.tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            await server.wait_closed()


class SandboxServer:
    """Serve a SandboxApp on 127.0.0.1 (a free port when `port` is 0): in a thread (`start`/`stop`)."""

    def __init__(self, app: ServedApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        # Bound and listening now, as before: `url` is known (and connections queue) before `start`.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
            self._socket.listen(128)
        except OSError:
            self._socket.close()
            raise
        config = uvicorn.Config(
            app,
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            # A request held by a slow fault must not hold up stop() (and so every test's teardown) for long.
            timeout_graceful_shutdown=1,
        )
        self._uvicorn = _Uvicorn(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._socket]}, name=f"{self.app.name}-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.app.name} sandbox did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._uvicorn.stop_soon()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def wait_for_stop_signal(check: Callable[[], None] = lambda: None) -> None:
    """Block until SIGINT or SIGTERM (calling `check` every second); return normally on either.

    A handler that only raises is the safe kind: one that sets a threading.Event can deadlock when the signal
    lands while the main thread holds that Event's lock."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(1)
            check()
    except KeyboardInterrupt:
        return


def serve_until_signal(servers: list[SandboxServer], announce: Callable[[str], None] = print) -> None:
    """Run servers until SIGINT/SIGTERM, for `reforhandling sandbox ...`."""
    try:
        for server in servers:
            server.start()
            announce(f"{server.app.name}: {server.url}")
        wait_for_stop_signal()
    finally:
        for server in servers:
            server.stop()
