"""How long the adapter waits between attempts, recorded by an injected sleep instead of slept."""

from __future__ import annotations

from collections.abc import Callable

from adapters.hubspot_crm import HubSpotCrm
from sandbox.kit import FaultRule
from tests.adapters.hubspot.conftest import Portal, draft


def _crm(portal: Portal, sleep: Callable[[float], None]) -> HubSpotCrm:
    return HubSpotCrm(portal.settings(), portal.routine, sleep=sleep)


def test_a_rate_limited_read_waits_a_tenth_of_hubspots_rolling_window(portal: Portal) -> None:
    portal.faults(FaultRule("error", status=429, route=r"^GET /crm/v3/objects/companies/", count=1))
    slept: list[float] = []
    crm = _crm(portal, slept.append)

    assert crm.read_company(company_id="9001").id == "9001"
    (wait,) = slept
    assert 0.1 <= wait <= 0.11  # the sandbox's window is 1 s; the backoff setting alone would be 0.001 s


def test_a_dropped_note_create_is_looked_for_only_once_it_must_have_landed(portal: Portal) -> None:
    portal.faults(FaultRule("drop_after", route=r"^POST /crm/v3/objects/notes$", count=1))
    slept: list[float] = []

    _crm(portal, slept.append).add_ticket_note(ticket_id="5001", marker="case-5001/x", body="Lisenser: 30")

    assert slept == [portal.settings().settle_seconds]


def test_a_dropped_deal_create_is_looked_for_at_once_as_hubspot_refuses_a_second_deal(portal: Portal) -> None:
    portal.faults(FaultRule("drop_after", route=r"^POST /crm/v3/objects/deals$", count=1))
    slept: list[float] = []

    _crm(portal, slept.append).find_or_create_deal(deal=draft("case-5001"))

    (wait,) = slept
    assert wait < portal.settings().settle_seconds
