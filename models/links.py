"""Links for people: the deal and the ticket in HubSpot's app, the newest version of a Prefect artifact."""

from __future__ import annotations

# HubSpot's object type ids in its record URLs.
DEAL = "0-3"
TICKET = "0-5"


def hubspot_record_url(app_url: str, portal_id: str, object_type: str, record_id: str) -> str:
    """The record's page in HubSpot (app_url and portal_id from settings.hubspot)."""
    return f"{app_url.rstrip('/')}/contacts/{portal_id}/record/{object_type}/{record_id}"


# The receiver's route that redirects to the newest version of an artifact: Prefect's UI has a page per version and a
# list of versions per key, but no "latest" page.
ARTIFACTS_PATH = "/artifacts"


def latest_artifact_url(receiver_url: str, key: str) -> str:
    """The link that opens the newest version of the artifact `key` (the receiver redirects to it)."""
    return f"{receiver_url.rstrip('/')}{ARTIFACTS_PATH}/{key}"
