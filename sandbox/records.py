"""What the sandboxes recorded for a case, read the way a person checking the systems would (tests, demo)."""

from __future__ import annotations

from typing import Any

from adapters import dealbuilder_api as api
from config.settings import RoutineSettings
from sandbox.stack import SandboxStack


def deals(sandboxes: SandboxStack, case_key: str) -> list[dict[str, Any]]:
    return [d for d in sandboxes.hubspot.objects("deals") if d["properties"].get("reforhandling_case_key") == case_key]


def documents(sandboxes: SandboxStack, case_key: str) -> list[dict[str, Any]]:
    return [
        d
        for d in sandboxes.dealbuilder.documents()
        if any(f[api.F_NAME] == api.CF_CASE_KEY and f[api.F_VALUE] == case_key for f in d[api.D_CUSTOM_FIELDS] or [])
    ]


def notes(sandboxes: SandboxStack, ticket_id: str) -> list[str]:
    ids = sandboxes.hubspot.associations("tickets", ticket_id, "notes")
    return [str(n["properties"]["hs_note_body"]) for n in sandboxes.hubspot.objects("notes") if n["id"] in ids]


def ticket(sandboxes: SandboxStack, ticket_id: str) -> dict[str, Any]:
    found = sandboxes.hubspot.object("tickets", ticket_id)
    assert found is not None
    return dict(found["properties"])


def company(sandboxes: SandboxStack, company_id: str) -> dict[str, Any]:
    found = sandboxes.hubspot.object("companies", company_id)
    assert found is not None
    return dict(found["properties"])


def stage_label(sandboxes: SandboxStack, ticket_id: str) -> str:
    stage = ticket(sandboxes, ticket_id)["hs_pipeline_stage"]
    for pipeline in sandboxes.hubspot.state["pipelines"]["tickets"]:
        for candidate in pipeline["stages"]:
            if candidate["id"] == stage:
                return str(candidate["label"])
    raise AssertionError(f"unknown stage {stage}")


def owner_email(sandboxes: SandboxStack, owner_id: str | None) -> str | None:
    for owner in sandboxes.hubspot.state["owners"]:
        if owner["id"] == owner_id:
            return str(owner["email"])
    return None


def ticket_statuses(sandboxes: SandboxStack, ticket_id: str, routine: RoutineSettings | None = None) -> list[str]:
    """Every value the ticket's status property has held, oldest first."""
    name = (routine or RoutineSettings()).ticket_status_property
    with sandboxes.hubspot.lock:
        changes = sandboxes.hubspot.state["objects"]["tickets"][ticket_id].get("history", {}).get(name) or []
        # The history is newest first, as propertiesWithHistory has it.
        return [str(change["value"]) for change in reversed(changes)]


def ticket_status_writes(sandboxes: SandboxStack, ticket_id: str, routine: RoutineSettings | None = None) -> int:
    """How many requests wrote the ticket's status property (a write of an unchanged value counts too)."""
    name = (routine or RoutineSettings()).ticket_status_property
    path = f"/crm/v3/objects/tickets/{ticket_id}"
    return sum(
        1
        for entry in sandboxes.hubspot.requests()
        if entry["method"] == "PATCH" and entry["path"] == path and name in (entry["body"] or {}).get("properties", {})
    )
