"""CRM records in the app's JSON state: validation like HubSpot's, unique values, and rendering for responses."""

from __future__ import annotations

import time
from typing import Any

from sandbox.hubspot.associations import TYPES, AssociationStore, AssociationType, check_type
from sandbox.hubspot.errors import HubSpotError, bad_request, not_found, property_problems
from sandbox.hubspot.schema import DEFAULT_PROPERTIES, modified_property, normalise, problem
from sandbox.kit import utc_now_iso

PIPELINE_PROPERTIES = {"deals": ("pipeline", "dealstage"), "tickets": ("hs_pipeline", "hs_pipeline_stage")}
REQUIRED = {"tickets": ("hs_pipeline_stage",), "notes": ("hs_timestamp",)}


class ObjectStore:
    """One view over `state`; build a new one per request (state may be replaced by a reset)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.associations = AssociationStore(state)

    # --- reading ----------------------------------------------------------------------------------------
    def definitions(self, object_type: str) -> dict[str, dict[str, Any]]:
        definitions: dict[str, dict[str, Any]] = self.state["properties"][object_type]
        return definitions

    def records(self, object_type: str, *, archived: bool = False) -> list[dict[str, Any]]:
        return [r for r in self.state["objects"][object_type].values() if bool(r["archived"]) == archived]

    def find(self, object_type: str, object_id: str, *, id_property: str | None = None) -> dict[str, Any] | None:
        if id_property and id_property != "hs_object_id":
            self.check_id_property(object_type, id_property)
            wanted = object_id.lower() if id_property == "email" else object_id
            for record in self.records(object_type):
                if record["properties"].get(id_property) == wanted:
                    return record
            return None
        stored: dict[str, Any] | None = self.state["objects"][object_type].get(object_id)
        return stored if stored is not None and not stored["archived"] else None

    def get(self, object_type: str, object_id: str, *, id_property: str | None = None) -> dict[str, Any]:
        record = self.find(object_type, object_id, id_property=id_property)
        if record is None:
            raise not_found(object_type, object_id)
        return record

    def check_id_property(self, object_type: str, id_property: str) -> None:
        definition = self.definitions(object_type).get(id_property)
        unique = definition is not None and definition["hasUniqueValue"]
        if not unique and not (object_type == "contacts" and id_property == "email"):
            raise bad_request(f"{id_property} is not a unique identifier property for {object_type}.")

    def render(
        self,
        object_type: str,
        record: dict[str, Any],
        properties: list[str] | None = None,
        associations: list[str] | None = None,
        with_history: list[str] | None = None,
    ) -> dict[str, Any]:
        definitions = self.definitions(object_type)
        names = properties or DEFAULT_PROPERTIES[object_type]
        names = [*names, "hs_object_id", "createdate", modified_property(object_type)]
        values = {name: record["properties"].get(name) for name in dict.fromkeys(names) if name in definitions}
        rendered: dict[str, Any] = {
            "id": record["id"],
            "properties": values,
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": record["archived"],
        }
        if with_history:
            rendered["propertiesWithHistory"] = {
                name: _history(record, name) for name in dict.fromkeys(with_history) if name in definitions
            }
        if associations:
            rendered_associations: dict[str, Any] = {}
            for to_type in associations:
                rows = [
                    {"id": to_id, "type": TYPES[type_id].name}
                    for to_id, type_ids in self.associations.targets(object_type, record["id"], to_type).items()
                    for type_id in type_ids
                ]
                if rows:
                    rendered_associations[to_type] = {"results": rows}
            if rendered_associations:
                rendered["associations"] = rendered_associations
        return rendered

    # --- writing ----------------------------------------------------------------------------------------
    def create(
        self, object_type: str, properties: dict[str, Any], associations: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        values = self.validate(object_type, properties or {}, None)
        links = [link for item in associations or [] for link in self._inline_association(object_type, item)]
        object_id = str(self.state["next_id"])
        self.state["next_id"] += 1
        now = utc_now_iso()
        values.update(
            {
                "hs_object_id": object_id,
                "createdate": values.get("createdate") or now,
                modified_property(object_type): now,
            }
        )
        if object_type == "notes":
            values["hs_createdate"] = now
        history = {name: [_change(value, now)] for name, value in values.items()}
        record = {
            "id": object_id,
            "properties": values,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "indexedAt": time.time(),
            "history": history,
        }
        self.state["objects"][object_type][object_id] = record
        for to_id, association in links:
            self.associations.add(object_type, object_id, to_id, association)
        return record

    def update(
        self, object_type: str, object_id: str, properties: dict[str, Any], *, id_property: str | None = None
    ) -> dict[str, Any]:
        record = self.get(object_type, object_id, id_property=id_property)
        values = self.validate(object_type, properties or {}, record)
        now = utc_now_iso()
        history = record.setdefault("history", {})
        for name, value in values.items():
            if record["properties"].get(name) != value:
                # A seeded value keeps its place in the history once it changes, as HubSpot's import does.
                changes = history.setdefault(name, _history(record, name))
                changes.insert(0, _change(value, now))
        record["properties"].update(values)
        record["properties"][modified_property(object_type)] = now
        record["updatedAt"] = now
        return record

    def archive(self, object_type: str, object_id: str) -> None:
        record = self.find(object_type, object_id)
        if record is not None:  # HubSpot answers 204 for an unknown id too
            record["archived"] = True
            record["archivedAt"] = utc_now_iso()
            self.associations.remove_object(object_type, object_id)

    def validate(self, object_type: str, properties: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, str]:
        """Normalised values, or HubSpot's 400 listing every problem."""
        definitions = self.definitions(object_type)
        problems: list[dict[str, str]] = []
        values: dict[str, str] = {}
        for name, raw in properties.items():
            definition = definitions.get(name)
            if definition is None:
                problems.append(problem(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"))
                continue
            if definition["modificationMetadata"]["readOnlyValue"]:
                problems.append(
                    problem(name, f'"{name}" is a read only property; its value cannot be set.', "READ_ONLY_VALUE")
                )
                continue
            value, trouble = normalise(definition, raw)
            if trouble is not None:
                problems.append(trouble)
            elif value is not None:
                values[name] = value
        if existing is None:
            problems += [
                problem(name, f'Property "{name}" is required', "REQUIRED")
                for name in REQUIRED.get(object_type, ())
                if not values.get(name)
            ]
        problems += self._pipeline_problems(object_type, values, existing)
        problems += self._owner_problems(values)
        if problems:
            raise property_problems(problems)
        self._check_unique(object_type, values, existing)
        return values

    def _pipeline_problems(
        self, object_type: str, values: dict[str, str], existing: dict[str, Any] | None
    ) -> list[dict[str, str]]:
        if object_type not in PIPELINE_PROPERTIES:
            return []
        pipeline_name, stage_name = PIPELINE_PROPERTIES[object_type]
        current = existing["properties"] if existing else {}
        pipeline_id = values.get(pipeline_name) or current.get(pipeline_name)
        pipelines = {p["id"]: p for p in self.state["pipelines"][object_type]}
        if pipeline_id is None:
            pipeline_id = "default" if object_type == "deals" else "0"
            values[pipeline_name] = pipeline_id
        pipeline = pipelines.get(pipeline_id)
        if pipeline is None:
            return [problem(pipeline_name, f"{pipeline_id} is not a valid pipeline id", "INVALID_OPTION")]
        stage_ids = [stage["id"] for stage in pipeline["stages"]]
        if stage_name not in values:
            if pipeline_name in values and current.get(stage_name) not in stage_ids:
                values[stage_name] = stage_ids[0]  # HubSpot moves a record to a new pipeline's first stage
            elif existing is None and object_type == "deals":
                values[stage_name] = stage_ids[0]
            return []
        if values[stage_name] not in stage_ids:
            return [
                problem(
                    stage_name,
                    f"{values[stage_name]} is not a valid stage of pipeline {pipeline_id} ({pipeline['label']})",
                    "INVALID_OPTION",
                )
            ]
        return []

    def _owner_problems(self, values: dict[str, str]) -> list[dict[str, str]]:
        owner = values.get("hubspot_owner_id")
        if owner and owner not in {o["id"] for o in self.state["owners"]}:
            return [problem("hubspot_owner_id", f"{owner} is not a valid owner id", "INVALID_OPTION")]
        return []

    def _check_unique(self, object_type: str, values: dict[str, str], existing: dict[str, Any] | None) -> None:
        definitions = self.definitions(object_type)
        for name, value in values.items():
            unique = definitions[name]["hasUniqueValue"] or (object_type == "contacts" and name == "email")
            if not unique or not value:
                continue
            for record in self.records(object_type):
                if record["properties"].get(name) == value and (existing is None or record["id"] != existing["id"]):
                    label = "Contact" if object_type == "contacts" else object_type[:-1].capitalize()
                    raise HubSpotError(409, f"{label} already exists. Existing ID: {record['id']}", "CONFLICT")

    def _inline_association(self, from_type: str, item: dict[str, Any]) -> list[tuple[str, AssociationType]]:
        to_id = str((item.get("to") or {}).get("id", ""))
        types = item.get("types") or []
        if not to_id or not types:
            raise bad_request("Each association needs `to.id` and at least one of `types`.")
        links = []
        for spec in types:
            association = check_type(
                int(spec.get("associationTypeId", 0)), str(spec.get("associationCategory", "")), from_type
            )
            self.require_target(association.to_type, to_id)
            links.append((to_id, association))
        return links

    def require_target(self, object_type: str, object_id: str) -> None:
        if self.find(object_type, object_id) is None:
            raise bad_request(
                f"One or more associations are invalid: {object_type} {object_id} does not exist",
                errors=[
                    {
                        "message": f"{object_type} {object_id} not found",
                        "code": "INVALID_ASSOCIATION",
                        "context": {"id": [object_id]},
                    }
                ],
            )


def _change(value: object, at: str) -> dict[str, Any]:
    # Every write through the API is the integration's; a person's change in the UI would say CRM_UI.
    return {"value": "" if value is None else str(value), "timestamp": at, "sourceType": "INTEGRATION"}


def _history(record: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A property's values, newest first, as `propertiesWithHistory` has them; a seeded value without a history
    shows as set when the record was created."""
    changes: list[dict[str, Any]] = list((record.get("history") or {}).get(name) or [])
    if not changes and record["properties"].get(name) is not None:
        changes = [_change(record["properties"][name], record["createdAt"]) | {"sourceType": "IMPORT"}]
    return changes
