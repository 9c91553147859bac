"""What every sandbox shares and no library gives: seeded fault injection, a rolling-window rate limit, the request
log and arrivals, reset, and SQLite persistence of the state. A sandbox is a Starlette app; `SandboxServer`
(sandbox/server.py) serves it with uvicorn."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import parse_qs

import anyio
from starlette import responses
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.server import ConnectionDropped

# SandboxServer and free_port are served from here too: the tests have always imported them from the kit.
from sandbox.server import SandboxServer as SandboxServer
from sandbox.server import free_port as free_port

# error_after: the request is processed, then answered with `status` (a gateway failing on the way back).
# slow_after: the request is processed, then the answer waits `delay` s (the record exists; the client has no id).
FaultKind = Literal["error", "slow", "drop_before", "drop_after", "error_after", "slow_after"]


class JSONResponse(responses.JSONResponse):
    """JSON as the sandboxes have always sent it: `application/json; charset=utf-8`, json.dumps' own separators,
    dates and decimals as strings, and an empty body for None."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        return json.dumps(content, default=_json_default, ensure_ascii=False).encode("utf-8")


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def body_of(request: Request) -> bytes:
    """The request body, read before the (sync) route ran."""
    body: bytes = request.state.body
    return body


def json_of(request: Request) -> Any:
    """The request body as JSON (None when empty); ValueError when it is not JSON."""
    return json.loads(body_of(request) or b"null")


def query_list(request: Request, name: str) -> list[str]:
    """All values of a query parameter, comma-separated lists split (HubSpot sends both forms)."""
    return [part for value in request.query_params.getlist(name) for part in value.split(",") if part]


def wire_path(request: Request) -> str:
    """The path as the client sent it (percent-escapes kept), as the request log and fault routes see it."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(request.scope["path"])


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
    skip: int = 0  # let this many matching requests through first

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
                if rule.skip > 0:
                    rule.skip -= 1
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


# The control routes (`/_sandbox/...`: reset, faults, sign, clock) change a sandbox only with this header. A page
# open in the operator's browser can post a form or a plain fetch to 127.0.0.1 from any site, but cannot add a
# custom header without a CORS preflight, which no sandbox grants.
CONTROL_HEADER = "X-Sandbox-Control"
CONTROL_HEADERS = {CONTROL_HEADER: "1"}


class SandboxApp:
    """Base of every HTTP sandbox: subclasses register routes in `setup_routes` and keep state in `self.state`.

    The instance is an ASGI app (a Starlette app with the fault layer around its routes). Routes are sync and run
    in the threadpool; outside `/_sandbox/` they run under `self.lock` after `before_route`, and a write (any method
    but GET) is persisted when there is a state file."""

    name = "sandbox"

    def __init__(self, *, state_file: Path | None = None, faults: FaultPlan | None = None) -> None:
        self.routes: list[Route] = []
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
        self.asgi = Starlette(
            routes=self.routes,
            middleware=[Middleware(_FaultLayer, sandbox=self)],
            # An unknown path, or a known path with another method, is the system's own 404 (never a 405).
            exception_handlers={404: self._no_route, 405: self._no_route},
        )
        self.asgi.router.redirect_slashes = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    # --- for subclasses -------------------------------------------------------------------------------
    def setup_routes(self) -> None:
        """Register the system's routes."""

    def initial_state(self) -> dict[str, Any]:
        """The seeded world a reset returns to."""
        return {}

    def before_route(self, request: Request) -> Response | None:
        """Authentication, rate limiting: a response here short-circuits the route."""
        return None

    def extra_headers(self, request: Request) -> dict[str, str]:
        """Headers every response carries (rate-limit headers, for instance)."""
        return {}

    def not_found(self, request: Request) -> Response:
        return JSONResponse({"message": f"no route for {request.method} {wire_path(request)}"}, 404)

    def server_error(self, request: Request, status: int) -> Response:
        return JSONResponse({"message": f"injected fault {status}"}, status)

    # --- kit ------------------------------------------------------------------------------------------
    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        """Register `handler(request, **path_params) -> Response` for `method` on a Starlette path template."""

        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                request.state.body = await request.body()
                return await run_in_threadpool(self._run, handler, request)

            self.routes.append(Route(path, endpoint, methods=[method]))
            return handler

        return register

    def _run(self, handler: Handler, request: Request) -> Response:
        try:
            if request.url.path.startswith("/_sandbox/"):
                if request.method != "GET" and request.headers.get(CONTROL_HEADER) != "1":
                    message = f"a control request needs the header {CONTROL_HEADER}: 1 (no cross-site requests)"
                    return JSONResponse({"message": message}, 403)
                return handler(request, **request.path_params)
            early = self.before_route(request)
            if early is not None:
                return early
            with self.lock:
                response = handler(request, **request.path_params)
                if request.method != "GET":
                    self.persist()
            return response
        except Exception as error:  # a sandbox bug must show as a 500, not a hung client
            return JSONResponse({"message": f"sandbox error: {type(error).__name__}: {error}"}, 500)

    def _no_route(self, request: Request, exc: Exception) -> Response:
        return self.not_found(request)

    def reset(self) -> None:
        with self.lock:
            self.state = self.initial_state()
            self.log.clear()
            self.arrivals.clear()

    def persist(self) -> None:
        """Write the state to the state file, when there is one."""
        if self.state_file is not None:
            with self.lock:
                _save_state(self.state_file, self.state)

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The request log, optionally filtered by method and path regex, for tests and the demo."""
        with self.lock:
            return [
                entry
                for entry in self.log
                if (method is None or entry["method"] == method)
                and (path is None or re.search(path, entry["path"]) is not None)
            ]

    def record(
        self,
        method: str,
        path: str,
        status: int,
        fault: str = "",
        *,
        query: dict[str, list[str]] | None = None,
        body: bytes = b"",
    ) -> None:
        """Add one entry to the request log (status 0: the connection was dropped)."""
        try:
            shown: Any = json.loads(body) if body else None
        except ValueError:
            shown = body.decode("utf-8", "replace")
        with self.lock:
            self.log.append(
                {
                    "at": utc_now_iso(),
                    "method": method,
                    "path": path,
                    "query": dict(query or {}),
                    "status": status,
                    "body": shown,
                    "fault": fault,
                }
            )

    def _list_requests(self, request: Request) -> Response:
        found = self.requests(request.query_params.get("method"), request.query_params.get("path"))
        return JSONResponse({"requests": found})

    def _reset_route(self, request: Request) -> Response:
        self.reset()
        self.faults.set([])
        return JSONResponse({"reset": True})

    def _set_faults(self, request: Request) -> Response:
        payload = json_of(request) or {}
        rules = [FaultRule(**rule) for rule in payload.get("rules", [])]
        self.faults.set(rules, int(payload.get("seed", 0)))
        return JSONResponse({"rules": len(rules)})


class _FaultLayer:
    """ASGI middleware around a sandbox's routes: arrivals, fault injection, extra headers and the request log.

    The answer is held until the route has finished, so a fault can still replace it, delay it or drop it."""

    def __init__(self, app: ASGIApp, sandbox: SandboxApp) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sandbox, request = self.sandbox, Request(scope)
        body = await _read_body(receive)
        method, path = request.method, wire_path(request)
        query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        own = path.startswith("/_sandbox/")
        if not own:
            with sandbox.lock:
                sandbox.arrivals.append(f"{method} {path}")
        fault = None if own else sandbox.faults.pick(method, path)
        kind = fault.kind if fault is not None else ""
        if fault is not None and kind == "drop_before":
            sandbox.record(method, path, 0, kind, query=query, body=body)
            await _drop(send)
        if fault is not None and kind == "slow":
            await anyio.sleep(fault.delay)
        if fault is not None and kind == "error":
            answer = _parts(sandbox.server_error(request, fault.status))
        else:
            answer = await _answer(self.app, scope, body, receive)
        if fault is not None and kind == "slow_after":
            await anyio.sleep(fault.delay)
        if fault is not None and kind == "drop_after":
            sandbox.record(method, path, 0, kind, query=query, body=body)
            await _drop(send)
        if fault is not None and kind == "error_after":
            answer = _parts(sandbox.server_error(request, fault.status))
        status, headers, payload = answer
        headers = [(name, value) for name, value in headers if name.lower() != b"content-length"]
        headers.append((b"content-length", str(len(payload)).encode()))
        headers += [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in sandbox.extra_headers(request).items()
        ]
        if not own:
            sandbox.record(method, path, status, kind, query=query, body=body)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def _parts(response: Response) -> _Answer:
    return response.status_code, list(response.raw_headers), bytes(response.body)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer(app: ASGIApp, scope: Scope, body: bytes, receive: Receive) -> _Answer:
    """Run the routes with the body already read, and keep what they answer instead of sending it."""
    delivered = False
    head: dict[str, Any] = {"status": 500, "headers": []}
    chunks: list[bytes] = []

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            head.update(status=message["status"], headers=list(message.get("headers", [])))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, replay, keep)
    return int(head["status"]), head["headers"], b"".join(chunks)


async def _drop(send: Send) -> NoReturn:
    """Close the connection without a complete answer: a head promising a body that never comes."""
    await send({"type": "http.response.start", "status": 500, "headers": [(b"content-length", b"1")]})
    raise ConnectionDropped


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
