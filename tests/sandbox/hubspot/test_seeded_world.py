"""The shared world's customers as the HubSpot sandbox serves them: companies, signers and unenriched tickets."""

from __future__ import annotations

import pytest
from hubspot.crm.companies import PublicObjectSearchRequest

from config.settings import RoutineSettings
from sandbox.hubspot.seed import KUNDESENTER_NEW_STAGE, TICKET_PIPELINES
from sandbox.world import CUSTOMERS, SeedCustomer, customer_by_company
from tests.sandbox.hubspot.conftest import Running

ROUTINE = RoutineSettings()
ORG = ROUTINE.org_number_property


@pytest.mark.parametrize("customer", CUSTOMERS, ids=lambda c: c.company_id)
def test_every_customer_has_a_company_a_signer_on_it_and_a_ticket_in_the_renegotiation_pipeline(
    hs: Running, customer: SeedCustomer
) -> None:
    company = hs.sdk.crm.companies.basic_api.get_by_id(customer.company_id, properties=["name", ORG, "city"])
    signer = hs.sdk.crm.contacts.basic_api.get_by_id(
        customer.signer_email, id_property="email", properties=["firstname", "lastname"], associations=["companies"]
    )
    ticket = hs.sdk.crm.tickets.basic_api.get_by_id(
        customer.ticket_id, properties=["subject", "hs_pipeline", "hs_pipeline_stage"], associations=["companies"]
    )

    assert (company.properties["name"], company.properties[ORG]) == (customer.name, customer.hubspot_org_number)
    assert (signer.properties["firstname"], signer.properties["lastname"]) == (
        customer.signer_first,
        customer.signer_last,
    )
    assert customer.company_id in {a.id for a in signer.associations["companies"].results}
    assert (ticket.properties["hs_pipeline"], ticket.properties["hs_pipeline_stage"]) == (
        TICKET_PIPELINES[1][0],
        KUNDESENTER_NEW_STAGE,
    )
    assert ticket.properties["subject"] == f"Henvendelse fra {customer.signer_first} {customer.signer_last}"
    assert "companies" not in (ticket.associations or {})  # not enriched yet


def test_the_new_customers_are_listed_after_the_first_five(hs: Running) -> None:
    page = hs.sdk.crm.companies.basic_api.get_page(limit=100, properties=["name"])

    assert [(c.id, c.properties["name"]) for c in page.results][5:] == [
        ("9006", "Havbris Sjømat AS"),
        ("9007", "Granskog Regnskap AS"),
        ("9008", "Uten Orgnr AS"),
        ("9009", "Kystlinje Eiendom AS"),
    ]


def test_company_cards_hold_the_org_number_as_typed_spaced_or_not_at_all(hs: Running) -> None:
    cards = {
        company_id: hs.sdk.crm.companies.basic_api.get_by_id(company_id, properties=[ORG]).properties[ORG]
        for company_id in ("9001", "9006", "9008")
    }
    without = hs.sdk.crm.companies.search_api.do_search(
        PublicObjectSearchRequest(filter_groups=[{"filters": [{"propertyName": ORG, "operator": "NOT_HAS_PROPERTY"}]}])
    )

    assert cards == {"9001": "912345610", "9006": "967 890 103", "9008": ""}
    assert [c.id for c in without.results] == ["9008"]


def test_signers_have_a_mobile_and_a_phone_number_or_only_a_phone_number(hs: Running) -> None:
    def numbers(company_id: str) -> tuple[str | None, str | None]:
        customer = customer_by_company(company_id)
        contact = hs.sdk.crm.contacts.basic_api.get_by_id(
            customer.signer_email, id_property="email", properties=["mobilephone", "phone"]
        )
        return contact.properties["mobilephone"], contact.properties["phone"]

    assert numbers("9001") == ("+4791234567", "+4791234567")  # the first five: both are the signer's number
    assert numbers("9006") == ("+4796789012", "+4770112233")
    assert numbers("9007") == (None, "+4790011223")
