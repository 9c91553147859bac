"""The slow matrix of HubSpot's updates (issue 22): a PATCH of the ticket stage, the ticket owner or a deal property
whose answer is lost is read back, never sent again blind, and a newer value someone else set meanwhile is kept,
even when our held request lands after theirs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.hubspot_crm import HubSpotCrm
from models.field_history import WriteOutcome
from sandbox.kit import FaultKind, FaultRule
from tests.adapters.hubspot.conftest import Portal, draft
from tests.waiting import wait_until

# The sandbox holds our PATCH past the read timeout; the adapter waits longer than that before it reads back.
READ_TIMEOUT, DELAY, SETTLE = 0.3, 0.8, 1.2
SENT, CLOSED = "81234570", "81234571"  # Kundesenter: Sendt kontrakt, Lukket
INVOICE_SERVICE, AGENT2 = "7003", "7002"


@dataclass(frozen=True)
class Field:
    object_type: str
    property: str
    ours: str
    theirs: str
    write: Callable[[HubSpotCrm, str, datetime | None], WriteOutcome]


FIELDS = {
    "ticket stage": Field(
        "tickets",
        "hs_pipeline_stage",
        SENT,
        CLOSED,
        lambda crm, i, since: crm.move_ticket(ticket_id=i, stage_label="Sendt kontrakt", since=since),
    ),
    "ticket owner": Field(
        "tickets",
        "hubspot_owner_id",
        INVOICE_SERVICE,
        AGENT2,
        lambda crm, i, since: crm.assign_ticket(
            ticket_id=i, owner_email="invoice.service@avonova.example", since=since
        ),
    ),
    "deal amount": Field(
        "deals",
        "amount",
        "30",
        "31",
        lambda crm, i, since: crm.set_deal_licences(deal_id=i, licences=30, since=since),
    ),
}


def _record(portal: Portal, field: Field) -> str:
    if field.object_type == "tickets":
        return "5001"
    return portal.crm().find_or_create_deal(deal=draft("case-5001", licences=55)).id


def _value(portal: Portal, field: Field, record_id: str) -> str | None:
    stored = portal.app.object(field.object_type, record_id)
    assert stored is not None
    value = stored["properties"].get(field.property)
    return str(value) if value is not None else None


def _someone_else_sets(portal: Portal, field: Field, record_id: str) -> None:
    """A person (or another integration) sets the field past our adapter."""
    response = httpx.patch(
        f"{portal.server.url}/crm/v3/objects/{field.object_type}/{record_id}",
        json={"properties": {field.property: field.theirs}},
        headers={"Authorization": f"Bearer {portal.app.token}"},
    )
    response.raise_for_status()


def _patches(portal: Portal, field: Field, record_id: str, value: str) -> int:
    """PATCH requests that carried `value` for the field, answered or not."""
    path = f"^/crm/v3/objects/{field.object_type}/{record_id}$"
    return sum(
        1
        for entry in portal.app.requests("PATCH", path)
        if (entry["body"] or {}).get("properties", {}).get(field.property) == value
    )


def _write_in_background(
    portal: Portal, field: Field, record_id: str, fault: FaultKind
) -> tuple[threading.Thread, dict[str, Any]]:
    portal.faults(FaultRule(fault, delay=DELAY, route=f"^PATCH /crm/v3/objects/{field.object_type}/", count=1))
    crm = portal.crm(read_timeout=READ_TIMEOUT, settle_seconds=SETTLE)
    result: dict[str, Any] = {}

    def write() -> None:
        try:
            result["outcome"] = field.write(crm, record_id, None)
        except BaseException as error:  # the assertions show it
            result["error"] = error

    writer = threading.Thread(target=write)
    writer.start()
    return writer, result


@pytest.mark.parametrize("name", list(FIELDS))
def test_a_held_write_that_lands_after_someone_elses_is_undone_and_theirs_kept(portal: Portal, name: str) -> None:
    field = FIELDS[name]
    record_id = _record(portal, field)
    writer, result = _write_in_background(portal, field, record_id, "slow")
    # Our PATCH is held before HubSpot carries it out; meanwhile someone else sets the field.
    wait_until(
        lambda: any(a.startswith(f"PATCH /crm/v3/objects/{field.object_type}/") for a in portal.app.arrivals), "ours"
    )
    _someone_else_sets(portal, field, record_id)

    writer.join()

    outcome = result.get("outcome")
    assert isinstance(outcome, WriteOutcome), result
    assert (outcome.kept, outcome.restored) == ({field.property: field.theirs}, True)
    assert _value(portal, field, record_id) == field.theirs
    assert _patches(portal, field, record_id, field.ours) == 1  # ours landed late, and was never sent again


@pytest.mark.parametrize("name", list(FIELDS))
def test_a_write_whose_answer_was_lost_is_read_back_not_repeated_over_a_newer_value(portal: Portal, name: str) -> None:
    field = FIELDS[name]
    record_id = _record(portal, field)
    writer, result = _write_in_background(portal, field, record_id, "slow_after")
    # HubSpot has carried our PATCH out, but its answer is held; someone else then sets the field.
    wait_until(lambda: _value(portal, field, record_id) == field.ours, "ours to land")
    _someone_else_sets(portal, field, record_id)

    writer.join()

    outcome = result.get("outcome")
    assert isinstance(outcome, WriteOutcome), result
    assert (outcome.kept, outcome.restored) == ({field.property: field.theirs}, False)
    assert _value(portal, field, record_id) == field.theirs
    assert _patches(portal, field, record_id, field.ours) == 1


@pytest.mark.parametrize("name", list(FIELDS))
def test_a_held_write_nobody_else_touches_is_made_once(portal: Portal, name: str) -> None:
    field = FIELDS[name]
    record_id = _record(portal, field)
    writer, result = _write_in_background(portal, field, record_id, "slow")

    writer.join()
    wait_until(lambda: any(entry["fault"] == "slow" for entry in portal.app.requests("PATCH")), "the held one to land")

    assert result.get("outcome") == WriteOutcome(ours=result["outcome"].ours), result
    assert _value(portal, field, record_id) == field.ours
    assert _patches(portal, field, record_id, field.ours) == 1


def test_a_retried_write_reads_back_first_and_keeps_a_value_set_since_its_first_attempt(portal: Portal) -> None:
    field = FIELDS["ticket stage"]
    first_attempt = datetime.now(UTC) - timedelta(seconds=5)
    _someone_else_sets(portal, field, "5001")

    outcome = field.write(portal.crm(clock_skew_seconds=0), "5001", first_attempt)

    assert outcome.kept == {field.property: field.theirs}
    assert _value(portal, field, "5001") == field.theirs
    assert _patches(portal, field, "5001", field.ours) == 0


def test_a_retried_write_whose_first_attempt_never_landed_is_written(portal: Portal) -> None:
    field = FIELDS["ticket owner"]

    outcome = field.write(portal.crm(clock_skew_seconds=0), "5001", datetime.now(UTC) - timedelta(seconds=5))

    assert outcome.kept == {}
    assert _value(portal, field, "5001") == field.ours
