"""Notification claims: one sender per (case, notification), across stores racing and after a failed send."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import update

from models.case import NotificationClaim
from models.renegotiation import RenegotiationRequest
from store.case_store import CaseStore

STALE = timedelta(minutes=15)


@pytest.fixture
def store(database_url: str) -> Iterator[CaseStore]:
    store = CaseStore(database_url)
    yield store
    store.engine.dispose()


def open_case(store: CaseStore) -> str:
    request = RenegotiationRequest(
        ticket_id="5001",
        signer_email="kari.nordmann@fjordkraftbygg.example",
        licences=55,
        price_per_licence=Decimal("450"),
        agent_email="agent@avonova.example",
    )
    return store.open_case(request, actor="agent").case_key


def test_a_notification_is_claimed_once_and_recorded_as_an_event_when_sent(store: CaseStore) -> None:
    key = open_case(store)

    assert store.claim_notification(key, "approval-reminder:approval-1", stale_after=STALE)
    assert not store.claim_notification(key, "approval-reminder:approval-1", stale_after=STALE)
    assert store.claim_notification(key, "approval-reminder:approval-2", stale_after=STALE)
    store.notification_sent(key, "approval-reminder:approval-1", actor="poll-signatures", details={"to": "a@b.example"})

    [event] = store.events(key, kind="notified:approval-reminder:approval-1")
    assert (event.actor, json.loads(event.details)) == ("poll-signatures", {"to": "a@b.example"})
    claims = {claim.name: claim.sent_at is not None for claim in store.notification_claims(key)}
    assert claims == {"approval-reminder:approval-1": True, "approval-reminder:approval-2": False}


def test_a_released_claim_after_a_failed_send_can_be_claimed_again_but_a_sent_one_cannot(store: CaseStore) -> None:
    key = open_case(store)
    assert store.claim_notification(key, "n:1", stale_after=STALE)

    store.release_notification(key, "n:1")
    assert store.claim_notification(key, "n:1", stale_after=STALE)
    store.notification_sent(key, "n:1", actor="flow", details={})
    store.release_notification(key, "n:1")

    assert not store.claim_notification(key, "n:1", stale_after=STALE)


def test_a_claim_left_unsent_past_the_stale_time_is_taken_over_once(store: CaseStore) -> None:
    key = open_case(store)
    assert store.claim_notification(key, "n:1", stale_after=STALE)
    # The sender died after claiming, longer ago than the stale time (set back, not slept: a loaded machine's pause
    # between the two callers below must not make the fresh claim stale too).
    with store.engine.begin() as connection:
        connection.execute(update(NotificationClaim).values(claimed_at=datetime.now(UTC) - STALE - timedelta(1)))

    # One (only one) later caller takes it over.
    taken = [store.claim_notification(key, "n:1", stale_after=STALE) for _ in range(2)]

    assert taken == [True, False]


def test_two_stores_racing_for_one_notification_give_it_to_one(database_url: str, store: CaseStore) -> None:
    key = open_case(store)
    stores = [CaseStore(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    won: list[bool] = []

    def claim(other: CaseStore) -> None:
        barrier.wait()
        won.append(other.claim_notification(key, "approval-escalation:approval-1", stale_after=STALE))

    threads = [threading.Thread(target=claim, args=(other,)) for other in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(won) == [False, False, False, True]
    assert len(store.notification_claims(key)) == 1
    for other in stores:
        other.engine.dispose()
