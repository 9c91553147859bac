"""The seeded world every sandbox starts from: one set of customers seen alike by HubSpot, Dealbuilder and
Avonova Digital, so a case can run end to end. Signing dates are relative to the day the sandbox starts, so
the 36-month rule keeps meaning the same thing whenever the demo runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class SeedCustomer:
    company_id: str  # HubSpot company id
    name: str
    org_number: str
    address: str
    postal_code: str
    city: str
    signer_first: str
    signer_last: str
    signer_email: str
    signer_phone: str
    ticket_id: str  # a ticket that asks for a renegotiation, not yet enriched
    licences: int  # the original agreement
    price_per_licence: Decimal
    months_since_signing: int
    contract_id: str  # Dealbuilder id of the original agreement

    def signed_on(self, today: date) -> date:
        return today - relativedelta(months=self.months_since_signing)


CUSTOMERS: tuple[SeedCustomer, ...] = (
    SeedCustomer(
        "9001",
        "Fjordkraft Bygg AS",
        "912345678",
        "Strandkaien 12",
        "5013",
        "Bergen",
        "Kari",
        "Nordmann",
        "kari.nordmann@fjordkraftbygg.example",
        "+4791234567",
        "5001",
        40,
        Decimal("450.00"),
        14,
        "DB-ORIG-1001",
    ),
    SeedCustomer(
        "9002",
        "Ærlig Økonomi AS",
        "923456789",
        "Øvre Slottsgate 3",
        "0157",
        "Oslo",
        "Åse",
        "Ødegård",
        "ase.odegard@aerligokonomi.example",
        "+4792345678",
        "5002",
        60,
        Decimal("420.00"),
        50,
        "DB-ORIG-1002",
    ),
    SeedCustomer(
        "9003",
        "Blåbær Helse og Omsorg AS",
        "934567890",
        "Kjøpmannsgata 40",
        "7013",
        "Trondheim",
        "Bjørn",
        "Lærum",
        "bjorn.laerum@blabaerhelse.example",
        "+4793456789",
        "5003",
        100,
        Decimal("390.00"),
        20,
        "DB-ORIG-1003",
    ),
    SeedCustomer(
        "9004",
        "Søndre Ås Transport AS",
        "945678901",
        "Moerveien 7",
        "1430",
        "Ås",
        "Per",
        "Håkonsen",
        "per.hakonsen@sondreas.example",
        "+4794567890",
        "5004",
        25,
        Decimal("500.00"),
        40,
        "DB-ORIG-1004",
    ),
    SeedCustomer(
        "9005",
        "Nordlys Rørlegger AS",
        "956789012",
        "Storgata 88",
        "9008",
        "Tromsø",
        "Sigrid",
        "Østby",
        "sigrid.ostby@nordlysror.example",
        "+4795678901",
        "5005",
        12,
        Decimal("480.00"),
        8,
        "DB-ORIG-1005",
    ),
)


@dataclass(frozen=True)
class SeedOwner:
    id: str
    email: str
    first_name: str
    last_name: str


# HubSpot users: the agents who run cases and the teams cases are routed to (addresses match the settings' defaults).
OWNERS: tuple[SeedOwner, ...] = (
    SeedOwner("7001", "agent@avonova.example", "Ola", "Kundeservice"),
    SeedOwner("7002", "agent2@avonova.example", "Ingrid", "Kundeservice"),
    SeedOwner("7003", "invoice.service@avonova.example", "Invoice", "Service"),
    SeedOwner("7004", "csc@avonova.example", "Customer Success", "Centre"),
    SeedOwner("7005", "kundesenter@avonova.example", "Kundesenter", "Avonova"),
)


def customer_by_ticket(ticket_id: str) -> SeedCustomer:
    for customer in CUSTOMERS:
        if customer.ticket_id == ticket_id:
            return customer
    raise KeyError(ticket_id)
