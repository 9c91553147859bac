"""Objects through the SDK: create, read, update, archive, list and the batch endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInput, BatchReadInputSimplePublicObjectId

from tests.sandbox.hubspot.conftest import Running

MINIMAL = {
    "tickets": {"subject": "Spørsmål om faktura", "hs_pipeline": "0", "hs_pipeline_stage": "1"},
    "deals": {"dealname": "Blåbær - utvidelse", "pipeline": "default", "dealstage": "appointmentscheduled"},
    "companies": {"name": "Østlandet Æble AS"},
    "contacts": {"firstname": "Øyvind", "email": "ny.person@example.no"},
    "notes": {"hs_note_body": "<p>Ringte kunden</p>", "hs_timestamp": "2024-10-04T10:00:00Z"},
}


def _api(hs: Running, object_type: str) -> tuple[object, object]:
    group = hs.sdk.crm.objects.notes if object_type == "notes" else getattr(hs.sdk.crm, object_type)
    return group.basic_api, group.batch_api


def test_the_sandbox_answers_as_soon_as_it_is_started(start: Callable[..., Running]) -> None:
    # How fast it starts is a benchmark's question, not a test's.
    hs = start()

    assert hs.sdk.crm.companies.basic_api.get_by_id("9001").properties["name"] == "Fjordkraft Bygg AS"


@pytest.mark.parametrize("object_type", sorted(MINIMAL))
def test_every_object_type_can_be_created_read_updated_and_archived(hs: Running, object_type: str) -> None:
    basic, _ = _api(hs, object_type)
    created = basic.create({"properties": MINIMAL[object_type]})  # type: ignore[attr-defined]
    name, value = next(iter(MINIMAL[object_type].items()))

    read = basic.get_by_id(created.id, properties=[name])  # type: ignore[attr-defined]
    assert read.properties[name] == value and read.properties["hs_object_id"] == created.id

    basic.update(created.id, {"properties": {name: value + " (endret)"}})  # type: ignore[attr-defined]
    assert hs.app.object(object_type, created.id)["properties"][name] == value + " (endret)"  # type: ignore[index]

    basic.archive(created.id)  # type: ignore[attr-defined]
    assert hs.app.object(object_type, created.id) is None
    assert hs.http("GET", f"/crm/v3/objects/{object_type}/{created.id}").status_code == 404


def test_a_read_returns_the_asked_properties_and_associations(hs: Running) -> None:
    ticket = hs.sdk.crm.tickets.basic_api.get_by_id(
        "5005", properties=["subject", "hs_pipeline_stage"], associations=["contacts", "companies"]
    )
    company = hs.sdk.crm.companies.basic_api.get_by_id("9001", associations=["contacts"])

    assert ticket.properties["subject"] == "Henvendelse fra Sigrid Østby"
    assert [(a.id, a.type) for a in ticket.associations["contacts"].results] == [("3005", "ticket_to_contact")]
    assert "companies" not in ticket.associations
    assert company.properties["name"] == "Fjordkraft Bygg AS"  # a default property when none are asked for
    assert {a.type for a in company.associations["contacts"].results} == {
        "company_to_contact",
        "company_to_contact_unlabeled",
    }


def test_a_contact_can_be_read_by_email(hs: Running) -> None:
    contact = hs.sdk.crm.contacts.basic_api.get_by_id("Kari.Nordmann@fjordkraftbygg.example", id_property="email")

    assert contact.id == "3001"


def test_the_list_endpoint_pages_with_after(hs: Running) -> None:
    first = hs.sdk.crm.companies.basic_api.get_page(limit=4)
    second = hs.sdk.crm.companies.basic_api.get_page(limit=4, after=first.paging.next.after)
    third = hs.sdk.crm.companies.basic_api.get_page(limit=4, after=second.paging.next.after)

    assert [c.id for c in first.results] == ["9001", "9002", "9003", "9004"]
    assert [c.id for c in second.results] == ["9005", "9006", "9007", "9008"]
    assert [c.id for c in third.results] == ["9009"]
    assert third.paging is None


def test_batch_read_returns_found_records_and_reports_missing_ids(hs: Running) -> None:
    request = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": "9001"}, {"id": "404404"}], properties=["name"], properties_with_history=[]
    )
    response = hs.sdk.crm.companies.batch_api.read(request)

    assert [r.id for r in response.results] == ["9001"]
    assert response.errors[0].category == "OBJECT_NOT_FOUND"
    assert response.errors[0].context == {"ids": ["404404"]}


def test_batch_read_by_email_and_by_a_unique_property(hs: Running) -> None:
    contacts = hs.sdk.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "ase.odegard@aerligokonomi.example"}],
            id_property="email",
            properties=["firstname"],
            properties_with_history=[],
        )
    )
    hs.sdk.crm.deals.basic_api.create({"properties": {"dealname": "D", "reforhandling_case_key": "case-1"}})
    deals = hs.sdk.crm.deals.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "case-1"}],
            id_property="reforhandling_case_key",
            properties=["dealname"],
            properties_with_history=[],
        )
    )

    assert contacts.results[0].properties["firstname"] == "Åse"
    assert deals.results[0].properties["reforhandling_case_key"] == "case-1"


def test_batch_read_by_a_property_without_unique_values_is_refused(hs: Running) -> None:
    with pytest.raises(DealsError) as raised:
        hs.sdk.crm.deals.batch_api.read(
            BatchReadInputSimplePublicObjectId(
                inputs=[{"id": "x"}],
                id_property="dealname",
                properties=[],
                properties_with_history=[],
            )
        )

    assert raised.value.status == 400
    assert json.loads(raised.value.body)["category"] == "VALIDATION_ERROR"


def test_batch_update_writes_nothing_when_one_input_is_invalid(hs: Running) -> None:
    batch = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            {"id": "9001", "properties": {"nedjustering": "4"}},
            {"id": "9002", "properties": {"nedjustering": "fire"}},
        ]
    )
    with pytest.raises(Exception) as raised:
        hs.sdk.crm.companies.batch_api.update(batch)
    assert getattr(raised.value, "status", None) == 400
    assert hs.app.object("companies", "9001")["properties"].get("nedjustering") is None  # type: ignore[index]

    batch.inputs[1]["properties"]["nedjustering"] = "4"
    response = hs.sdk.crm.companies.batch_api.update(batch)
    assert [r.properties["nedjustering"] for r in response.results] == ["4", "4"]


def test_batch_create_creates_every_input(hs: Running) -> None:
    response = hs.sdk.crm.contacts.batch_api.create(
        {
            "inputs": [
                {"properties": {"email": "a@example.no"}, "associations": []},
                {"properties": {"email": "b@example.no"}, "associations": []},
            ]
        }
    )

    assert sorted(r.properties["email"] for r in response.results) == ["a@example.no", "b@example.no"]


def test_a_second_contact_with_the_same_email_is_a_conflict(hs: Running) -> None:
    with pytest.raises(ContactsError) as raised:
        hs.sdk.crm.contacts.basic_api.create({"properties": {"email": "KARI.NORDMANN@fjordkraftbygg.example"}})

    body = json.loads(raised.value.body)
    assert (raised.value.status, body["category"]) == (409, "CONFLICT")
    assert body["message"] == "Contact already exists. Existing ID: 3001"
