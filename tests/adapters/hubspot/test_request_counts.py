"""How many HubSpot requests a case costs: enrichment plus deal creation, cold and warm label cache."""

from __future__ import annotations

from adapters.hubspot_crm import HubSpotCrm
from sandbox.world import CUSTOMERS
from tests.adapters.hubspot.conftest import Portal, draft


def _enrich_and_create_deal(crm: HubSpotCrm, index: int) -> int:
    customer = CUSTOMERS[index]
    before = crm.calls
    ticket = crm.read_ticket(ticket_id=customer.ticket_id)
    company = crm.read_company(company_id=customer.company_id)
    contact = crm.find_or_create_contact(email=customer.signer_email, company_id=company.id)
    crm.associate_ticket(ticket_id=ticket.id, company_id=company.id, contact_id=contact.id)
    crm.rename_ticket(ticket_id=ticket.id, name=f"Reforhandling - {company.name}")
    crm.find_or_create_deal(deal=draft(f"case-{ticket.id}", index))
    return crm.calls - before


def test_enrichment_and_deal_take_twelve_requests_cold_and_eight_warm(portal: Portal) -> None:
    cold = _enrich_and_create_deal(portal.crm(), 0)
    warm = _enrich_and_create_deal(portal.crm(), 1)  # a second case in the same process

    assert (cold, warm) == (12, 8)
    assert len(portal.app.requests()) == cold + warm
