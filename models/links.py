"""Links to the records a case touches, for people: the deal and the ticket in HubSpot's app."""

from __future__ import annotations

# HubSpot's object type ids in its record URLs.
DEAL = "0-3"
TICKET = "0-5"


def hubspot_record_url(app_url: str, portal_id: str, object_type: str, record_id: str) -> str:
    """The record's page in HubSpot (app_url and portal_id from settings.hubspot)."""
    return f"{app_url.rstrip('/')}/contacts/{portal_id}/record/{object_type}/{record_id}"
