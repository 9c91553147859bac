"""The portal cache: labels and owners fetched once for every adapter sharing the cache, again after the time to
live, and once more when a label is missing (someone may just have added it)."""

from __future__ import annotations

import copy

import pytest

from tests.adapters.hubspot.conftest import Portal

CONFIGURATION = r"^/crm/v3/(pipelines|properties|owners)"


def configuration_reads(portal: Portal) -> list[str]:
    return [entry["path"] for entry in portal.app.requests("GET", CONFIGURATION)]


@pytest.mark.parametrize(("ttl_seconds", "reads"), [(3600.0, 1), (0.0, 2)])
def test_a_second_process_reads_the_pipelines_from_the_cache_until_they_expire(
    portal: Portal, ttl_seconds: float, reads: int
) -> None:
    portal.crm(cache_ttl_seconds=ttl_seconds).move_ticket(ticket_id="5001", stage_label="Under arbeid")
    portal.crm(cache_ttl_seconds=ttl_seconds).move_ticket(ticket_id="5001", stage_label="Sendt kontrakt")

    assert configuration_reads(portal) == ["/crm/v3/pipelines/tickets"] * reads


def test_an_owner_added_after_the_owners_were_cached_is_found_with_one_more_read(portal: Portal) -> None:
    portal.crm().assign_ticket(ticket_id="5001", owner_email="invoice.service@avonova.example")
    newcomer = copy.deepcopy(portal.app.state["owners"][0]) | {"id": "7999", "email": "ny.agent@avonova.example"}
    portal.app.state["owners"].append(newcomer)

    portal.crm().assign_ticket(ticket_id="5002", owner_email="Ny.Agent@avonova.example")
    portal.crm().assign_ticket(ticket_id="5003", owner_email="ny.agent@avonova.example")

    assert configuration_reads(portal) == ["/crm/v3/owners/", "/crm/v3/owners/"]
    stored = portal.app.object("tickets", "5003")
    assert stored is not None and stored["properties"]["hubspot_owner_id"] == "7999"


def test_one_owners_read_serves_every_owner_the_routine_assigns_to(portal: Portal) -> None:
    crm = portal.crm()
    for ticket, owner in [("5001", "invoice.service@avonova.example"), ("5002", "csc@avonova.example")]:
        crm.assign_ticket(ticket_id=ticket, owner_email=owner)

    assert configuration_reads(portal) == ["/crm/v3/owners/"]


def test_a_ticket_read_names_its_pipeline_and_stage_even_when_nothing_may_be_cached(portal: Portal) -> None:
    ticket = portal.crm(cache_ttl_seconds=0.0).read_ticket(ticket_id="5001")

    assert (ticket.pipeline, ticket.stage) == ("Kundesenter", "Ny")
