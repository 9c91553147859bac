"""The seeded world every sandbox starts from: one set of customers seen alike by HubSpot, Dealbuilder and
Avonova Digital, so a case can run end to end. Signing dates are relative to the day the sandbox starts, so
the 36-month rule keeps meaning the same thing whenever the demo runs.

Customers 9001-9005 are the plain cases: one sold agreement each, a signer with one phone number. 9006-9009
exercise the routine's edge rules (DOMAIN.md, "Decisions"): discounts and extra lines to carry over, a newer
non-Assist document, an earlier renegotiation, a company card without an org number, no sold agreement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

# Dealbuilder template names (the sandbox's TEMPLATES) and who sends what.
SOLD_TEMPLATE = "Avtale om Avonova Assist"
RENEGOTIATION_TEMPLATE = "Reforhandling av avtale om Avonova Assist"
OHS_TEMPLATE = "Avtale om bedriftshelsetjeneste"
SELLER, SELLER_BOOKER = "Selger Avonova", "Møtebooker Avonova"
ROUTINE_SENDER, ROUTINE_BOOKER = "user non human", "kundesenter"
SIGNED = "Signed"


@dataclass(frozen=True)
class SeedLine:
    """A product line other than the Assist licence line and `digital oppstart` (their names are settings)."""

    name: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # percent


@dataclass(frozen=True)
class SeedDocument:
    """A Dealbuilder document of the customer's history."""

    id: str
    template: str
    sender: str
    booker: str
    months_since_signing: int
    licences: int | None  # the Assist licence line's quantity; None: the document has no licence line
    price_per_licence: Decimal = Decimal("0")
    licence_discount: Decimal = Decimal("0")  # percent
    onboarding: bool = True  # a `digital oppstart` line at 100 % discount
    lines: tuple[SeedLine, ...] = ()
    status: str = SIGNED

    def signed_on(self, today: date) -> date:
        return today - relativedelta(months=self.months_since_signing)


@dataclass(frozen=True)
class SeedCustomer:
    company_id: str  # HubSpot company id
    name: str
    org_number: str  # the 9 digits, as Dealbuilder and Avonova Digital hold it
    address: str
    postal_code: str
    city: str
    signer_first: str
    signer_last: str
    signer_email: str
    signer_phone: str  # the number Dealbuilder's seeded documents carry for the signer
    ticket_id: str  # a ticket that asks for a renegotiation, not yet enriched
    licences: int  # the original (sold) agreement
    price_per_licence: Decimal
    months_since_signing: int
    contract_id: str  # Dealbuilder id of the original (sold) agreement; "" when there is none
    # The original agreement's other terms.
    licence_discount: Decimal = Decimal("0")  # percent, on the licence line
    extra_lines: tuple[SeedLine, ...] = ()
    onboarding: bool = True  # the original has a `digital oppstart` line (100 % discount)
    # Further Dealbuilder documents of the same customer (renegotiations, other products).
    history: tuple[SeedDocument, ...] = ()
    # The HubSpot records. None: the same as org_number / signer_phone; "": the property is empty / not set.
    card_org_number: str | None = None
    phone: str | None = None
    mobilephone: str | None = None
    in_licence_system: bool = True  # Avonova Digital knows the customer, with the current agreement's count

    def signed_on(self, today: date) -> date:
        return today - relativedelta(months=self.months_since_signing)

    @property
    def original(self) -> SeedDocument | None:
        """The sold agreement the flat fields describe, as a document."""
        if not self.contract_id:
            return None
        return SeedDocument(
            id=self.contract_id,
            template=SOLD_TEMPLATE,
            sender=SELLER,
            booker=SELLER_BOOKER,
            months_since_signing=self.months_since_signing,
            licences=self.licences,
            price_per_licence=self.price_per_licence,
            licence_discount=self.licence_discount,
            onboarding=self.onboarding,
            lines=self.extra_lines,
        )

    @property
    def documents(self) -> tuple[SeedDocument, ...]:
        """Every seeded Dealbuilder document of the customer, the original first."""
        return (*((self.original,) if self.original else ()), *self.history)

    @property
    def current(self) -> SeedDocument | None:
        """The newest signed document with an Assist licence line (the basis of a renegotiation)."""
        assist = [d for d in self.documents if d.status == SIGNED and d.licences is not None]
        return min(assist, key=lambda d: d.months_since_signing, default=None)

    @property
    def licence_system_count(self) -> int | None:
        """The licence count Avonova Digital holds; None when the customer is not there."""
        if not self.in_licence_system or self.current is None:
            return None
        return self.current.licences

    @property
    def hubspot_org_number(self) -> str:
        return self.org_number if self.card_org_number is None else self.card_org_number

    @property
    def hubspot_phone(self) -> str:
        return self.signer_phone if self.phone is None else self.phone

    @property
    def hubspot_mobilephone(self) -> str:
        return self.signer_phone if self.mobilephone is None else self.mobilephone


CUSTOMERS: tuple[SeedCustomer, ...] = (
    SeedCustomer(
        "9001",
        "Fjordkraft Bygg AS",
        "912345610",
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
        "923456716",
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
        "934567811",
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
        "945678909",
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
        "956789028",
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
    # Discounts and an extra line to carry over, no `digital oppstart`; a newer signed document of another product
    # (no licence line); an org number the card shows spaced; a mobile number besides the phone number.
    SeedCustomer(
        "9006",
        "Havbris Sjømat AS",
        "967890103",
        "Skansekaia 5",
        "6002",
        "Ålesund",
        "Marit",
        "Havnes",
        "marit.havnes@havbris.example",
        "+4796789012",
        "5006",
        30,
        Decimal("500.00"),
        10,
        "DB-ORIG-1006",
        licence_discount=Decimal("20"),
        extra_lines=(SeedLine("Avonova Assist kursmodul", 1, Decimal("3000.00"), Decimal("10")),),
        onboarding=False,
        history=(
            SeedDocument(
                "DB-BHT-1006",
                OHS_TEMPLATE,
                SELLER,
                SELLER_BOOKER,
                months_since_signing=1,
                licences=None,
                onboarding=False,
                lines=(SeedLine("Bedriftshelsetjeneste", 1, Decimal("25000.00")),),
            ),
        ),
        card_org_number="967 890 103",
        phone="+4770112233",
        mobilephone="+4796789012",
    ),
    # Sold over 36 months ago, renegotiated by the routine since: the current and the sold agreement differ.
    # The signer has a phone number and no mobile number.
    SeedCustomer(
        "9007",
        "Granskog Regnskap AS",
        "978901204",
        "Torggata 21",
        "2317",
        "Hamar",
        "Eirik",
        "Granli",
        "eirik.granli@granskog.example",
        "+4790011223",
        "5007",
        15,
        Decimal("450.00"),
        50,
        "DB-ORIG-1007",
        history=(
            SeedDocument(
                "DB-REF-1007",
                RENEGOTIATION_TEMPLATE,
                ROUTINE_SENDER,
                ROUTINE_BOOKER,
                months_since_signing=6,
                licences=20,
                price_per_licence=Decimal("430.00"),
            ),
        ),
        mobilephone="",
    ),
    # The company card has no org number: the case stops before anything is drafted. No agreement anywhere.
    SeedCustomer(
        "9008",
        "Uten Orgnr AS",
        "989012304",
        "Bragernes torg 2",
        "3017",
        "Drammen",
        "Lene",
        "Berg",
        "lene.berg@utenorgnr.example",
        "+4798901234",
        "5008",
        licences=0,
        price_per_licence=Decimal("0"),
        months_since_signing=0,
        contract_id="",
        card_org_number="",
        in_licence_system=False,
    ),
    # Only documents the routine made, no sold agreement: the oldest signed Assist agreement stands in for it.
    SeedCustomer(
        "9009",
        "Kystlinje Eiendom AS",
        "990123403",
        "Olav Vs gate 4",
        "4005",
        "Stavanger",
        "Ragnhild",
        "Sjøstrand",
        "ragnhild.sjostrand@kystlinje.example",
        "+4799012345",
        "5009",
        licences=0,
        price_per_licence=Decimal("0"),
        months_since_signing=0,
        contract_id="",
        history=(
            SeedDocument(
                "DB-REF-1009A",
                RENEGOTIATION_TEMPLATE,
                ROUTINE_SENDER,
                ROUTINE_BOOKER,
                months_since_signing=30,
                licences=10,
                price_per_licence=Decimal("400.00"),
            ),
            SeedDocument(
                "DB-REF-1009B",
                RENEGOTIATION_TEMPLATE,
                ROUTINE_SENDER,
                ROUTINE_BOOKER,
                months_since_signing=3,
                licences=12,
                price_per_licence=Decimal("410.00"),
            ),
        ),
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


def customer_by_company(company_id: str) -> SeedCustomer:
    for customer in CUSTOMERS:
        if customer.company_id == company_id:
            return customer
    raise KeyError(company_id)


def customer_by_ticket(ticket_id: str) -> SeedCustomer:
    for customer in CUSTOMERS:
        if customer.ticket_id == ticket_id:
            return customer
    raise KeyError(ticket_id)
