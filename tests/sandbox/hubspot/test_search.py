"""Search through the SDK: filter groups, operators, sorts, paging and the indexing lag."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hubspot.crm.companies import ApiException as CompaniesError
from hubspot.crm.companies import PublicObjectSearchRequest

from tests.sandbox.hubspot.conftest import Running


def _ids(hs: Running, **request: Any) -> list[str]:
    response = hs.sdk.crm.companies.search_api.do_search(PublicObjectSearchRequest(**request))
    return [company.id for company in response.results]


def _one(name: str, operator: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"filters": [{"propertyName": name, "operator": operator, **extra}]}]


@pytest.fixture
def numbered(hs: Running) -> Running:
    """Companies 9001..9004 with nedjustering 10, 20, 30, 40; 9005..9009 without."""
    for index, company_id in enumerate(["9001", "9002", "9003", "9004"]):
        hs.sdk.crm.companies.basic_api.update(company_id, {"properties": {"nedjustering": str(10 * (index + 1))}})
    return hs


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (_one("city", "EQ", value="oslo"), ["9002"]),
        (_one("city", "NEQ", value="Oslo"), ["9001", "9003", "9004", "9005", "9006", "9007", "9008", "9009"]),
        (_one("city", "IN", values=["Bergen", "Tromsø"]), ["9001", "9005"]),
        (_one("city", "NOT_IN", values=["Bergen", "Tromsø"]), ["9002", "9003", "9004", "9006", "9007", "9008", "9009"]),
        (_one("nedjustering", "HAS_PROPERTY"), ["9001", "9002", "9003", "9004"]),
        (_one("nedjustering", "NOT_HAS_PROPERTY"), ["9005", "9006", "9007", "9008", "9009"]),
        (_one("nedjustering", "GT", value="20"), ["9003", "9004"]),
        (_one("nedjustering", "GTE", value="20"), ["9002", "9003", "9004"]),
        (_one("nedjustering", "LT", value="20"), ["9001"]),
        (_one("nedjustering", "LTE", value="20"), ["9001", "9002"]),
        (_one("nedjustering", "BETWEEN", value="15", highValue="35"), ["9002", "9003"]),
        (_one("name", "CONTAINS_TOKEN", value="blåbær"), ["9003"]),
        (
            [
                {"filters": [{"propertyName": "city", "operator": "EQ", "value": "Oslo"}]},
                {
                    "filters": [
                        {"propertyName": "nedjustering", "operator": "GTE", "value": "30"},
                        {"propertyName": "city", "operator": "NEQ", "value": "Ås"},
                    ]
                },
            ],
            ["9002", "9003"],
        ),
    ],
)
def test_filter_groups_select_the_right_companies(
    numbered: Running, groups: list[dict[str, Any]], expected: list[str]
) -> None:
    assert _ids(numbered, filter_groups=groups, limit=100) == expected


def test_sorts_order_and_after_pages_the_results(numbered: Running) -> None:
    sorts = [{"propertyName": "nedjustering", "direction": "DESCENDING"}]
    first = numbered.sdk.crm.companies.search_api.do_search(
        PublicObjectSearchRequest(filter_groups=_one("nedjustering", "HAS_PROPERTY"), sorts=sorts, limit=3)
    )
    rest = numbered.sdk.crm.companies.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=_one("nedjustering", "HAS_PROPERTY"), sorts=sorts, limit=3, after=first.paging.next.after
        )
    )

    assert first.total == 4
    assert [c.id for c in first.results] == ["9004", "9003", "9002"]
    assert [c.id for c in rest.results] == ["9001"] and rest.paging is None


def test_a_query_matches_text_in_the_default_searchable_properties(hs: Running) -> None:
    assert _ids(hs, query="økonomi") == ["9002"]


def test_new_records_appear_in_search_only_after_the_indexing_lag(start: Callable[..., Running]) -> None:
    hs = start(search_lag=30.0)
    created = hs.sdk.crm.companies.basic_api.create({"properties": {"name": "Ny Kunde AS", "city": "Molde"}})

    assert _ids(hs, filter_groups=_one("city", "EQ", value="Molde")) == []
    assert hs.sdk.crm.companies.basic_api.get_by_id(created.id).id == created.id  # the datastore has it at once


@pytest.mark.parametrize(
    "request_body",
    [
        {"filter_groups": _one("no_such_property", "EQ", value="x")},
        {"filter_groups": [{"filters": [{"propertyName": "city", "operator": "EQ", "value": "x"}] * 7}]},
        {"filter_groups": _one("city", "EQ", value="x") * 6},
        {"limit": 201},
    ],
)
def test_searches_beyond_hubspots_limits_are_refused(hs: Running, request_body: dict[str, Any]) -> None:
    with pytest.raises(CompaniesError) as raised:
        hs.sdk.crm.companies.search_api.do_search(PublicObjectSearchRequest(**request_body))

    assert raised.value.status == 400
    assert json.loads(raised.value.body)["category"] == "VALIDATION_ERROR"
