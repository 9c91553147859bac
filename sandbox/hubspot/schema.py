"""Object types and property definitions, and how HubSpot checks and normalises a written value."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sandbox.hubspot.errors import bad_request

OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5", "notes": "0-46"}
_ALIASES = {
    **{name: name for name in OBJECT_TYPE_IDS},
    **{name[:-1]: name for name in OBJECT_TYPE_IDS},
    **{type_id: name for name, type_id in OBJECT_TYPE_IDS.items()},
    "company": "companies",
}

# What a search or read returns when no `properties` were asked for.
DEFAULT_PROPERTIES = {
    "deals": [
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ],
    "tickets": [
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
        "subject",
    ],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "notes": ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
}


def modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def object_type_name(raw: str) -> str:
    name = _ALIASES.get(raw.lower())
    if name is None:
        raise bad_request(f"Unable to infer object type from: {raw}")
    return name


def prop(
    name: str,
    label: str,
    type_: str = "string",
    field_type: str = "text",
    *,
    options: list[tuple[str, str]] | None = None,
    unique: bool = False,
    read_only: bool = False,
    hubspot_defined: bool = True,
    group: str = "",
) -> dict[str, Any]:
    """One property definition in the shape of GET /crm/v3/properties/{type}/{name}."""
    stamp = "2020-01-01T00:00:00.000Z"
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": "",
        "groupName": group or "information",
        "options": [
            {"label": option_label, "value": value, "displayOrder": order, "hidden": False, "description": ""}
            for order, (value, option_label) in enumerate(options or [])
        ],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": name == "hubspot_owner_id",
        "hasUniqueValue": unique,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "formField": not read_only,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
    }


def _to_epoch_ms(value: str, *, date_only: bool) -> int | None:
    text = value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        if date_only or re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time(), tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(parsed.timestamp() * 1000)


def comparable(definition: dict[str, Any], value: str) -> float | str:
    """A stored or filter value as something `<` can order: numbers and dates as numbers, text folded."""
    kind = definition["type"]
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value.lower()
    if kind in ("date", "datetime"):
        epoch = _to_epoch_ms(value, date_only=kind == "date")
        return float(epoch) if epoch is not None else value.lower()
    return value.lower()


def normalise(definition: dict[str, Any], value: Any) -> tuple[str | None, dict[str, str] | None]:
    """(stored value, None) or (None, problem) for one written value, as HubSpot validates it."""
    name = definition["name"]
    if value is None or value == "":
        return "", None
    text = str(value)
    kind = definition["type"]
    if kind == "number":
        try:
            float(text)
        except ValueError:
            return None, problem(name, f"{text} was not a valid number.", "INVALID_DOUBLE")
        return text, None
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            return None, problem(name, f"{text} was not a valid boolean.", "INVALID_BOOLEAN")
        return text.lower(), None
    if kind == "date":
        epoch = _to_epoch_ms(text, date_only=True)
        if epoch is None or epoch % 86_400_000:
            return None, problem(name, f"{text} is not a valid date (midnight UTC or YYYY-MM-DD).", "INVALID_DATE")
        return datetime.fromtimestamp(epoch / 1000, UTC).date().isoformat(), None
    if kind == "datetime":
        epoch = _to_epoch_ms(text, date_only=False)
        if epoch is None:
            return None, problem(name, f"{text} was not a valid datetime.", "INVALID_DATETIME")
        moment = datetime.fromtimestamp(epoch / 1000, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"), None
    if kind == "enumeration" and not definition["externalOptions"]:
        allowed = [option["value"] for option in definition["options"]]
        chosen = text.split(";") if definition["fieldType"] == "checkbox" else [text]
        bad = [item for item in chosen if item not in allowed]
        if bad:
            return None, problem(
                name,
                f"{bad[0]} was not one of the allowed options: [{', '.join(allowed)}]",
                "INVALID_OPTION",
            )
    if name == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        return None, problem(name, f"Email address {text} is invalid", "INVALID_EMAIL")
    if name == "email":
        text = text.lower()
    return text, None


def problem(name: str, message: str, error: str) -> dict[str, str]:
    return {"name": name, "message": message, "error": error}
