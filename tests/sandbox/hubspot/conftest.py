"""The HubSpot sandbox on a free port and the official SDK, strict about responses, pointed at it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hubspot import HubSpot

from sandbox.hubspot import HubSpotSandbox
from sandbox.kit import CONTROL_HEADERS, SandboxServer

TOKEN = "sandbox-token"


@dataclass
class Running:
    app: HubSpotSandbox
    server: SandboxServer
    sdk: HubSpot  # client_side_validation=True: a response missing a required field fails the test
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5))

    def http(self, method: str, path: str, *, token: str | None = TOKEN, body: Any = None) -> httpx.Response:
        headers = {"Content-Type": "application/json", **CONTROL_HEADERS}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        content = json.dumps(body) if body is not None else None
        return self.client.request(method, self.server.url + path, headers=headers, content=content)


@pytest.fixture
def start() -> Iterator[Callable[..., Running]]:
    running: list[Running] = []

    def run(**options: Any) -> Running:
        app = HubSpotSandbox(**options)
        server = SandboxServer(app, port=0).start()
        running.append(Running(app, server, HubSpot(access_token=TOKEN, host=server.url, client_side_validation=True)))
        return running[-1]

    yield run
    for item in running:
        item.client.close()
        item.server.stop()


@pytest.fixture
def hs(start: Callable[..., Running]) -> Running:
    return start()
