"""The portal every reset returns to: pipelines, properties and owners as the customer configured them, and the
shared world's companies, signers and tickets (sandbox/world.py)."""

from __future__ import annotations

import time
from typing import Any

from config.settings import IntakeSettings, RoutineSettings
from sandbox.hubspot.associations import TYPES
from sandbox.hubspot.schema import prop
from sandbox.world import CUSTOMERS, OWNERS, SeedCustomer, customer_by_ticket

Table = list[tuple[str, str, list[tuple[str, str]]]]  # (pipeline id, label, [(stage id, label)])

SEEDED_AT = "2024-01-02T08:00:00.000Z"
FIRST_NEW_ID = 100001

DEAL_PIPELINES: Table = [
    (
        "default",
        "Sales Pipeline",
        [
            ("appointmentscheduled", "Appointment scheduled"),
            ("qualifiedtobuy", "Qualified to buy"),
            ("presentationscheduled", "Presentation scheduled"),
            ("contractsent", "Contract sent"),
            ("closedwon", "Closed won"),
            ("closedlost", "Closed lost"),
        ],
    ),
    (
        "87654321",
        "Assist",
        [
            ("87654322", "Ny henvendelse"),
            ("87654323", "Venter på beslutning"),
            ("87654324", "Kontrakt sendt"),
            ("87654325", "Lukket vunnet"),
            ("87654326", "Lukket tapt"),
        ],
    ),
]
TICKET_PIPELINES: Table = [
    ("0", "Support Pipeline", [("1", "New"), ("2", "Waiting on contact"), ("3", "Waiting on us"), ("4", "Closed")]),
    (
        "81234567",
        "Kundesenter",
        [
            ("81234568", "Ny"),
            ("81234569", "Under arbeid"),
            # The agent moves a filled-in ticket here to start its case; a refused one is sent back to be fixed.
            ("81234572", "Klar for reforhandling"),
            ("81234573", "Trenger retting"),
            ("81234570", "Sendt kontrakt"),
            ("81234571", "Lukket"),
        ],
    ),
]
KUNDESENTER_NEW_STAGE = "81234568"
KUNDESENTER_READY_STAGE = "81234572"
KUNDESENTER_NEEDS_FIXING_STAGE = "81234573"
TICKET_FROM_EMAIL = "5005"  # the one seeded ticket already associated with its sender


def _pipelines(kind: str, table: Table) -> list[dict[str, Any]]:
    pipelines = []
    for order, (pipeline_id, label, stages) in enumerate(table):
        rendered = []
        for stage_order, (stage_id, stage_label) in enumerate(stages):
            closed = stage_order == len(stages) - 1 or (kind == "deals" and stage_order == len(stages) - 2)
            # A deal pipeline ends in its won stage (probability 1) and its lost stage (probability 0).
            lost = kind == "deals" and stage_order == len(stages) - 1
            probability = "0.0" if lost else "1.0" if closed else f"{0.2 * (stage_order + 1):.1f}"
            metadata = (
                {"isClosed": str(closed).lower(), "probability": probability}
                if kind == "deals"
                else {"ticketState": "CLOSED" if closed else "OPEN"}
            )
            rendered.append(
                {
                    "id": stage_id,
                    "label": stage_label,
                    "displayOrder": stage_order,
                    "metadata": metadata,
                    "createdAt": SEEDED_AT,
                    "updatedAt": SEEDED_AT,
                    "archived": False,
                    "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                }
            )
        pipelines.append(
            {
                "id": pipeline_id,
                "label": label,
                "displayOrder": order,
                "stages": rendered,
                "createdAt": SEEDED_AT,
                "updatedAt": SEEDED_AT,
                "archived": False,
            }
        )
    return pipelines


def _common() -> list[dict[str, Any]]:
    return [
        prop("hs_object_id", "Record ID", "number", "number", read_only=True),
        prop("createdate", "Create date", "datetime", "date"),
        prop("hubspot_owner_id", "Owner", "enumeration", "select"),
    ]


def stage_options(table: Table) -> list[tuple[str, str]]:
    return [(stage_id, label) for _, _, stages in table for stage_id, label in stages]


def pipeline_options(table: Table) -> list[tuple[str, str]]:
    return [(pipeline_id, label) for pipeline_id, label, _ in table]


def _status_properties(routine: RoutineSettings) -> list[dict[str, Any]]:
    """Where the ticket shows its case: options created in HubSpot's editor have internal values equal to labels."""
    statuses = list(routine.ticket_statuses.model_dump().values())
    return [
        prop(
            routine.ticket_status_property,
            "Reforhandlingsstatus",
            "enumeration",
            "select",
            options=[(status, status) for status in statuses],
            hubspot_defined=False,
        ),
        prop(routine.ticket_link_property, "Reforhandling i Prefect", hubspot_defined=False),
    ]


def renegotiation_ticket_properties(intake: IntakeSettings) -> list[dict[str, Any]]:
    """The ticket properties of the renegotiation, in their own group, as the customer's admin created them."""
    group = "reforhandling"
    return [
        prop(intake.licences_property, "Nytt antall lisenser", "number", "number", hubspot_defined=False, group=group),
        prop(intake.price_property, "Ny pris per lisens (NOK)", "number", "number", hubspot_defined=False, group=group),
        prop(intake.start_date_property, "Avtalt oppstartsdato", "date", "date", hubspot_defined=False, group=group),
        prop(intake.signer_property, "Signatar (e-post)", hubspot_defined=False, group=group),
        prop(intake.signer_name_property, "Signatarens navn (ny kontakt)", hubspot_defined=False, group=group),
    ]


def _properties(routine: RoutineSettings, intake: IntakeSettings) -> dict[str, dict[str, dict[str, Any]]]:
    owners = [(owner.id, f"{owner.first_name} {owner.last_name}") for owner in OWNERS]
    modified = prop("hs_lastmodifieddate", "Last modified date", "datetime", "date", read_only=True)
    by_type: dict[str, list[dict[str, Any]]] = {
        "tickets": [
            prop("subject", "Ticket name"),
            prop("content", "Ticket description", field_type="textarea"),
            prop("hs_pipeline", "Pipeline", "enumeration", "select", options=pipeline_options(TICKET_PIPELINES)),
            prop(
                "hs_pipeline_stage", "Ticket status", "enumeration", "select", options=stage_options(TICKET_PIPELINES)
            ),
            prop(
                "hs_ticket_priority",
                "Priority",
                "enumeration",
                "select",
                options=[("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"), ("URGENT", "Urgent")],
            ),
            prop(
                "hs_ticket_category",
                "Category",
                "enumeration",
                "checkbox",
                options=[
                    ("PRODUCT_ISSUE", "Product issue"),
                    ("BILLING_ISSUE", "Billing issue"),
                    ("GENERAL_INQUIRY", "General inquiry"),
                ],
            ),
            *renegotiation_ticket_properties(intake),
            *_status_properties(routine),
            modified,
        ],
        "companies": [
            prop("name", "Company name"),
            prop("domain", "Company domain name"),
            prop(routine.org_number_property, "Organisasjonsnummer", hubspot_defined=False),
            prop("address", "Street address"),
            prop("zip", "Postal code"),
            prop("city", "City"),
            prop("country", "Country/Region"),
            prop("phone", "Phone number"),
            prop("numberofemployees", "Number of employees", "number", "number"),
            prop(
                routine.downward_property, "Nedjustering (antall lisenser)", "number", "number", hubspot_defined=False
            ),
            modified,
        ],
        "contacts": [
            prop("email", "Email"),
            prop("firstname", "First name"),
            prop("lastname", "Last name"),
            prop("phone", "Phone number"),
            prop("mobilephone", "Mobile phone number"),
            prop("jobtitle", "Job title"),
            prop("company", "Company name"),
            prop("lastmodifieddate", "Last modified date", "datetime", "date", read_only=True),
        ],
        "deals": [
            prop("dealname", "Deal name"),
            prop("amount", "Amount", "number", "number"),
            prop("closedate", "Close date", "datetime", "date"),
            prop("pipeline", "Pipeline", "enumeration", "select", options=pipeline_options(DEAL_PIPELINES)),
            prop("dealstage", "Deal stage", "enumeration", "select", options=stage_options(DEAL_PIPELINES)),
            prop(
                routine.deal_type_property,
                "Deal type",
                "enumeration",
                "select",
                options=[
                    ("newbusiness", "New Business"),
                    ("existingbusiness", "Existing Business"),
                    ("tilleggslisenser_reforhandling", routine.deal_type),
                ],
            ),
            prop(
                "deal_currency_code",
                "Currency",
                "enumeration",
                "select",
                options=[(code, code) for code in ("NOK", "SEK", "DKK", "EUR", "USD")],
            ),
            prop("description", "Deal description", field_type="textarea"),
            prop(
                routine.meeting_booker_property,
                "Møtebooker",
                "enumeration",
                "select",
                options=owners,
                hubspot_defined=False,
            ),
            prop(routine.delivery_start_property, "Leveransestart", "date", "date", hubspot_defined=False),
            prop(routine.case_key_property, "Reforhandling saksnøkkel", unique=True, hubspot_defined=False),
            modified,
        ],
        "notes": [
            prop("hs_note_body", "Note body", field_type="html"),
            prop("hs_timestamp", "Activity date", "datetime", "date"),
            prop("hs_attachment_ids", "Attached file IDs"),
            prop("hs_createdate", "Created at", "datetime", "date", read_only=True),
            modified,
        ],
    }
    return {
        object_type: {definition["name"]: definition for definition in _common() + extra}
        for object_type, extra in by_type.items()
    }


def _owners() -> list[dict[str, Any]]:
    return [
        {
            "id": owner.id,
            "email": owner.email,
            "firstName": owner.first_name,
            "lastName": owner.last_name,
            "userId": 1_000_000 + index,
            "userIdIncludingInactive": 1_000_000 + index,
            "type": "PERSON",
            "createdAt": SEEDED_AT,
            "updatedAt": SEEDED_AT,
            "archived": False,
            "teams": [{"id": "41", "name": "Kundesenter", "primary": True}],
        }
        for index, owner in enumerate(OWNERS)
    ]


def _record(object_type: str, object_id: str, properties: dict[str, str]) -> dict[str, Any]:
    modified = "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"
    return {
        "id": object_id,
        "properties": {**properties, "hs_object_id": object_id, "createdate": SEEDED_AT, modified: SEEDED_AT},
        "createdAt": SEEDED_AT,
        "updatedAt": SEEDED_AT,
        "archived": False,
        "indexedAt": 0.0,
    }


def signer_contact_id(customer: SeedCustomer) -> str:
    """The HubSpot id of the customer's signer: 3001 for the first seeded customer, and on."""
    return str(3001 + CUSTOMERS.index(customer))


def initial_state(routine: RoutineSettings | None = None, intake: IntakeSettings | None = None) -> dict[str, Any]:
    routine = routine or RoutineSettings()
    intake = intake or IntakeSettings()
    objects: dict[str, dict[str, Any]] = {name: {} for name in ("tickets", "companies", "contacts", "deals", "notes")}
    edges: list[list[Any]] = []

    def associate(from_type: str, from_id: str, to_id: str, type_id: int) -> None:
        association = TYPES[type_id]
        edges.append([from_type, from_id, association.to_type, to_id, type_id])
        edges.append([association.to_type, to_id, from_type, from_id, association.inverse])

    signers = {customer.company_id: signer_contact_id(customer) for customer in CUSTOMERS}
    for customer in CUSTOMERS:
        contact_id = signers[customer.company_id]
        objects["companies"][customer.company_id] = _record(
            "companies",
            customer.company_id,
            {
                "name": customer.name,
                routine.org_number_property: customer.hubspot_org_number,
                "address": customer.address,
                "zip": customer.postal_code,
                "city": customer.city,
                "country": "Norway",
                "domain": customer.signer_email.split("@", 1)[1],
            },
        )
        # A number the customer never gave is absent, as HubSpot leaves a property nobody set.
        phones = {"phone": customer.hubspot_phone, "mobilephone": customer.hubspot_mobilephone}
        objects["contacts"][contact_id] = _record(
            "contacts",
            contact_id,
            {
                "email": customer.signer_email,
                "firstname": customer.signer_first,
                "lastname": customer.signer_last,
                **{name: number for name, number in phones.items() if number},
                "jobtitle": "Daglig leder",
                "company": customer.name,
            },
        )
        objects["tickets"][customer.ticket_id] = _record(
            "tickets",
            customer.ticket_id,
            {
                "subject": f"Henvendelse fra {customer.signer_first} {customer.signer_last}",
                "content": f"{customer.name} ønsker å endre antall lisenser og pris på avtalen.",
                "hs_pipeline": TICKET_PIPELINES[1][0],
                "hs_pipeline_stage": KUNDESENTER_NEW_STAGE,
                "hs_ticket_priority": "MEDIUM",
            },
        )
        associate("contacts", contact_id, customer.company_id, 1)
        associate("contacts", contact_id, customer.company_id, 279)
    # A ticket that came in by e-mail already knows its sender; the rest are bare.
    by_email = customer_by_ticket(TICKET_FROM_EMAIL)
    associate("tickets", by_email.ticket_id, signers[by_email.company_id], 16)
    # A colleague without signing authority, so "the contact" is never simply "the only contact".
    objects["contacts"]["3101"] = _record(
        "contacts",
        "3101",
        {
            "email": "oystein.aeroy@aerligokonomi.example",
            "firstname": "Øystein",
            "lastname": "Ærøy",
            "jobtitle": "Regnskapsfører",
            "company": CUSTOMERS[1].name,
        },
    )
    associate("contacts", "3101", CUSTOMERS[1].company_id, 279)
    return {
        "objects": objects,
        "associations": edges,
        "properties": _properties(routine, intake),
        "pipelines": {"deals": _pipelines("deals", DEAL_PIPELINES), "tickets": _pipelines("tickets", TICKET_PIPELINES)},
        "owners": _owners(),
        "next_id": FIRST_NEW_ID,
        "seeded_at": time.time(),
    }
