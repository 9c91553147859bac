from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from models.case import TRANSITIONS, CaseState, IllegalTransition, check_transition
from models.renegotiation import RenegotiationRequest
from store.case_store import CaseNotFound, CaseStore, OpenCaseExists


def request(ticket: str = "5001") -> RenegotiationRequest:
    return RenegotiationRequest(
        ticket_id=ticket,
        signer_email="kari.nordmann@fjordkraftbygg.example",
        licences=55,
        price_per_licence=Decimal("450"),
        agent_email="agent@avonova.example",
    )


@pytest.fixture
def store(database_url: str) -> Iterator[CaseStore]:
    """The same tests on both databases the store supports: SQLite locally, PostgreSQL in production."""
    store = CaseStore(database_url)
    yield store
    store.engine.dispose()


def test_an_opened_case_is_stored_with_the_request_and_an_opening_event(store: CaseStore) -> None:
    case = store.open_case(request(), actor="agent@avonova.example")

    stored = store.get(case.case_key)
    assert (stored.ticket_id, stored.state, stored.licences_after, stored.price_after) == (
        "5001",
        CaseState.STARTED,
        55,
        Decimal("450.00"),
    )
    assert case.case_key.startswith("RF-5001-")
    [opened] = store.events(case.case_key)
    assert (opened.actor, opened.kind, json.loads(opened.details)["licences"]) == (
        "agent@avonova.example",
        "opened",
        55,
    )


def test_a_second_case_for_a_ticket_with_an_open_case_is_refused_naming_the_open_case(store: CaseStore) -> None:
    first = store.open_case(request(), actor="a")

    with pytest.raises(OpenCaseExists, match=first.case_key):
        store.open_case(request(), actor="b")
    assert len(store.cases()) == 1


def test_a_ticket_can_get_a_new_case_once_its_case_is_closed(store: CaseStore) -> None:
    first = store.open_case(request(), actor="a")
    store.transition(first.case_key, CaseState.CANCELLED, actor="ops")

    second = store.open_case(request(), actor="a")

    assert second.case_key != first.case_key
    assert [c.state for c in store.cases()] == [CaseState.CANCELLED, CaseState.STARTED]


def test_an_illegal_transition_raises_and_changes_nothing(store: CaseStore) -> None:
    case = store.open_case(request(), actor="a")

    with pytest.raises(IllegalTransition, match="cannot go from STARTED to SIGNED"):
        store.transition(case.case_key, CaseState.SIGNED, actor="flow")
    assert store.get(case.case_key).state == CaseState.STARTED


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (CaseState.AWAITING_APPROVAL, CaseState.SENT, True),
        (CaseState.AWAITING_APPROVAL, CaseState.DRAFTED, True),
        (CaseState.AWAITING_SIGNATURE, CaseState.COMPLETED, False),
        (CaseState.AWAITING_DECISION, CaseState.SENT, True),
        (CaseState.COMPLETED, CaseState.NEEDS_ATTENTION, False),
        (CaseState.SIGNED, CaseState.NEEDS_ATTENTION, True),
        (CaseState.NEEDS_ATTENTION, CaseState.LICENCES_ADJUSTED, True),
        (CaseState.NEEDS_ATTENTION, CaseState.STARTED, True),
        (CaseState.AWAITING_SIGNATURE, CaseState.CANCELLED, True),
        (CaseState.CANCELLED, CaseState.STARTED, False),
        (CaseState.REJECTED, CaseState.REJECTED, True),
    ],
    ids=lambda v: str(v),
)
def test_the_transition_table_allows_only_the_routines_moves(current: CaseState, new: CaseState, allowed: bool) -> None:
    if allowed:
        check_transition("RF-1", current, new)
    else:
        with pytest.raises(IllegalTransition):
            check_transition("RF-1", current, new)


def test_closed_states_lead_nowhere() -> None:
    assert not TRANSITIONS[CaseState.COMPLETED] | TRANSITIONS[CaseState.REJECTED] | TRANSITIONS[CaseState.CANCELLED]


def test_of_cases_opened_at_once_for_one_ticket_exactly_one_is_stored(store: CaseStore) -> None:
    outcomes: list[str] = []

    def open_one() -> None:
        try:
            outcomes.append(store.open_case(request(), actor="agent").case_key)
        except OpenCaseExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("refused") == 3
    assert [case.case_key for case in store.cases()] == [o for o in outcomes if o != "refused"]


def test_an_unknown_case_key_says_how_to_find_the_cases(store: CaseStore) -> None:
    with pytest.raises(CaseNotFound, match="reforhandling cases"):
        store.get("RF-404-1")
