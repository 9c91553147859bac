"""Creates whose request outlives the read timeout: the record lands after the adapter gave up on it, and still
exactly one record exists."""

from __future__ import annotations

import html
import time
from collections.abc import Callable

import httpx
import pytest

from adapters.hubspot_crm import HubSpotCrm
from sandbox.kit import FaultRule
from tests.adapters.hubspot.conftest import Portal, draft
from tests.waiting import wait_until

NEW_EMAIL = "ny.signatar@fjordkraftbygg.example"
MARKER = "case-5001/invoice"
TAG = html.escape(f"[{MARKER}]")
# The sandbox holds the first create past the read timeout; the adapter waits longer than that before it looks.
READ_TIMEOUT, DELAY, SETTLE = 0.3, 0.8, 1.2


def _contacts(portal: Portal) -> list[str]:
    return [c["id"] for c in portal.app.objects("contacts") if c["properties"].get("email") == NEW_EMAIL]


def _deals(portal: Portal) -> list[str]:
    key = portal.routine.case_key_property
    return [d["id"] for d in portal.app.objects("deals") if d["properties"].get(key) == "case-5001"]


def _notes(portal: Portal) -> list[str]:
    return [n["id"] for n in portal.app.objects("notes") if TAG in (n["properties"].get("hs_note_body") or "")]


CREATES: dict[str, tuple[str, Callable[[HubSpotCrm], str], Callable[[Portal], list[str]]]] = {
    "contact": (
        r"^POST /crm/v3/objects/contacts$",
        lambda crm: crm.find_or_create_contact(email=NEW_EMAIL, company_id="9001", name="Ny Signatar").id,
        _contacts,
    ),
    "deal": (
        r"^POST /crm/v3/objects/deals$",
        lambda crm: crm.find_or_create_deal(deal=draft("case-5001")).id,
        _deals,
    ),
    "note": (
        r"^POST /crm/v3/objects/notes$",
        lambda crm: crm.add_ticket_note(ticket_id="5001", marker=MARKER, body="Lisenser: 30"),
        _notes,
    ),
}


def _wait_until_the_slow_request_landed(portal: Portal, route: str) -> None:
    method, path = route.removeprefix("^").split(" ", 1)
    wait_until(
        lambda: any(entry["fault"] == "slow" for entry in portal.app.requests(method, "^" + path)),
        "the slow request to land",
    )


@pytest.mark.parametrize("kind", list(CREATES))
def test_a_create_that_outlives_the_read_timeout_leaves_exactly_one_record(portal: Portal, kind: str) -> None:
    route, create, records = CREATES[kind]
    portal.faults(FaultRule("slow", delay=DELAY, route=route, count=1))
    crm = portal.crm(read_timeout=READ_TIMEOUT, settle_seconds=SETTLE)

    created = create(crm)

    _wait_until_the_slow_request_landed(portal, route)
    assert records(portal) == [created]


def test_a_note_create_that_is_never_answered_is_looked_for_once_it_must_have_landed(portal: Portal) -> None:
    portal.faults(FaultRule("slow", delay=DELAY, route=CREATES["note"][0]))  # every attempt is slow
    crm = portal.crm(read_timeout=READ_TIMEOUT, settle_seconds=SETTLE)

    note_id = crm.add_ticket_note(ticket_id="5001", marker=MARKER, body="Lisenser: 30")

    time.sleep(DELAY + 0.5)  # any further create the adapter sent has landed by now
    assert _notes(portal) == [note_id]
    assert len(portal.posts(r"^/crm/v3/objects/notes$")) == 1


def _note_on_ticket(portal: Portal, body: str) -> str:
    """A note written past the adapter, as a second run or a person might."""
    note = {
        "properties": {"hs_note_body": body, "hs_timestamp": "2024-10-01T10:00:00.000Z"},
        "associations": [
            {"to": {"id": "5001"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 228}]}
        ],
    }
    response = httpx.post(
        f"{portal.server.url}/crm/v3/objects/notes", json=note, headers={"Authorization": f"Bearer {portal.app.token}"}
    )
    response.raise_for_status()
    return str(response.json()["id"])


def test_two_notes_with_one_marker_are_reduced_to_the_first_one(portal: Portal) -> None:
    first = _note_on_ticket(portal, f"<p>Lisenser: 30</p><p>{TAG}</p>")
    _note_on_ticket(portal, f"<p>Lisenser: 30</p><p>{TAG}</p>")

    found = portal.crm().add_ticket_note(ticket_id="5001", marker=MARKER, body="Lisenser: 30")

    assert found == first
    assert _notes(portal) == [first]
    assert len(portal.posts(r"^/crm/v3/objects/notes$")) == 2  # nothing written but the two notes above
