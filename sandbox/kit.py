"""The shared sandbox kit: a small threaded HTTP server with routing, request log, reset, seeded fault
injection, an optional rolling-window rate limit and optional SQLite persistence of the sandbox's state."""

from __future__ import annotations

import json
import random
import re
import signal
import socket
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

# error_after: the request is processed, then answered with `status` (a gateway failing on the way back).
# slow_after: the request is processed, then the answer waits `delay` s (the record exists; the client has no id).
FaultKind = Literal["error", "slow", "drop_before", "drop_after", "error_after", "slow_after"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """All values of a query parameter, comma-separated lists split (HubSpot sends both forms)."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, default=_json_default, ensure_ascii=False).encode("utf-8")


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Handler = Callable[..., Response]


@dataclass
class FaultRule:
    """Inject `kind` on `rate` of the requests whose "METHOD path" matches `route` (a regex; "" matches all)."""

    kind: FaultKind
    rate: float = 1.0
    route: str = ""
    status: int = 503
    delay: float = 5.0
    count: int | None = None  # stop after this many injections

    def matches(self, method: str, path: str) -> bool:
        return not self.route or re.search(self.route, f"{method} {path}") is not None


class FaultPlan:
    """Seeded, reproducible fault injection, changeable at run time."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.set(rules or [], seed)

    def set(self, rules: list[FaultRule], seed: int = 0) -> None:
        with self._lock:
            self.rules = list(rules)
            self._random = random.Random(seed)

    def pick(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.count == 0 or not rule.matches(method, path):
                    continue
                if self._random.random() < rule.rate:
                    if rule.count is not None:
                        rule.count -= 1
                    return rule
        return None


class RollingWindowLimiter:
    """At most `limit` requests in any `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def hit(self) -> tuple[bool, int]:
        """Count one request; return (allowed, remaining)."""
        now = time.monotonic()
        with self._lock:
            while self._hits and now - self._hits[0] >= self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return False, 0
            self._hits.append(now)
            return True, self.limit - len(self._hits)


class SandboxApp:
    """Base of every HTTP sandbox: subclasses register routes in `setup_routes` and keep state in `self.state`."""

    name = "sandbox"

    def __init__(self, *, state_file: Path | None = None, faults: FaultPlan | None = None) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults = faults or FaultPlan()
        self.log: list[dict[str, Any]] = []
        # "METHOD path" of every request as it arrives, before any fault holds it (the log has it once answered).
        self.arrivals: list[str] = []
        self.lock = threading.RLock()
        self.state_file = state_file
        self.state: dict[str, Any] = {}
        self.reset()
        if state_file is not None and state_file.exists():
            self.state = _load_state(state_file)
        self.route("GET", "/_sandbox/requests")(self._list_requests)
        self.route("POST", "/_sandbox/reset")(self._reset_route)
        self.route("POST", "/_sandbox/faults")(self._set_faults)
        self.setup_routes()

    # --- for subclasses -------------------------------------------------------------------------------
    def setup_routes(self) -> None:
        """Register the system's routes."""

    def initial_state(self) -> dict[str, Any]:
        """The seeded world a reset returns to."""
        return {}

    def before_route(self, request: Request) -> Response | None:
        """Authentication, rate limiting: a response here short-circuits the route."""
        return None

    def decorate(self, request: Request, response: Response) -> None:
        """Headers every response carries (rate-limit headers, for instance)."""

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": f"no route for {request.method} {request.path}"})

    def server_error(self, request: Request, status: int) -> Response:
        return Response(status, {"message": f"injected fault {status}"})

    # --- kit ------------------------------------------------------------------------------------------
    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((method, re.compile("^" + pattern + "$"), handler))
            return handler

        return register

    def reset(self) -> None:
        with self.lock:
            self.state = self.initial_state()
            self.log.clear()
            self.arrivals.clear()

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The request log, optionally filtered by method and path regex, for tests and the demo."""
        with self.lock:
            return [
                entry
                for entry in self.log
                if (method is None or entry["method"] == method)
                and (path is None or re.search(path, entry["path"]) is not None)
            ]

    def dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            if method != request.method:
                continue
            matched = pattern.match(request.path)
            if matched:
                if request.path.startswith("/_sandbox/"):
                    return handler(request, **matched.groupdict())
                early = self.before_route(request)
                if early is not None:
                    return early
                with self.lock:
                    response = handler(request, **matched.groupdict())
                    if request.method != "GET" and self.state_file is not None:
                        _save_state(self.state_file, self.state)
                return response
        return self.not_found(request)

    def record(self, request: Request, status: int, fault: str = "") -> None:
        if request.path.startswith("/_sandbox/"):
            return
        try:
            body: Any = request.json() if request.body else None
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        with self.lock:
            self.log.append(
                {
                    "at": utc_now_iso(),
                    "method": request.method,
                    "path": request.path,
                    "query": {k: v for k, v in request.query.items()},
                    "status": status,
                    "body": body,
                    "fault": fault,
                }
            )

    def _list_requests(self, request: Request) -> Response:
        return Response(200, {"requests": self.requests(request.arg("method"), request.arg("path"))})

    def _reset_route(self, request: Request) -> Response:
        self.reset()
        self.faults.set([])
        return Response(200, {"reset": True})

    def _set_faults(self, request: Request) -> Response:
        payload = request.json() or {}
        rules = [FaultRule(**rule) for rule in payload.get("rules", [])]
        self.faults.set(rules, int(payload.get("seed", 0)))
        return Response(200, {"rules": len(rules)})


def _load_state(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        row = db.execute("SELECT doc FROM state WHERE id = 1").fetchone()
    return dict(json.loads(row[0])) if row else {}


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        doc = json.dumps(state, default=_json_default, ensure_ascii=False)
        db.execute("INSERT OR REPLACE INTO state (id, doc) VALUES (1, ?)", (doc,))


def _make_handler(app: SandboxApp) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes: with Nagle on, each answer waits ~40 ms for a delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # the request log replaces stderr noise
            return

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            if not split.path.startswith("/_sandbox/"):
                with app.lock:
                    app.arrivals.append(f"{self.command} {split.path}")
            fault = None if split.path.startswith("/_sandbox/") else app.faults.pick(self.command, split.path)
            if fault is not None and fault.kind == "drop_before":
                app.record(request, 0, "drop_before")
                self.close_connection = True
                return
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "error":
                response = app.server_error(request, fault.status)
            else:
                try:
                    response = app.dispatch(request)
                except Exception as error:  # a sandbox bug must show as a 500, not a hung client
                    response = Response(500, {"message": f"sandbox error: {type(error).__name__}: {error}"})
            if fault is not None and fault.kind == "slow_after":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "drop_after":
                app.record(request, 0, "drop_after")
                self.close_connection = True
                return
            if fault is not None and fault.kind == "error_after":
                response = app.server_error(request, fault.status)
            app.decorate(request, response)
            app.record(request, response.status, fault.kind if fault else "")
            payload = response.encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type + "; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            try:
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                # The client stopped waiting (its read timeout): the request was carried out all the same.
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return _Handler


class SandboxServer:
    """Serve a SandboxApp on 127.0.0.1: in a thread for tests (`start`/`stop`), or in the foreground."""

    def __init__(self, app: SandboxApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.httpd = ThreadingHTTPServer((host, port), _make_handler(app))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> SandboxServer:
        # A short poll interval keeps stop() (and so every test's teardown) fast.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.app.name}-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
