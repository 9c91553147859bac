"""POST /crm/v3/objects/{type}/search: filter groups (OR of ANDs), sorts, query, limit and `after` paging."""

from __future__ import annotations

import fnmatch
import re
import time
from typing import Any

from sandbox.hubspot.errors import bad_request
from sandbox.hubspot.schema import comparable

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_LIMIT, MAX_RESULTS = 200, 10_000
OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)
QUERY_PROPERTIES = ("name", "domain", "email", "firstname", "lastname", "phone", "subject", "content", "dealname")


def search(
    records: list[dict[str, Any]],
    definitions: dict[str, dict[str, Any]],
    request: dict[str, Any],
    *,
    lag: float = 0.0,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """(page of records, total, next `after`); records younger than `lag` seconds are not indexed yet."""
    groups = request.get("filterGroups") or []
    filters_total = sum(len(group.get("filters") or []) for group in groups)
    if (
        len(groups) > MAX_GROUPS
        or filters_total > MAX_FILTERS
        or any(len(group.get("filters") or []) > MAX_FILTERS_PER_GROUP for group in groups)
    ):
        raise bad_request(
            f"Search allows at most {MAX_GROUPS} filterGroups of {MAX_FILTERS_PER_GROUP} filters, "
            f"{MAX_FILTERS} filters in total."
        )
    for group in groups:
        for item in group.get("filters") or []:
            name = item.get("propertyName")
            if name not in definitions:
                raise bad_request(f"There was a problem with the request: property {name!r} does not exist.")
            if item.get("operator", "EQ") not in OPERATORS:
                raise bad_request(f"Unknown filter operator {item.get('operator')!r}")
    limit = int(request.get("limit") or 10)
    if limit > MAX_LIMIT or limit < 0:
        raise bad_request(f"limit must be between 0 and {MAX_LIMIT}")
    offset = int(request.get("after") or 0)
    if offset >= MAX_RESULTS:
        raise bad_request(f"Search can page through at most {MAX_RESULTS} results.")

    now = time.time()
    indexed = [record for record in records if now - float(record.get("indexedAt", 0.0)) >= lag]
    query = str(request.get("query") or "").strip().lower()
    hits = [
        record
        for record in indexed
        if (not groups or any(_group_matches(record, group, definitions) for group in groups))
        and (not query or _query_matches(record, query))
    ]
    for sort in reversed(_sorts(request.get("sorts") or [])):
        name, descending = sort
        definition = definitions.get(name, {"type": "string"})
        present = [r for r in hits if r["properties"].get(name) not in (None, "")]
        missing = [r for r in hits if r["properties"].get(name) in (None, "")]
        present.sort(key=lambda r: _key(comparable(definition, r["properties"][name])), reverse=descending)
        hits = present + missing
    if not request.get("sorts"):
        hits.sort(key=lambda r: int(r["id"]) if r["id"].isdigit() else 0)
    page = hits[offset : offset + limit]
    following = offset + limit
    return page, len(hits), str(following) if following < len(hits) else None


def _key(value: float | str) -> tuple[int, float | str]:
    return (0, value) if isinstance(value, float) else (1, value)


def _sorts(raw: list[Any]) -> list[tuple[str, bool]]:
    sorts = []
    for item in raw:
        if isinstance(item, dict):
            sorts.append((str(item.get("propertyName")), str(item.get("direction", "ASCENDING")) == "DESCENDING"))
        else:
            text = str(item)
            sorts.append((text.lstrip("-"), text.startswith("-")))
    return sorts


def _query_matches(record: dict[str, Any], query: str) -> bool:
    return any(query in str(record["properties"].get(name) or "").lower() for name in QUERY_PROPERTIES)


def _group_matches(record: dict[str, Any], group: dict[str, Any], definitions: dict[str, dict[str, Any]]) -> bool:
    return all(_filter_matches(record, item, definitions[item["propertyName"]]) for item in group.get("filters") or [])


def _filter_matches(record: dict[str, Any], item: dict[str, Any], definition: dict[str, Any]) -> bool:
    operator = item.get("operator", "EQ")
    stored = record["properties"].get(item["propertyName"])
    has = stored not in (None, "")
    if operator == "HAS_PROPERTY":
        return has
    if operator == "NOT_HAS_PROPERTY":
        return not has
    if operator in ("IN", "NOT_IN"):
        wanted = {comparable(definition, str(v)) for v in item.get("values") or []}
        inside = has and comparable(definition, str(stored)) in wanted
        return inside if operator == "IN" else not inside
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(item.get("value", "")).lower()
        text = str(stored or "").lower()
        found = has and (
            fnmatch.fnmatchcase(text, pattern) if "*" in pattern else pattern in re.split(r"[^\wæøå]+", text)
        )
        return found if operator == "CONTAINS_TOKEN" else not found
    value = comparable(definition, str(item.get("value", "")))
    if operator == "NEQ":
        return not has or comparable(definition, str(stored)) != value
    if not has:
        return False
    mine = comparable(definition, str(stored))
    if operator == "EQ":
        return mine == value
    if type(mine) is not type(value):
        return False
    if operator == "BETWEEN":
        high = comparable(definition, str(item.get("highValue", "")))
        return type(high) is type(mine) and value <= mine <= high  # type: ignore[operator]
    comparisons = {
        "GT": lambda: mine > value,  # type: ignore[operator]
        "GTE": lambda: mine >= value,  # type: ignore[operator]
        "LT": lambda: mine < value,  # type: ignore[operator]
        "LTE": lambda: mine <= value,  # type: ignore[operator]
    }
    return bool(comparisons[operator]())
