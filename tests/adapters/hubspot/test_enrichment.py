"""Phase 1 against the sandbox: read the ticket and company, find or create the signer, associate, rename."""

from __future__ import annotations

import logging

import httpx
import pytest

from adapters.hubspot_crm import HubSpotCrm
from adapters.ports import Crm
from sandbox.world import CUSTOMERS
from tests.adapters.hubspot.conftest import Portal


def test_the_adapter_satisfies_the_crm_port(crm: HubSpotCrm) -> None:
    port: Crm = crm
    assert port.calls == 0


def test_read_ticket_returns_its_name_stage_label_and_associations(crm: HubSpotCrm) -> None:
    ticket = crm.read_ticket(ticket_id="5005")

    assert ticket.name == "Henvendelse fra Sigrid Østby"
    assert ticket.stage == "Ny"
    assert ticket.contact_ids == ("3005",)
    assert ticket.company_ids == ()


def test_read_company_returns_org_number_and_address_with_norwegian_letters(crm: HubSpotCrm) -> None:
    company = crm.read_company(company_id="9002")

    assert company.name == "Ærlig Økonomi AS"
    assert (company.org_number, company.address, company.postal_code, company.city) == (
        "923456716",
        "Øvre Slottsgate 3",
        "0157",
        "Oslo",
    )


def test_line_breaks_controls_terminal_escapes_and_bidi_overrides_in_a_name_from_hubspot_are_stripped(
    crm: HubSpotCrm, portal: Portal
) -> None:
    patched = httpx.patch(
        f"{portal.server.url}/crm/v3/objects/companies/9002",
        headers={"Authorization": "Bearer sandbox-token"},
        json={"properties": {"name": "\u200fÆrlig\r\nØkonomi\u0007 \x1b[2J\x1b[H\u202eAS\u202c"}},
        timeout=10,
    )
    assert patched.status_code == 200, patched.text

    assert crm.read_company(company_id="9002").name == "Ærlig Økonomi AS"


def test_the_signer_is_found_by_email_in_any_case_without_a_create(crm: HubSpotCrm, portal: Portal) -> None:
    contact = crm.find_or_create_contact(email="Kari.Nordmann@FjordkraftBygg.example", company_id="9001")

    assert (contact.id, contact.full_name) == ("3001", "Kari Nordmann")
    assert portal.posts(r"^/crm/v3/objects/contacts$") == []
    assert crm.calls == 1


def test_a_missing_contact_is_created_and_associated_with_the_company(crm: HubSpotCrm, portal: Portal) -> None:
    contact = crm.find_or_create_contact(
        email="ny.signer@fjordkraftbygg.example", company_id="9001", name="Nils Ågesen Berg"
    )

    stored = portal.app.object("contacts", contact.id)
    assert stored is not None
    assert stored["properties"]["firstname"] == "Nils Ågesen"
    assert stored["properties"]["lastname"] == "Berg"
    assert portal.app.associations("contacts", contact.id, "companies") == ["9001"]
    again = crm.find_or_create_contact(email="ny.signer@fjordkraftbygg.example", company_id="9001")
    assert again.id == contact.id
    assert len(portal.posts(r"^/crm/v3/objects/contacts$")) == 1


def test_an_existing_contact_is_associated_with_a_company_it_lacked(crm: HubSpotCrm, portal: Portal) -> None:
    crm.find_or_create_contact(email=CUSTOMERS[0].signer_email, company_id="9003")

    assert sorted(portal.app.associations("contacts", "3001", "companies")) == ["9001", "9003"]


def test_associate_ticket_links_company_and_contact_and_repeats_safely(crm: HubSpotCrm, portal: Portal) -> None:
    crm.associate_ticket(ticket_id="5001", company_id="9001", contact_id="3001")
    crm.associate_ticket(ticket_id="5001", company_id="9001", contact_id="3001")

    assert portal.app.associations("tickets", "5001", "companies") == ["9001"]
    assert portal.app.associations("tickets", "5001", "contacts") == ["3001"]
    ticket = crm.read_ticket(ticket_id="5001")
    assert (ticket.company_ids, ticket.contact_ids) == (("9001",), ("3001",))


def test_rename_ticket_sets_the_subject(crm: HubSpotCrm, portal: Portal) -> None:
    crm.rename_ticket(ticket_id="5002", name="Reforhandling - Ærlig Økonomi AS")

    stored = portal.app.object("tickets", "5002")
    assert stored is not None and stored["properties"]["subject"] == "Reforhandling - Ærlig Økonomi AS"


def test_each_operation_logs_how_many_requests_it_made(crm: HubSpotCrm, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="adapters.hubspot_crm"):
        crm.read_ticket(ticket_id="5001")
        crm.read_company(company_id="9001")

    assert "hubspot read_ticket: 2 requests" in caplog.messages
    assert "hubspot read_company: 1 requests" in caplog.messages
