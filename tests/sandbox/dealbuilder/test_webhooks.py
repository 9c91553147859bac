"""The Dealbuilder sandbox calls registered webhooks as a provider does: the key in the body, retried on failure
with backoff, a bounded number of times; registration through the adapter is idempotent and never shows the key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from adapters import dealbuilder_api as api
from adapters.dealbuilder_contracts import DealbuilderContracts
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.kit import CONTROL_HEADERS, SandboxServer
from tests.waiting import wait_until


class FlakyReceiver:
    """A receiver that answers 503 to its first `failures` deliveries and 200 after, keeping every body."""

    name = "flaky-receiver"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def _hook(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self._lock:
            self.bodies.append(body)
            failing = len(self.bodies) <= self.failures
        return Response(status_code=503 if failing else 200)


@pytest.fixture
def receiver_for(app: DealbuilderSandbox) -> Iterator[Any]:
    servers: list[SandboxServer] = []
    app.webhooks.backoff = (0.05, 0.1, 0.2)

    def serve(failures: int) -> tuple[FlakyReceiver, str]:
        receiver = FlakyReceiver(failures)
        servers.append(SandboxServer(receiver).start())
        return receiver, f"{servers[-1].url}/hook"

    yield serve
    for server in servers:
        server.stop()


def sent_document(app: DealbuilderSandbox) -> str:
    """A seeded agreement put back to Sent, waiting for its signer."""
    document_id = "DB-ORIG-1001"
    with app.lock:
        document = app.state["documents"][document_id]
        document[api.D_STATUS] = api.STATUS_SENT
        document[api.D_VALID_UNTIL] = (app.today + timedelta(days=7)).isoformat()
    return document_id


def test_a_signature_is_posted_to_the_registered_url_with_the_key_and_retried_until_it_is_taken(
    app: DealbuilderSandbox, contracts: DealbuilderContracts, receiver_for: Any
) -> None:
    receiver, url = receiver_for(2)
    contracts.register_webhook(url=url)
    document_id = sent_document(app)

    app.sign(document_id)

    assert app.webhooks.wait_idle(10)
    assert [(a["attempt"], a["status"]) for a in app.webhook_attempts(document_id)] == [(1, 503), (2, 503), (3, 200)]
    first, *retries = receiver.bodies
    assert first[api.EV_TYPE] == api.EVENT_SIGNED
    assert (first[api.EV_DOCUMENT_ID], first[api.EV_STATUS]) == (document_id, api.STATUS_SIGNED)
    assert first[api.EV_KEY] == "sandbox-webhook-key"
    # A retry is the same event: the receiver can tell it from a new one by its id.
    assert all(body == first for body in retries)


def test_a_receiver_that_keeps_failing_is_given_up_after_a_bounded_number_of_attempts(
    app: DealbuilderSandbox, contracts: DealbuilderContracts, receiver_for: Any
) -> None:
    receiver, url = receiver_for(100)
    contracts.register_webhook(url=url)
    document_id = sent_document(app)

    app.decline(document_id)

    assert app.webhooks.wait_idle(10)
    assert [a["attempt"] for a in app.webhook_attempts(document_id)] == [1, 2, 3, 4]
    assert {body[api.EV_TYPE] for body in receiver.bodies} == {api.EVENT_DECLINED}


def test_registering_the_same_url_again_keeps_one_webhook_and_the_key_is_never_listed(
    app: DealbuilderSandbox, server: SandboxServer, contracts: DealbuilderContracts, receiver_for: Any
) -> None:
    receiver, url = receiver_for(0)
    first = contracts.register_webhook(url=url, events=(api.EVENT_SIGNED,))
    again = contracts.register_webhook(url=url)

    listed = httpx.get(f"{server.url}{api.WEBHOOKS}", headers={api.API_KEY_HEADER: "sandbox-key"}).json()
    assert first == again
    assert listed[api.L_ITEMS] == [{api.WH_ID: first, api.WH_URL: url, api.WH_EVENTS: list(api.OUTCOME_EVENTS)}]
    document_id = sent_document(app)
    # A view is not among the registered events.
    assert httpx.post(f"{server.url}/_sandbox/documents/{document_id}/view", headers=CONTROL_HEADERS).status_code == 200
    app.sign(document_id)
    assert app.webhooks.wait_idle(10)
    assert [body[api.EV_TYPE] for body in receiver.bodies] == [api.EVENT_SIGNED]


@pytest.mark.parametrize(
    "body",
    [
        {api.WH_URL: "not a url", api.WH_EVENTS: [api.EVENT_SIGNED], api.WH_KEY: "k"},
        {api.WH_URL: "http://127.0.0.1:1/hook", api.WH_EVENTS: ["DocumentEaten"], api.WH_KEY: "k"},
        {api.WH_URL: "http://127.0.0.1:1/hook", api.WH_EVENTS: [api.EVENT_SIGNED]},
    ],
)
def test_a_registration_without_a_url_known_events_or_a_key_is_refused(
    server: SandboxServer, body: dict[str, Any]
) -> None:
    response = httpx.post(f"{server.url}{api.WEBHOOKS}", json=body, headers={api.API_KEY_HEADER: "sandbox-key"})
    assert response.status_code == 400


def test_registration_needs_the_api_key(server: SandboxServer) -> None:
    body = {api.WH_URL: "http://127.0.0.1:1/hook", api.WH_EVENTS: [api.EVENT_SIGNED], api.WH_KEY: "k"}
    assert httpx.post(f"{server.url}{api.WEBHOOKS}", json=body).status_code == 401


def test_a_delivery_still_owed_when_the_sandbox_stops_goes_out_after_its_restart(
    tmp_path: Path, receiver_for: Any
) -> None:
    state = tmp_path / "dealbuilder.db"
    before = DealbuilderSandbox(state_file=state)
    receiver, url = receiver_for(1)
    body = {api.WH_URL: url, api.WH_EVENTS: list(api.OUTCOME_EVENTS), api.WH_KEY: "sandbox-webhook-key"}
    with SandboxServer(before) as server:
        registered = httpx.post(f"{server.url}{api.WEBHOOKS}", json=body, headers={api.API_KEY_HEADER: "sandbox-key"})
        assert registered.status_code == 201
        # The first attempt is refused; the retry is an hour away when the sandbox stops.
        before.webhooks.backoff = (3600.0,)
        document_id = sent_document(before)
        before.sign(document_id)
        wait_until(lambda: before.webhook_attempts(document_id), "a first attempt")
    before.webhooks.clear()  # the stop: the old process and its queue are gone

    after = DealbuilderSandbox(state_file=state)
    assert after.webhooks.wait_idle(30)
    assert [a["status"] for a in after.webhook_attempts(document_id)] == [200]
    first, again = receiver.bodies
    assert again == first and (first[api.EV_DOCUMENT_ID], first[api.EV_TYPE]) == (document_id, api.EVENT_SIGNED)
    # Delivered, so owed no more: a third start sends nothing.
    assert DealbuilderSandbox(state_file=state).webhooks.attempts() == []
