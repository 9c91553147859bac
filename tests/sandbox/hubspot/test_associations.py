"""Associations v4 through the SDK, with HubSpot's type ids, and inline associations on create."""

from __future__ import annotations

import json

import pytest
from hubspot.crm.association_type import AssociationType
from hubspot.crm.associations.v4 import ApiException as AssociationsError
from hubspot.crm.deals import ApiException as DealsError

from tests.sandbox.hubspot.conftest import Running

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"


def _spec(type_id: int) -> dict[str, object]:
    return {"associationCategory": HUBSPOT_DEFINED, "associationTypeId": type_id}


def test_a_labelled_put_associates_both_ways_with_the_inverse_type(hs: Running) -> None:
    pair = hs.sdk.crm.associations.v4.basic_api.create("tickets", "5001", "companies", "9001", [_spec(26), _spec(339)])

    assert (pair.from_object_type_id, pair.to_object_type_id, pair.labels) == ("0-5", "0-2", ["Primary"])
    inverse = hs.sdk.crm.associations.v4.basic_api.get_page("companies", "9001", "tickets")
    assert [(r.to_object_id, sorted(t.type_id for t in r.association_types)) for r in inverse.results] == [
        ("5001", [25, 340])
    ]


def test_a_default_put_uses_the_unlabelled_type(hs: Running) -> None:
    response = hs.sdk.crm.associations.v4.basic_api.create_default("tickets", "5001", "contacts", "3001")

    assert [(r._from.id, r.to.id, r.association_spec.association_type_id) for r in response.results] == [
        ("5001", "3001", 16),
        ("3001", "5001", 15),
    ]
    assert hs.app.associations("contacts", "3001", "tickets") == ["5001"]


def test_batch_create_and_batch_default_associate_many_pairs(hs: Running) -> None:
    batch = hs.sdk.crm.associations.v4.batch_api
    created = batch.create(
        "tickets",
        "companies",
        {
            "inputs": [
                {"from": {"id": "5001"}, "to": {"id": "9001"}, "types": [_spec(339)]},
                {"from": {"id": "5002"}, "to": {"id": "9002"}, "types": [_spec(339)]},
            ]
        },
    )
    defaults = batch.create_default(
        "tickets",
        "contacts",
        {
            "inputs": [
                {"from": {"id": "5001"}, "to": {"id": "3001"}},
                {"from": {"id": "5002"}, "to": {"id": "3002"}},
            ]
        },
    )

    assert len(created.results) == 2 and len(defaults.results) == 4
    assert hs.app.associations("tickets", "5002", "companies") == ["9002"]
    assert hs.app.associations("tickets", "5002", "contacts") == ["3002"]


def test_a_deleted_association_is_gone_both_ways(hs: Running) -> None:
    api = hs.sdk.crm.associations.v4.basic_api
    api.create_default("tickets", "5001", "companies", "9001")

    api.archive("tickets", "5001", "companies", "9001")

    assert hs.app.associations("companies", "9001", "tickets") == []


def test_a_type_id_between_other_objects_is_refused(hs: Running) -> None:
    with pytest.raises(AssociationsError) as raised:
        hs.sdk.crm.associations.v4.basic_api.create("tickets", "5001", "companies", "9001", [_spec(341)])

    assert raised.value.status == 400


def test_associating_a_missing_object_is_not_found(hs: Running) -> None:
    with pytest.raises(AssociationsError) as raised:
        hs.sdk.crm.associations.v4.basic_api.create_default("tickets", "5001", "companies", "1")

    assert raised.value.status == 404
    assert json.loads(raised.value.body)["category"] == "OBJECT_NOT_FOUND"


def test_a_create_with_inline_associations_links_the_new_deal(hs: Running) -> None:
    deal = hs.sdk.crm.deals.basic_api.create(
        {
            "properties": {"dealname": "Søndre Ås Transport AS - REFORHANDLING"},
            "associations": [
                {"to": {"id": "3004"}, "types": [_spec(3)]},
                {"to": {"id": "9004"}, "types": [_spec(341)]},
            ],
        }
    )

    read = hs.sdk.crm.deals.basic_api.get_by_id(deal.id, associations=["contacts", "companies"])
    assert [a.id for a in read.associations["contacts"].results] == ["3004"]
    assert [(a.id, a.type) for a in read.associations["companies"].results] == [("9004", "deal_to_company_unlabeled")]


def test_a_create_associated_with_a_missing_object_is_refused_and_creates_nothing(hs: Running) -> None:
    with pytest.raises(DealsError) as raised:
        hs.sdk.crm.deals.basic_api.create(
            {
                "properties": {"dealname": "X"},
                "associations": [{"to": {"id": "1"}, "types": [_spec(341)]}],
            }
        )

    assert raised.value.status == 400
    assert hs.app.objects("deals") == []


def test_a_deal_created_on_a_ticket_with_hubspots_own_type_id_is_linked_both_ways(hs: Running) -> None:
    deal = hs.sdk.crm.deals.basic_api.create(
        {
            "properties": {"dealname": "Søndre Ås Transport AS - REFORHANDLING"},
            "associations": [{"to": {"id": "5004"}, "types": [_spec(AssociationType.DEAL_TO_TICKET)]}],
        }
    )

    read = hs.sdk.crm.deals.basic_api.get_by_id(deal.id, associations=["tickets"])
    assert [(a.id, a.type) for a in read.associations["tickets"].results] == [("5004", "deal_to_ticket")]
    page = hs.sdk.crm.associations.v4.basic_api.get_page("tickets", "5004", "deals")
    assert [(str(row.to_object_id), [t.type_id for t in row.association_types]) for row in page.results] == [
        (deal.id, [AssociationType.TICKET_TO_DEAL])
    ]
