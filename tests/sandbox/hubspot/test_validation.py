"""Writes are validated like HubSpot's, and refusals come in HubSpot's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.tickets import ApiException as TicketsError

from tests.sandbox.hubspot.conftest import Running


def _refusal(error: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.body)
    assert body["status"] == "error" and body["correlationId"]
    return body


@pytest.mark.parametrize(
    ("properties", "code", "name"),
    [
        ({"no_such_property": "x"}, "PROPERTY_DOESNT_EXIST", "no_such_property"),
        ({"dealtype": "Tilleggslisenser / reforhandling"}, "INVALID_OPTION", "dealtype"),  # a label, not the value
        ({"motebooker": "9999"}, "INVALID_OPTION", "motebooker"),
        ({"pipeline": "87654321", "dealstage": "appointmentscheduled"}, "INVALID_OPTION", "dealstage"),
        ({"pipeline": "nope"}, "INVALID_OPTION", "pipeline"),
        ({"amount": "tretti"}, "INVALID_DOUBLE", "amount"),
        ({"delivery_start_date": "04.10.2024"}, "INVALID_DATE", "delivery_start_date"),
        ({"hubspot_owner_id": "1"}, "INVALID_OPTION", "hubspot_owner_id"),
        ({"hs_object_id": "1"}, "READ_ONLY_VALUE", "hs_object_id"),
    ],
)
def test_a_bad_deal_property_is_a_validation_error_naming_it(
    hs: Running, properties: dict[str, str], code: str, name: str
) -> None:
    with pytest.raises(DealsError) as raised:
        hs.sdk.crm.deals.basic_api.create({"properties": {"dealname": "Feil", **properties}})

    body = _refusal(raised.value)
    assert (raised.value.status, body["category"]) == (400, "VALIDATION_ERROR")
    assert body["message"].startswith("Property values were not valid: ")
    assert f'"error": "{code}"' in body["message"] and f'"name": "{name}"' in body["message"]
    assert body["errors"][0]["context"] == {"propertyName": [name]}
    assert hs.app.objects("deals") == []


def test_a_ticket_without_a_stage_is_refused(hs: Running) -> None:
    with pytest.raises(TicketsError) as raised:
        hs.sdk.crm.tickets.basic_api.create({"properties": {"subject": "Uten status"}})

    assert '"name": "hs_pipeline_stage"' in _refusal(raised.value)["message"]


def test_a_stage_from_another_pipeline_is_refused_on_update(hs: Running) -> None:
    with pytest.raises(TicketsError) as raised:
        hs.sdk.crm.tickets.basic_api.update("5001", {"properties": {"hs_pipeline_stage": "4"}})

    assert raised.value.status == 400
    hs.sdk.crm.tickets.basic_api.update("5001", {"properties": {"hs_pipeline_stage": "81234570"}})


def test_a_missing_object_is_object_not_found(hs: Running) -> None:
    with pytest.raises(TicketsError) as raised:
        hs.sdk.crm.tickets.basic_api.update("404404", {"properties": {"subject": "x"}})

    assert (raised.value.status, _refusal(raised.value)["category"]) == (404, "OBJECT_NOT_FOUND")


def test_a_second_deal_with_the_same_case_key_is_a_conflict(hs: Running) -> None:
    hs.sdk.crm.deals.basic_api.create({"properties": {"dealname": "A", "reforhandling_case_key": "case-1"}})

    with pytest.raises(DealsError) as raised:
        hs.sdk.crm.deals.basic_api.create({"properties": {"dealname": "B", "reforhandling_case_key": "case-1"}})

    assert (raised.value.status, _refusal(raised.value)["category"]) == (409, "CONFLICT")
    assert len(hs.app.objects("deals")) == 1


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_wrong_token_is_refused(hs: Running, token: str | None) -> None:
    response = hs.http("GET", "/crm/v3/objects/companies/9001", token=token)

    assert response.status_code == 401
    assert response.json()["category"] == "INVALID_AUTHENTICATION"


def test_dates_and_datetimes_are_stored_the_way_hubspot_returns_them(hs: Running) -> None:
    deal = hs.sdk.crm.deals.basic_api.create(
        {
            "properties": {
                "dealname": "Datoer",
                "closedate": "2024-10-06",
                "delivery_start_date": "1728000000000",
            }
        }
    )

    assert deal.properties["closedate"] == "2024-10-06T00:00:00.000Z"
    assert deal.properties["delivery_start_date"] == "2024-10-04"
