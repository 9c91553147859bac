"""A HubSpot ticket record as our Ticket, shared by the CRM adapter and the intake's read (which asks for the same
properties and associations, so that `start`'s preflight can use it instead of reading the ticket again)."""

from __future__ import annotations

from typing import Any

from adapters.hubspot_labels import LabelResolver
from config.settings import HubSpotSettings
from models.crm import Ticket
from models.links import TICKET, hubspot_record_url
from models.text import one_line

TICKET_PROPERTIES = ("subject", "hs_pipeline", "hs_pipeline_stage", "hubspot_owner_id")
TICKET_ASSOCIATIONS = ("companies", "contacts")


def associated_ids(record: Any, to_type: str) -> tuple[str, ...]:
    """The ids a read record is associated with, in order, once each."""
    # Creates answer without associations (SimplePublicObject), reads with them.
    collection = (getattr(record, "associations", None) or {}).get(to_type)
    if collection is None:
        return ()
    return tuple(dict.fromkeys(str(item.id) for item in collection.results or []))


def ticket_from_record(record: Any, labels: LabelResolver, settings: HubSpotSettings) -> Ticket:
    """The ticket read with TICKET_PROPERTIES and TICKET_ASSOCIATIONS, its pipeline and stage as labels."""
    values = record.properties or {}
    return Ticket(
        id=str(record.id),
        name=one_line(values.get("subject")),
        stage=labels.stage_label("tickets", values.get("hs_pipeline"), values.get("hs_pipeline_stage")),
        pipeline=labels.pipeline_label("tickets", values.get("hs_pipeline")),
        owner_id=values.get("hubspot_owner_id") or None,
        company_ids=associated_ids(record, "companies"),
        contact_ids=associated_ids(record, "contacts"),
        url=hubspot_record_url(settings.records_url, settings.portal_id, TICKET, str(record.id)),
    )
