"""The licence sandbox served for the adapter's tests (and, re-exported, for the sandbox's own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.kit import SandboxServer
from sandbox.licences import LicenceSandbox


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(LicenceSandbox()) as running:
        yield running


@pytest.fixture
def app(server: SandboxServer) -> LicenceSandbox:
    assert isinstance(server.app, LicenceSandbox)
    return server.app
