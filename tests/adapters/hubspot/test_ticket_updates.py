"""Phases 4 and 6 against the sandbox: ticket status, notes, the company's nedjustering, assignment."""

from __future__ import annotations

import pytest

from adapters.errors import ConfigurationError
from adapters.hubspot_crm import HubSpotCrm
from tests.adapters.hubspot.conftest import KUNDESENTER_PIPELINE, SENT_STAGE, Portal


def test_move_ticket_moves_it_to_the_stage_with_that_label(crm: HubSpotCrm, portal: Portal) -> None:
    crm.move_ticket(ticket_id="5001", stage_label="Sendt kontrakt")

    stored = portal.app.object("tickets", "5001")
    assert stored is not None
    assert (stored["properties"]["hs_pipeline"], stored["properties"]["hs_pipeline_stage"]) == (
        KUNDESENTER_PIPELINE,
        SENT_STAGE,
    )
    assert crm.read_ticket(ticket_id="5001").stage == "Sendt kontrakt"


def test_an_unknown_stage_label_names_the_stages_that_exist(crm: HubSpotCrm) -> None:
    with pytest.raises(ConfigurationError) as raised:
        crm.move_ticket(ticket_id="5001", stage_label="Kontrakt sendt")

    assert "'Kontrakt sendt'" in str(raised.value)
    assert "'Ny', 'Under arbeid', 'Klar for reforhandling', 'Trenger retting', 'Sendt kontrakt', 'Lukket'" in str(
        raised.value
    )


def test_a_note_is_written_once_per_marker(crm: HubSpotCrm, portal: Portal) -> None:
    first = crm.add_ticket_note(ticket_id="5001", marker="case-5001/invoice", body="Ny pris: 400 kr\nLisenser: 30")
    again = crm.add_ticket_note(ticket_id="5001", marker="case-5001/invoice", body="Ny pris: 400 kr\nLisenser: 30")

    assert again == first
    notes = portal.app.objects("notes")
    assert len(notes) == 1
    assert notes[0]["properties"]["hs_note_body"] == "<p>Ny pris: 400 kr<br>Lisenser: 30</p><p>[case-5001/invoice]</p>"
    assert portal.app.associations("notes", first, "tickets") == ["5001"]


def test_a_note_with_another_marker_is_a_second_note(crm: HubSpotCrm, portal: Portal) -> None:
    crm.add_ticket_note(ticket_id="5001", marker="case-5001/invoice", body="Faktura")
    crm.add_ticket_note(ticket_id="5001", marker="case-5001/csc", body="Til CSC <viktig> & haster")

    bodies = sorted(note["properties"]["hs_note_body"] for note in portal.app.objects("notes"))
    assert bodies[0] == "<p>Faktura</p><p>[case-5001/invoice]</p>"
    assert bodies[1] == "<p>Til CSC &lt;viktig&gt; &amp; haster</p><p>[case-5001/csc]</p>"
    assert sorted(portal.app.associations("tickets", "5001", "notes")) == sorted(
        note["id"] for note in portal.app.objects("notes")
    )


def test_set_company_property_fills_nedjustering(crm: HubSpotCrm, portal: Portal) -> None:
    crm.set_company_property(company_id="9003", name="nedjustering", value="25")

    stored = portal.app.object("companies", "9003")
    assert stored is not None and stored["properties"]["nedjustering"] == "25"


def test_assign_ticket_resolves_the_owner_by_email(crm: HubSpotCrm, portal: Portal) -> None:
    crm.assign_ticket(ticket_id="5004", owner_email="Invoice.Service@avonova.example")

    stored = portal.app.object("tickets", "5004")
    assert stored is not None and stored["properties"]["hubspot_owner_id"] == "7003"
    assert crm.read_ticket(ticket_id="5004").owner_id == "7003"


def test_assigning_to_an_address_that_is_no_owner_is_a_configuration_error(crm: HubSpotCrm) -> None:
    with pytest.raises(ConfigurationError, match=r"ukjent@avonova\.example"):
        crm.assign_ticket(ticket_id="5004", owner_email="ukjent@avonova.example")
