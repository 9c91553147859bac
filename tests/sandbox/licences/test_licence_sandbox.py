"""The Avonova Digital sandbox over HTTP: the seeded customers, and adding a customer with POST."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.licence_api import F_CUSTOMER_ID, F_LICENCES, F_REFERENCE, LICENCES_PATH
from sandbox.kit import SandboxServer
from sandbox.licences import LicenceSandbox
from sandbox.world import CUSTOMERS

COLLECTION = "/api/v1/customers"
NEW = {F_CUSTOMER_ID: "990123411", "name": "Ny Kunde AS", F_LICENCES: 7}


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer sandbox-token"}, timeout=5) as client:
        yield client


def _licences(client: httpx.Client, customer_id: str) -> httpx.Response:
    return client.get(LICENCES_PATH.format(customer_id=customer_id))


def test_the_collection_is_the_one_the_licence_path_hangs_under() -> None:
    assert LICENCES_PATH.format(customer_id="x") == f"{COLLECTION}/x/licences"


def test_the_seeded_customers_have_their_current_agreements_licence_count(client: httpx.Client) -> None:
    counts = {c.company_id: _licences(client, c.org_number) for c in CUSTOMERS}

    assert {company: r.json()[F_LICENCES] for company, r in counts.items() if r.status_code == 200} == {
        "9001": 40,
        "9002": 60,
        "9003": 100,
        "9004": 25,
        "9005": 12,
        "9006": 30,
        "9007": 20,
        "9009": 12,
    }
    assert counts["9008"].status_code == 404  # Uten Orgnr AS is not in Avonova Digital


def test_a_customer_added_with_post_is_read_and_set_like_a_seeded_one(
    client: httpx.Client, app: LicenceSandbox
) -> None:
    created = client.post(COLLECTION, json={**NEW, F_REFERENCE: "case-5008"})

    assert created.status_code == 201
    assert created.headers["location"] == LICENCES_PATH.format(customer_id="990123411")
    assert {k: created.json()[k] for k in (F_CUSTOMER_ID, "name", F_LICENCES, F_REFERENCE)} == {
        **NEW,
        F_REFERENCE: "case-5008",
    }
    assert _licences(client, "990123411").json()[F_LICENCES] == 7
    assert client.put(LICENCES_PATH.format(customer_id="990123411"), json={F_LICENCES: 9}).status_code == 200
    assert app.licences("990123411") == 9


def test_a_customer_that_exists_is_not_added_again(client: httpx.Client, app: LicenceSandbox) -> None:
    seeded = CUSTOMERS[0]

    again = client.post(COLLECTION, json={F_CUSTOMER_ID: seeded.org_number, "name": "Annen AS", F_LICENCES: 1})
    client.post(COLLECTION, json=NEW).raise_for_status()
    twice = client.post(COLLECTION, json={**NEW, F_LICENCES: 99})

    assert (again.status_code, twice.status_code) == (409, 409)
    assert "already exists" in again.json()["message"]
    assert (app.licences(seeded.org_number), app.licences("990123411")) == (40, 7)


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ("not json", "JSON object"),
        ([NEW], "JSON object"),
        ({k: v for k, v in NEW.items() if k != F_CUSTOMER_ID}, F_CUSTOMER_ID),
        ({**NEW, F_CUSTOMER_ID: "990 123 411"}, F_CUSTOMER_ID),
        ({**NEW, F_CUSTOMER_ID: 990123411}, F_CUSTOMER_ID),
        ({**NEW, "name": " "}, "name"),
        ({k: v for k, v in NEW.items() if k != F_LICENCES}, F_LICENCES),
        ({**NEW, F_LICENCES: -1}, F_LICENCES),
        ({**NEW, F_LICENCES: "7"}, F_LICENCES),
        ({**NEW, F_LICENCES: True}, F_LICENCES),
    ],
)
def test_a_bad_body_is_refused_with_a_message_naming_the_field(
    client: httpx.Client, app: LicenceSandbox, body: Any, mentions: str
) -> None:
    content = body if isinstance(body, str) else httpx.Request("POST", "/", json=body).content
    refused = client.post(COLLECTION, content=content, headers={"Content-Type": "application/json"})

    assert refused.status_code == 400
    assert mentions in refused.json()["message"]
    assert app.customer("990123411") is None


def test_adding_a_customer_needs_the_bearer_token(server: SandboxServer, app: LicenceSandbox) -> None:
    refused = httpx.post(f"{server.url}{COLLECTION}", json=NEW, headers={"Authorization": "Bearer wrong"})

    assert refused.status_code == 401
    assert app.customer("990123411") is None
