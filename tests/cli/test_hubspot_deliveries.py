"""HubSpot's deliveries are verified before anything is read from them (v3 signature, a timestamp within the window
either way, no replay), and only stage changes to the ready stage reach the intake, each event once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from reforhandling.hubspot_webhook import HubSpotDeliveries
from sandbox.hubspot.webhooks import signed_headers

URL = "https://reforhandling.example/webhooks/hubspot"
SECRET = "the-apps-client-secret"
NOW = 1_800_000_000.0
READY = "81234572"


@pytest.fixture
def deliveries() -> Iterator[tuple[HubSpotDeliveries, list[str]]]:
    taken: list[str] = []
    receiver = HubSpotDeliveries(
        secret=SECRET, max_age_seconds=300, ready_stage_id=lambda: READY, take_in=taken.append, clock=lambda: NOW
    )
    yield receiver, taken
    receiver.close()


def event(event_id: int, ticket: int, value: str = READY, **other: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "subscriptionType": "ticket.propertyChange",
        "objectId": ticket,
        "propertyName": "hs_pipeline_stage",
        "propertyValue": value,
        "attemptNumber": 0,
        **other,
    }


def verify(receiver: HubSpotDeliveries, body: bytes, headers: dict[str, str]) -> str | None:
    return receiver.verify(
        body=body,
        uri=URL,
        signature=headers.get("X-HubSpot-Signature-v3"),
        timestamp=headers.get("X-HubSpot-Request-Timestamp"),
    )


@pytest.mark.parametrize(
    ("secret", "age_seconds", "refused"),
    [
        (SECRET, 0, None),
        (SECRET, 299, None),
        (SECRET, 301, "stale or malformed timestamp"),
        (SECRET, -301, "stale or malformed timestamp"),
        ("guessed", 0, "wrong signature"),
    ],
)
def test_a_delivery_is_accepted_only_signed_with_the_secret_within_five_minutes(
    deliveries: tuple[HubSpotDeliveries, list[str]], secret: str, age_seconds: int, refused: str | None
) -> None:
    receiver, _ = deliveries
    body = json.dumps([event(1, 5001)]).encode()
    headers = signed_headers(secret=secret, url=URL, body=body, timestamp_ms=int((NOW - age_seconds) * 1000))

    assert verify(receiver, body, headers) == refused


def test_a_changed_body_or_a_replayed_request_is_refused(deliveries: tuple[HubSpotDeliveries, list[str]]) -> None:
    receiver, _ = deliveries
    body = json.dumps([event(1, 5001)]).encode()
    headers = signed_headers(secret=SECRET, url=URL, body=body, timestamp_ms=int(NOW * 1000))

    assert verify(receiver, body.replace(b"5001", b"5002"), headers) == "wrong signature"
    assert verify(receiver, body, headers) is None
    assert verify(receiver, body, headers) == "replayed"
    assert verify(receiver, body, {}) == "no signature"


def test_only_moves_to_the_ready_stage_reach_the_intake_each_event_once(
    deliveries: tuple[HubSpotDeliveries, list[str]],
) -> None:
    receiver, taken = deliveries
    batch = [
        event(1, 5001),
        event(2, 5002, value="81234573"),
        event(3, 5003, propertyName="subject"),
        event(4, 5004, subscriptionType="deal.propertyChange"),
        event(1, 5001),
        event(5, 5001),
    ]

    assert receiver.accept(json.dumps(batch).encode()) == (200, "1 ticket(s) to take in")
    assert receiver.accept(json.dumps([event(1, 5001, attemptNumber=1)]).encode())[0] == 200
    assert receiver.idle().result() is None
    assert taken == ["5001"]
    assert receiver.accept(b'{"not": "an array"}')[0] == 400


@pytest.mark.parametrize("object_id", ["٥٠٠١", "５００１", "5001\n", "²", "", None])
def test_a_ticket_id_that_is_not_ascii_digits_never_reaches_the_intake(
    deliveries: tuple[HubSpotDeliveries, list[str]], object_id: object
) -> None:
    receiver, taken = deliveries

    assert receiver.accept(json.dumps([event(7, 0, objectId=object_id)]).encode()) == (200, "0 ticket(s) to take in")
    assert receiver.idle().result() is None
    assert taken == []
