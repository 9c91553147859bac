"""The sandboxes' seeded world (sandbox/world.py) put into the fakes, so a test reads the same customers, tickets
and agreements from a fake as from a sandbox. The fakes cannot import the sandbox; tests can."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from config.settings import RoutineSettings
from fakes import FakeContracts, FakeCrm, FakeLicences
from models.agreement import Agreement, ContractLine
from models.crm import Company, Contact, Ticket
from sandbox.hubspot.seed import TICKET_FROM_EMAIL, signer_contact_id
from sandbox.world import CUSTOMERS, OWNERS, SIGNED, SeedCustomer, SeedDocument

ROUTINE = RoutineSettings()
# The terms every seeded agreement carries (sandbox/dealbuilder/app.py).
SEEDED_TERMS = {
    "bindingstid": "12 måneder",
    "betalingsbetingelser": "30 dager netto",
    "fakturaintervall": "Årlig forskuddsvis",
}


def seeded_crm(crm: FakeCrm | None = None) -> FakeCrm:
    """A FakeCrm holding the HubSpot sandbox's owners, companies, signers and tickets."""
    crm = crm or FakeCrm()
    for owner in OWNERS:
        crm.add_owner(owner.email, owner.id)
    for customer in CUSTOMERS:
        crm.add_company(
            Company(
                id=customer.company_id,
                name=customer.name,
                org_number=customer.hubspot_org_number,
                address=customer.address,
                postal_code=customer.postal_code,
                city=customer.city,
            )
        )
        contact = crm.add_contact(
            Contact(
                id=signer_contact_id(customer),
                email=customer.signer_email,
                first_name=customer.signer_first,
                last_name=customer.signer_last,
                phone=customer.hubspot_mobilephone or customer.hubspot_phone,
                company_ids=(customer.company_id,),
            )
        )
        crm.add_ticket(
            Ticket(
                id=customer.ticket_id,
                name=f"Henvendelse fra {customer.signer_first} {customer.signer_last}",
                pipeline=ROUTINE.ticket_pipeline,
                stage="Ny",
                contact_ids=(contact.id,) if customer.ticket_id == TICKET_FROM_EMAIL else (),
            )
        )
    crm.add_contact(
        Contact(
            id="3101",
            email="oystein.aeroy@aerligokonomi.example",
            first_name="Øystein",
            last_name="Ærøy",
            company_ids=(CUSTOMERS[1].company_id,),
        )
    )
    return crm


def seeded_contracts(today: date, contracts: FakeContracts | None = None) -> FakeContracts:
    """A FakeContracts holding the Dealbuilder sandbox's signed documents, signed relative to `today`."""
    contracts = contracts or FakeContracts(today=today)
    for customer in CUSTOMERS:
        for document in customer.documents:
            if document.status == SIGNED:
                contracts.add_agreement(_agreement(customer, document, today))
    return contracts


def seeded_licences(licences: FakeLicences | None = None) -> FakeLicences:
    """A FakeLicences holding the licence sandbox's customers and counts."""
    licences = licences or FakeLicences()
    for customer in CUSTOMERS:
        if customer.licence_system_count is not None:
            licences.add_customer(customer.org_number, customer.licence_system_count)
    return licences


def _agreement(customer: SeedCustomer, document: SeedDocument, today: date) -> Agreement:
    """The seeded document as an Agreement; one without a licence line (another product) has none in `lines`."""
    signed = document.signed_on(today)
    lines = [
        ContractLine(name=x.name, quantity=x.quantity, unit_price=x.unit_price, discount_percent=x.discount)
        for x in document.lines
    ]
    if document.licences is not None:
        licence = ContractLine(
            name=ROUTINE.licence_line,
            quantity=document.licences,
            unit_price=document.price_per_licence,
            discount_percent=document.licence_discount,
        )
        lines.insert(0, licence)
    if document.onboarding:
        lines.append(
            ContractLine(
                name=ROUTINE.onboarding_line,
                quantity=1,
                unit_price=ROUTINE.onboarding_price,
                discount_percent=Decimal(100),
            )
        )
    return Agreement(
        contract_id=document.id,
        licences=document.licences or 1,
        price_per_licence=document.price_per_licence or Decimal(1),
        licence_discount_percent=document.licence_discount,
        signed_on=signed,
        start_date=signed + timedelta(days=14),
        template=document.template,
        sender=document.sender,
        booker=document.booker,
        customer_name=customer.name,
        org_number=customer.org_number,
        address=customer.address,
        postal_code=customer.postal_code,
        city=customer.city,
        lines=tuple(lines),
        terms=SEEDED_TERMS | {"fakturareferanse": f"Assist {customer.org_number}"},
    )
