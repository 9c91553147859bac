"""New tickets in the HubSpot sandbox, for the soak and the benchmarks: a ticket has one open case at a time, so
each of their cases wants its own."""

from __future__ import annotations

import httpx

from config.settings import Settings
from sandbox.hubspot.seed import KUNDESENTER_NEW_STAGE, TICKET_PIPELINES


def new_sandbox_ticket(settings: Settings, subject: str) -> str:
    """Create a ticket in the sandbox's renegotiation pipeline (Kundesenter), at its first stage; its id."""
    pipeline = next(pipeline_id for pipeline_id, label, _ in TICKET_PIPELINES if label == "Kundesenter")
    response = httpx.post(
        f"{settings.hubspot.base_url}/crm/v3/objects/tickets",
        headers={"Authorization": f"Bearer {settings.hubspot.token.get_secret_value()}"},
        json={"properties": {"subject": subject, "hs_pipeline": pipeline, "hs_pipeline_stage": KUNDESENTER_NEW_STAGE}},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["id"])
