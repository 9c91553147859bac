"""What the sandboxes recorded for a case, read the way a person checking the systems would (tests, demo)."""

from __future__ import annotations

from typing import Any

from adapters import dealbuilder_api as api
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
