"""Intake claims: a ticket's move to the ready stage is taken in by one trigger, across stores racing, and again only
after a failure released it or its taker died."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from store.case_store import CaseStore

STALE = timedelta(minutes=5)
MOVE = "2026-12-06T10:00:00+00:00"


@pytest.fixture
def store(database_url: str) -> Iterator[CaseStore]:
    store = CaseStore(database_url)
    yield store
    store.engine.dispose()


def test_a_move_is_claimed_once_and_a_later_move_of_the_same_ticket_again(store: CaseStore) -> None:
    assert store.claim_intake("5001", MOVE, stale_after=STALE)
    assert not store.claim_intake("5001", MOVE, stale_after=STALE)
    assert store.claim_intake("5001", "2026-12-06T11:00:00+00:00", stale_after=STALE)
    assert store.claim_intake("5002", MOVE, stale_after=STALE)


def test_a_released_claim_may_be_taken_again_but_a_finished_one_never(store: CaseStore) -> None:
    assert store.claim_intake("5001", MOVE, stale_after=STALE)
    store.release_intake("5001", MOVE)
    assert store.claim_intake("5001", MOVE, stale_after=STALE)
    store.finish_intake("5001", MOVE, outcome="refused", case_key=None)
    store.release_intake("5001", MOVE)

    assert not store.claim_intake("5001", MOVE, stale_after=timedelta(0))
    [claim] = store.intake_claims("5001")
    assert (claim.outcome, claim.case_key) == ("refused", None)


def test_a_claim_left_unfinished_past_the_stale_time_is_taken_over_once(store: CaseStore) -> None:
    assert store.claim_intake("5001", MOVE, stale_after=STALE)
    time.sleep(0.3)

    taken = [store.claim_intake("5001", MOVE, stale_after=timedelta(seconds=0.2)) for _ in range(2)]

    assert taken == [True, False]


def test_stores_racing_for_one_move_give_it_to_one(database_url: str, store: CaseStore) -> None:
    stores = [CaseStore(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    won: list[bool] = []

    def claim(racer: CaseStore) -> None:
        barrier.wait()
        won.append(racer.claim_intake("5001", MOVE, stale_after=STALE))

    threads = [threading.Thread(target=claim, args=(racer,)) for racer in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for racer in stores:
        racer.engine.dispose()

    assert sorted(won) == [False, False, False, True]
