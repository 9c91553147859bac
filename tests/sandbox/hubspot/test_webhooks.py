"""The HubSpot sandbox keeps an app's webhook settings and subscriptions (Webhooks API v3, through the SDK) and
delivers `ticket.propertyChange` events as HubSpot does: a JSON array, v3-signed with the app's client secret, each
attempt numbered, failed deliveries retried with backoff a bounded number of times."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.tickets import SimplePublicObjectInput
from hubspot.utils.signature import Signature
from hubspot.webhooks import SettingsChangeRequest, SubscriptionCreateRequest
from hubspot.webhooks.exceptions import ApiException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sandbox.hubspot import HubSpotSandbox
from sandbox.hubspot.seed import KUNDESENTER_READY_STAGE
from sandbox.kit import SandboxServer
from tests.sandbox.hubspot.conftest import Running
from tests.waiting import wait_until

APP_ID = "2345678"
SECRET = "sandbox-client-secret"


class Receiver:
    """Answers 503 to its first `failures` deliveries and 200 after, keeping each body and its headers."""

    name = "receiver"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._app = Starlette(routes=[Route("/hubspot", self._hook, methods=["POST"])])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.deliveries.append((body, dict(request.headers)))
            failing = len(self.deliveries) <= self.failures
        return Response(status_code=503 if failing else 200)


@pytest.fixture
def subscribed(start: Callable[..., Running]) -> Iterator[Callable[[int], tuple[Running, Receiver, str]]]:
    servers: list[SandboxServer] = []

    def run(failures: int) -> tuple[Running, Receiver, str]:
        hs = start(webhook_backoff=(0.05, 0.1))
        receiver = Receiver(failures)
        servers.append(SandboxServer(receiver).start())
        url = f"{servers[-1].url}/hubspot"
        developer = HubSpot(api_key="sandbox-key", host=hs.server.url)
        developer.webhooks.settings_api.configure(APP_ID, SettingsChangeRequest(target_url=url))
        developer.webhooks.subscriptions_api.create(
            APP_ID,
            SubscriptionCreateRequest(event_type="ticket.propertyChange", property_name="hs_pipeline_stage"),
        )
        return hs, receiver, url

    yield run
    for server in servers:
        server.stop()


def _move(hs: Running, ticket_id: str, stage: str) -> None:
    hs.sdk.crm.tickets.basic_api.update(ticket_id, SimplePublicObjectInput(properties={"hs_pipeline_stage": stage}))


def test_the_webhooks_api_keeps_the_apps_settings_and_subscriptions(subscribed: Any) -> None:
    hs, _, url = subscribed(0)
    developer = HubSpot(api_key="sandbox-key", host=hs.server.url)

    assert developer.webhooks.settings_api.get_all(APP_ID).target_url == url
    [subscription] = developer.webhooks.subscriptions_api.get_all(APP_ID).results
    assert (subscription.event_type, subscription.property_name, subscription.active) == (
        "ticket.propertyChange",
        "hs_pipeline_stage",
        True,
    )
    with pytest.raises(ApiException) as refused:
        HubSpot(api_key="wrong", host=hs.server.url).webhooks.subscriptions_api.get_all(APP_ID)
    assert refused.value.status == 401


def test_a_stage_change_is_delivered_as_a_signed_array_of_events(subscribed: Any) -> None:
    hs, receiver, url = subscribed(0)

    _move(hs, "5001", KUNDESENTER_READY_STAGE)
    wait_until(lambda: len(receiver.deliveries) == 1, "the deliveries")

    body, headers = receiver.deliveries[0]
    [event] = json.loads(body)
    shown = ("objectId", "propertyName", "propertyValue", "subscriptionType", "attemptNumber")
    assert {k: event[k] for k in shown} == {
        "objectId": 5001,
        "propertyName": "hs_pipeline_stage",
        "propertyValue": KUNDESENTER_READY_STAGE,
        "subscriptionType": "ticket.propertyChange",
        "attemptNumber": 0,
    }
    assert {"eventId", "subscriptionId", "portalId", "appId", "occurredAt"} <= event.keys()
    assert Signature.is_valid(
        headers["x-hubspot-signature-v3"],
        SECRET,
        body.decode(),
        http_uri=url,
        signature_version="v3",
        timestamp=headers["x-hubspot-request-timestamp"],
    )


def test_a_failed_delivery_is_retried_with_the_attempt_numbered_and_signed_afresh(subscribed: Any) -> None:
    hs, receiver, _ = subscribed(2)

    _move(hs, "5002", KUNDESENTER_READY_STAGE)
    wait_until(lambda: len(receiver.deliveries) == 3, "the deliveries")
    assert hs.app.webhooks.sender.wait_idle(5)

    events = [json.loads(body)[0] for body, _ in receiver.deliveries]
    assert [e["attemptNumber"] for e in events] == [0, 1, 2]
    assert len({e["eventId"] for e in events}) == 1
    assert [a["status"] for a in hs.app.webhooks.sender.attempts()] == [503, 503, 200]
    assert hs.app.state.get("webhook_outbox") == {}


def test_deliveries_are_bounded_and_other_property_changes_send_nothing(subscribed: Any) -> None:
    hs, receiver, _ = subscribed(100)

    hs.sdk.crm.tickets.basic_api.update("5003", SimplePublicObjectInput(properties={"subject": "Nytt navn"}))
    _move(hs, "5003", KUNDESENTER_READY_STAGE)
    assert hs.app.webhooks.sender.wait_idle(5)

    # The first attempt and one per pause of the (test's) backoff, then the event is given up.
    assert len(receiver.deliveries) == 3
    assert {json.loads(body)[0]["propertyName"] for body, _ in receiver.deliveries} == {"hs_pipeline_stage"}


def test_a_delivery_still_owed_when_the_sandbox_stops_goes_out_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "hubspot.db"
    receiver = Receiver(1)
    with SandboxServer(receiver) as listening:
        url = f"{listening.url}/hubspot"
        first = HubSpotSandbox(state_file=state, webhook_backoff=(60.0,))
        with SandboxServer(first) as server:
            developer = HubSpot(api_key="sandbox-key", host=server.url)
            developer.webhooks.settings_api.configure(APP_ID, SettingsChangeRequest(target_url=url))
            developer.webhooks.subscriptions_api.create(
                APP_ID,
                SubscriptionCreateRequest(event_type="ticket.propertyChange", property_name="hs_pipeline_stage"),
            )
            sdk = HubSpot(access_token="sandbox-token", host=server.url)
            stage = {"hs_pipeline_stage": KUNDESENTER_READY_STAGE}
            sdk.crm.tickets.basic_api.update("5001", SimplePublicObjectInput(properties=stage))
            # The first attempt is refused; the next is a minute away when the sandbox stops.
            wait_until(lambda: len(first.webhooks.sender.attempts()) == 1, "the deliveries")
        first.webhooks.sender.clear()

        restarted = HubSpotSandbox(state_file=state, webhook_backoff=(0.05,))
        wait_until(lambda: len(receiver.deliveries) == 2, "the deliveries")
        assert restarted.webhooks.sender.wait_idle(5)

    first_try, after_restart = (json.loads(body)[0] for body, _ in receiver.deliveries)
    assert after_restart["eventId"] == first_try["eventId"]
    assert (after_restart["objectId"], after_restart["propertyValue"]) == (5001, KUNDESENTER_READY_STAGE)
    assert restarted.state["webhook_outbox"] == {}
