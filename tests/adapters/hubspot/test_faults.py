"""Rate limits and dropped connections: the adapter rides them out and never makes a second deal."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.kit import FaultRule
from tests.adapters.hubspot.conftest import Portal, draft
from tests.waiting import wait_until

DEAL_CREATE = r"^POST /crm/v3/objects/deals$"


def test_a_burst_past_the_rate_limit_is_ridden_out(portal_factory: Callable[..., Portal]) -> None:
    portal = portal_factory(rate_limit=4, rate_window=0.5)
    crm = portal.crm(max_attempts=6)

    companies = [crm.read_company(company_id=f"900{1 + i % 5}") for i in range(12)]

    assert [c.id for c in companies][:5] == ["9001", "9002", "9003", "9004", "9005"]
    statuses = [entry["status"] for entry in portal.app.requests("GET")]
    assert statuses.count(200) == 12
    assert statuses.count(429) >= 1
    assert crm.calls == len(statuses)


def test_a_connection_dropped_after_the_deal_was_created_does_not_make_a_second_deal(portal: Portal) -> None:
    portal.faults(FaultRule("drop_after", route=DEAL_CREATE, count=1))

    deal = portal.crm().find_or_create_deal(deal=draft("case-5001"))

    assert [d["id"] for d in portal.app.objects("deals")] == [deal.id]
    creates = portal.posts(r"^/crm/v3/objects/deals$")
    assert [c["fault"] for c in creates] == ["drop_after"]


def test_a_connection_dropped_before_the_create_landed_creates_exactly_one_deal(portal: Portal) -> None:
    portal.faults(FaultRule("drop_before", route=DEAL_CREATE, count=1))

    deal = portal.crm().find_or_create_deal(deal=draft("case-5001"))

    assert [d["id"] for d in portal.app.objects("deals")] == [deal.id]
    assert [c["fault"] for c in portal.posts(r"^/crm/v3/objects/deals$")] == ["drop_before", ""]


def test_a_create_slower_than_the_read_timeout_still_leaves_one_deal(portal: Portal) -> None:
    portal.faults(FaultRule("slow", delay=0.4, route=DEAL_CREATE, count=1))

    deal = portal.crm(read_timeout=0.1).find_or_create_deal(deal=draft("case-5001"))

    # The abandoned first create lands late; the unique case key makes HubSpot refuse it as a duplicate.
    wait_until(lambda: len(portal.posts(r"^/crm/v3/objects/deals$")) >= 2, "the late create to land")
    assert [d["id"] for d in portal.app.objects("deals")] == [deal.id]
    assert sorted(c["status"] for c in portal.posts(r"^/crm/v3/objects/deals$")) == [201, 409]


def test_a_failing_look_up_after_a_dropped_create_is_retried_and_leaves_one_deal(portal: Portal) -> None:
    portal.faults(
        FaultRule("drop_after", route=DEAL_CREATE, count=1),
        FaultRule("error", status=503, route=r"batch/read", count=1),
    )

    deal = portal.crm().find_or_create_deal(deal=draft("case-5001"))

    assert [d["id"] for d in portal.app.objects("deals")] == [deal.id]


def test_a_dropped_contact_create_does_not_make_a_second_contact(portal: Portal) -> None:
    portal.faults(FaultRule("drop_after", route=r"^POST /crm/v3/objects/contacts$", count=1))

    contact = portal.crm().find_or_create_contact(email="ny@fjordkraftbygg.example", company_id="9001", name="Ny")

    matching = [c for c in portal.app.objects("contacts") if c["properties"]["email"] == "ny@fjordkraftbygg.example"]
    assert [c["id"] for c in matching] == [contact.id]


def test_a_dropped_note_create_does_not_make_a_second_note(portal: Portal) -> None:
    portal.faults(FaultRule("drop_after", route=r"^POST /crm/v3/objects/notes$", count=1))

    note_id = portal.crm().add_ticket_note(ticket_id="5001", marker="case-5001/invoice", body="Lisenser: 30")

    assert [n["id"] for n in portal.app.objects("notes")] == [note_id]


def test_reads_survive_dropped_connections(portal: Portal) -> None:
    portal.faults(FaultRule("drop_before", route=r"^GET ", count=2))
    crm = portal.crm()

    assert crm.read_ticket(ticket_id="5001").id == "5001"
    assert crm.calls == 4  # two dropped, then the ticket and the ticket pipelines


def test_a_rate_limited_create_is_sent_again_without_an_extra_look_up(portal: Portal) -> None:
    portal.faults(FaultRule("error", status=429, route=DEAL_CREATE, count=1))
    crm = portal.crm()

    crm.find_or_create_deal(deal=draft("case-5001"))

    assert len(portal.app.objects("deals")) == 1
    assert len(portal.posts(r"^/crm/v3/objects/deals/batch/read$")) == 1
