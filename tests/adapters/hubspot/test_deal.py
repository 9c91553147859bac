"""Phase 2 against the sandbox: the deal, found or created by our case key, with every routine field."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from adapters.errors import ConfigurationError
from adapters.hubspot_crm import HubSpotCrm
from tests.adapters.hubspot.conftest import (
    AGENT_OWNER_ID,
    ASSIST_PIPELINE,
    WAITING_STAGE,
    Portal,
    draft,
)


def test_a_new_deal_carries_every_routine_field_and_its_three_associations(crm: HubSpotCrm, portal: Portal) -> None:
    deal = crm.find_or_create_deal(deal=draft("case-5001", 0, licences=30))

    stored = portal.app.object("deals", deal.id)
    assert stored is not None
    assert {
        key: stored["properties"].get(key)
        for key in (
            "dealname",
            "pipeline",
            "dealstage",
            "closedate",
            "dealtype",
            "motebooker",
            "hubspot_owner_id",
            "delivery_start_date",
            "deal_currency_code",
            "amount",
            "reforhandling_case_key",
        )
    } == {
        "dealname": "Fjordkraft Bygg AS - REFORHANDLING",
        "pipeline": ASSIST_PIPELINE,
        "dealstage": WAITING_STAGE,
        "closedate": "2024-10-06T00:00:00.000Z",
        "dealtype": "tilleggslisenser_reforhandling",
        "motebooker": AGENT_OWNER_ID,
        "hubspot_owner_id": AGENT_OWNER_ID,
        "delivery_start_date": "2024-10-04",
        "deal_currency_code": "NOK",
        "amount": "30",
        "reforhandling_case_key": "case-5001",
    }
    assert portal.app.associations("deals", deal.id, "contacts") == ["3001"]
    assert portal.app.associations("deals", deal.id, "companies") == ["9001"]
    # On the ticket, as the ticket's "Deals" card creates it, inline in the one create request.
    assert portal.app.associations("deals", deal.id, "tickets") == ["5001"]
    assert portal.app.associations("tickets", "5001", "deals") == [deal.id]
    assert len(portal.app.requests("PUT")) == 0
    # No app URL set: the link opens the sandbox's own page of the record (the local stack).
    assert deal.url == f"{portal.server.url}/_sandbox/contacts/1234567/record/0-3/{deal.id}"
    assert (deal.name, deal.case_key) == ("Fjordkraft Bygg AS - REFORHANDLING", "case-5001")


def test_the_same_case_key_returns_the_same_deal_without_a_second_create(crm: HubSpotCrm, portal: Portal) -> None:
    first = crm.find_or_create_deal(deal=draft("case-5001"))
    second = portal.crm().find_or_create_deal(deal=draft("case-5001"))

    assert second == first
    assert len(portal.app.objects("deals")) == 1
    assert len(portal.posts(r"^/crm/v3/objects/deals$")) == 1


def test_the_case_key_look_up_reads_the_datastore_not_the_lagging_search_index(portal_factory: object) -> None:
    portal = portal_factory(search_lag=60.0)  # type: ignore[operator]
    crm = portal.crm()
    first = crm.find_or_create_deal(deal=draft("case-5001"))

    assert crm.find_or_create_deal(deal=draft("case-5001")).id == first.id
    assert portal.posts(r"/search$") == []
    assert portal.posts(r"^/crm/v3/objects/deals/batch/read$")[0]["body"]["idProperty"] == "reforhandling_case_key"


def test_set_deal_delivery_start_updates_the_date(crm: HubSpotCrm, portal: Portal) -> None:
    deal = crm.find_or_create_deal(deal=draft())

    crm.set_deal_delivery_start(deal_id=deal.id, start=date(2024, 11, 1))

    stored = portal.app.object("deals", deal.id)
    assert stored is not None and stored["properties"]["delivery_start_date"] == "2024-11-01"


def test_labels_are_resolved_once_per_process_and_reused_by_a_second_case(crm: HubSpotCrm, portal: Portal) -> None:
    crm.find_or_create_deal(deal=draft("case-5001", 0))
    other_adapter = portal.crm()
    other_adapter.find_or_create_deal(deal=draft("case-5002", 1))

    label_reads = portal.app.requests("GET", r"^/crm/v3/(pipelines|properties|owners)")
    assert [entry["path"] for entry in label_reads] == [
        "/crm/v3/pipelines/deals",
        "/crm/v3/owners/",
        "/crm/v3/properties/deals",
    ]
    assert other_adapter.calls == 2  # batch read by case key, create


def test_a_missing_pipeline_label_names_the_pipelines_that_exist(portal: Portal) -> None:
    crm = portal.crm(routine=portal.routine.model_copy(update={"deal_pipeline": "Assist Pluss"}))

    with pytest.raises(ConfigurationError) as raised:
        crm.find_or_create_deal(deal=draft())

    assert "'Assist Pluss'" in str(raised.value)
    assert "'Assist'" in str(raised.value) and "'Sales Pipeline'" in str(raised.value)
    assert portal.app.objects("deals") == []


def test_a_missing_stage_or_deal_type_label_names_the_ones_that_exist(portal: Portal) -> None:
    stage = portal.crm(routine=portal.routine.model_copy(update={"deal_stage": "Venter"}))
    with pytest.raises(ConfigurationError, match="'Venter på beslutning'"):
        stage.find_or_create_deal(deal=draft())

    deal_type = portal.crm(routine=portal.routine.model_copy(update={"deal_type": "Reforhandling"}))
    with pytest.raises(ConfigurationError, match="'Tilleggslisenser / reforhandling'"):
        deal_type.find_or_create_deal(deal=draft())


def test_an_agent_who_is_no_hubspot_owner_is_a_configuration_error(crm: HubSpotCrm) -> None:
    with pytest.raises(ConfigurationError, match=r"nobody@avonova\.example"):
        crm.find_or_create_deal(deal=draft().model_copy(update={"agent_email": "nobody@avonova.example"}))


def test_read_deal_gives_the_amount_as_a_licence_count_by_a_plain_get(crm: HubSpotCrm, portal: Portal) -> None:
    deal = crm.find_or_create_deal(deal=draft("case-5001", 0, licences=30))
    crm.set_deal_licences(deal_id=deal.id, licences=31)
    before = len(portal.app.requests())

    read = crm.read_deal(deal_id=deal.id)

    assert (read.id, read.case_key, read.amount) == (deal.id, "case-5001", 31)
    assert {entry["method"] for entry in portal.app.requests()[before:]} == {"GET"}
    assert crm.owner_id(email="agent@avonova.example") == AGENT_OWNER_ID


def test_the_deal_moves_to_won_or_lost_by_label_and_keeps_its_close_date(crm: HubSpotCrm, portal: Portal) -> None:
    deal = crm.find_or_create_deal(deal=draft())
    before = portal.app.object("deals", deal.id)
    assert before is not None
    crm.move_deal(deal_id=deal.id, stage_label="Lukket vunnet")

    won = portal.app.object("deals", deal.id)
    assert won is not None
    assert (won["properties"]["pipeline"], won["properties"]["dealstage"]) == (ASSIST_PIPELINE, "87654325")
    assert won["properties"]["closedate"] == before["properties"]["closedate"]
    assert [entry["method"] for entry in portal.app.requests()[-1:]] == ["PATCH"]

    crm.move_deal(deal_id=deal.id, stage_label="Lukket tapt")
    read = crm.read_deal(deal_id=deal.id)
    assert (read.stage, read.ticket_ids) == ("Lukket tapt", ("5001",))


def test_a_missing_won_stage_label_names_the_stages_that_exist(crm: HubSpotCrm, portal: Portal) -> None:
    deal = crm.find_or_create_deal(deal=draft())

    with pytest.raises(ConfigurationError, match="'Lukket vunnet'"):
        crm.move_deal(deal_id=deal.id, stage_label="Vunnet")


def test_on_the_local_stack_hubspot_links_open_readable_pages_of_the_deal_company_and_ticket_with_its_notes(
    crm: HubSpotCrm, portal: Portal
) -> None:
    deal = crm.find_or_create_deal(deal=draft("case-5001"))
    crm.add_ticket_note(ticket_id="5001", marker="[case-5001:test]", body="Til ordre <script>alert(1)</script>")

    shown = httpx.get(deal.url, timeout=10)
    company_link = re.search(r'href="([^"]+/record/0-2/9001)"', shown.text)
    ticket = httpx.get(f"{portal.server.url}/_sandbox/contacts/1234567/record/0-5/5001", timeout=10)
    missing = httpx.get(f"{portal.server.url}/_sandbox/contacts/1234567/record/0-3/404404", timeout=10)

    assert shown.status_code == 200 and "<h1>Deal: Fjordkraft Bygg AS - REFORHANDLING</h1>" in shown.text
    assert company_link, shown.text
    company = httpx.get(f"{portal.server.url}{company_link.group(1)}", timeout=10)
    assert "<h1>Selskap: Fjordkraft Bygg AS</h1>" in company.text
    assert ticket.status_code == 200 and "Til ordre &lt;script&gt;alert(1)&lt;/script&gt;" in ticket.text
    assert "<script>" not in ticket.text
    assert missing.status_code == 404
    # People's pages are not API calls: nothing in the request log, no rate-limit slot taken.
    assert portal.app.requests("GET", r"^/_sandbox/") == []
