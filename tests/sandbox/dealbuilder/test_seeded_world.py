"""The Dealbuilder sandbox's seeded documents, its org-number filter and the product-line accessor, over HTTP."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from dateutil.relativedelta import relativedelta

from adapters import dealbuilder_api as api
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.kit import SandboxServer
from sandbox.world import CUSTOMERS, SeedCustomer, customer_by_company


def _list(server: SandboxServer, **query: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}{api.DOCUMENTS}",
        params={api.Q_PAGE_SIZE: str(api.MAX_PAGE_SIZE), **query},
        headers={api.API_KEY_HEADER: "sandbox-key"},
    )
    response.raise_for_status()
    body = response.json()
    assert isinstance(body, dict)
    return body


def _by_org(server: SandboxServer, org_number: str) -> dict[str, dict[str, Any]]:
    return {d[api.D_ID]: d for d in _list(server, **{api.Q_ORG_NUMBER: org_number})[api.L_ITEMS]}


def _products(document: dict[str, Any]) -> list[tuple[str, int, str, str]]:
    return [
        (p[api.PR_NAME], p[api.PR_QUANTITY], p[api.PR_UNIT_PRICE], p[api.PR_DISCOUNT]) for p in document[api.D_PRODUCTS]
    ]


def _oslo_day(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(ZoneInfo("Europe/Oslo")).date().isoformat()


def _summary(document: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (
        document[api.D_TEMPLATE_NAME],
        document[api.D_SENDER],
        document[api.D_BOOKER],
        document[api.D_STATUS],
        _oslo_day(document[api.D_SIGNED_DATE]),
    )


def _months_ago(app: DealbuilderSandbox, months: int) -> str:
    return (app.today - relativedelta(months=months)).isoformat()


@pytest.mark.parametrize("customer", CUSTOMERS, ids=lambda c: c.company_id)
def test_each_customers_documents_are_found_by_its_org_number(server: SandboxServer, customer: SeedCustomer) -> None:
    found = _by_org(server, customer.org_number)

    assert set(found) == {d.id for d in customer.documents}
    for document in found.values():
        assert document[api.D_CUSTOMER][api.C_ORG_NUMBER] == customer.org_number
        assert document[api.D_CUSTOMER][api.C_NAME] == customer.name


def test_havbris_has_a_discounted_agreement_without_onboarding_and_a_newer_other_product(
    server: SandboxServer, app: DealbuilderSandbox
) -> None:
    found = _by_org(server, customer_by_company("9006").org_number)

    original, health = found["DB-ORIG-1006"], found["DB-BHT-1006"]
    assert _summary(original) == (
        "Avtale om Avonova Assist",
        "Selger Avonova",
        "Møtebooker Avonova",
        "Signed",
        _months_ago(app, 10),
    )
    assert _products(original) == [
        ("Avonova Assist lisens", 30, "500.00", "20"),
        ("Avonova Assist kursmodul", 1, "3000.00", "10"),
    ]
    assert _summary(health) == (
        "Avtale om bedriftshelsetjeneste",
        "Selger Avonova",
        "Møtebooker Avonova",
        "Signed",
        _months_ago(app, 1),
    )
    assert _products(health) == [("Bedriftshelsetjeneste", 1, "25000.00", "0")]


def test_granskog_was_sold_over_36_months_ago_and_renegotiated_by_the_routine_since(
    server: SandboxServer, app: DealbuilderSandbox
) -> None:
    found = _by_org(server, customer_by_company("9007").org_number)

    assert _summary(found["DB-ORIG-1007"]) == (
        "Avtale om Avonova Assist",
        "Selger Avonova",
        "Møtebooker Avonova",
        "Signed",
        _months_ago(app, 50),
    )
    assert _products(found["DB-ORIG-1007"]) == [
        ("Avonova Assist lisens", 15, "450.00", "0"),
        ("digital oppstart", 1, "2500.00", "100"),
    ]
    assert _summary(found["DB-REF-1007"]) == (
        "Reforhandling av avtale om Avonova Assist",
        "user non human",
        "kundesenter",
        "Signed",
        _months_ago(app, 6),
    )
    assert _products(found["DB-REF-1007"]) == [
        ("Avonova Assist lisens", 20, "430.00", "0"),
        ("digital oppstart", 1, "2500.00", "100"),
    ]


def test_kystlinje_has_only_renegotiations_and_uten_orgnr_nothing(
    server: SandboxServer, app: DealbuilderSandbox
) -> None:
    kystlinje = _by_org(server, customer_by_company("9009").org_number)

    assert {d[api.D_ID]: (_summary(d), _products(d)[0]) for d in kystlinje.values()} == {
        "DB-REF-1009A": (
            (
                "Reforhandling av avtale om Avonova Assist",
                "user non human",
                "kundesenter",
                "Signed",
                _months_ago(app, 30),
            ),
            ("Avonova Assist lisens", 10, "400.00", "0"),
        ),
        "DB-REF-1009B": (
            (
                "Reforhandling av avtale om Avonova Assist",
                "user non human",
                "kundesenter",
                "Signed",
                _months_ago(app, 3),
            ),
            ("Avonova Assist lisens", 12, "410.00", "0"),
        ),
    }
    assert all(_products(d)[1] == ("digital oppstart", 1, "2500.00", "100") for d in kystlinje.values())
    assert _by_org(server, customer_by_company("9008").org_number) == {}


@pytest.mark.parametrize(
    "written", ["967890103", "967 890 103", "NO 967 890 103 MVA", "NO967890103MVA", "no 967.890.103 mva", " 967890103 "]
)
def test_the_org_number_filter_compares_digits_however_the_number_is_written(
    server: SandboxServer, written: str
) -> None:
    assert set(_by_org(server, written)) == {"DB-ORIG-1006", "DB-BHT-1006"}


@pytest.mark.parametrize("written", ["", " ", "NO MVA", "967890104", "96789010", "9678901033", "967890103x"])
def test_an_empty_or_other_org_number_matches_no_document(server: SandboxServer, written: str) -> None:
    body = _list(server, **{api.Q_ORG_NUMBER: written})

    assert (body[api.L_ITEMS], body[api.L_TOTAL]) == ([], 0)


def test_without_an_org_number_filter_every_document_is_listed(server: SandboxServer) -> None:
    body = _list(server)

    assert body[api.L_TOTAL] == sum(len(c.documents) for c in CUSTOMERS) == 11


def test_a_product_line_changed_behind_the_flows_back_is_served_changed(
    server: SandboxServer, app: DealbuilderSandbox
) -> None:
    before = app.document("DB-ORIG-1001")[api.D_UPDATED]

    app.set_product("DB-ORIG-1001", "Avonova Assist lisens", quantity=45, unit_price=Decimal("455.5"))
    app.set_product("DB-ORIG-1001", "digital oppstart", discount="50")
    app.set_product("DB-ORIG-1001", "Avonova Assist kursmodul", unit_price="1000")
    (read,) = _list(server, **{api.Q_IDS: "DB-ORIG-1001"})[api.L_ITEMS]

    assert _products(read) == [
        ("Avonova Assist lisens", 45, "455.5", "0"),
        ("digital oppstart", 1, "2500.00", "50"),
        ("Avonova Assist kursmodul", 1, "1000", "0"),
    ]
    assert read[api.D_UPDATED] != before


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"quantity": -1}, ValueError),
        ({"quantity": True}, ValueError),
        ({"unit_price": "fire hundre"}, ValueError),
    ],
)
def test_a_wrong_product_change_is_refused_and_leaves_the_document_alone(
    app: DealbuilderSandbox, change: dict[str, Any], problem: type[Exception]
) -> None:
    before = app.document("DB-ORIG-1001")

    with pytest.raises(problem):
        app.set_product("DB-ORIG-1001", "Avonova Assist lisens", **change)

    assert app.document("DB-ORIG-1001") == before


def test_a_product_change_to_an_unknown_document_is_a_key_error(app: DealbuilderSandbox) -> None:
    with pytest.raises(KeyError):
        app.set_product("DB-missing", "Avonova Assist lisens", quantity=1)


def test_dates_of_events_are_utc_timestamps_with_their_zone_and_just_after_midnight_is_the_evening_before(
    server: SandboxServer, app: DealbuilderSandbox
) -> None:
    seeded = next(iter(_by_org(server, CUSTOMERS[0].org_number).values()))
    assert seeded[api.D_SIGNED_DATE].endswith("Z") and "T" in seeded[api.D_SIGNED_DATE]
    with app.lock:
        app.state["documents"][seeded[api.D_ID]][api.D_VALID_UNTIL] = "2026-04-30"
    app.force_status(seeded[api.D_ID], api.STATUS_SENT)
    app.set_today(date(2026, 4, 1))
    app.time_of_day = time(0, 30)

    signed = app.sign(seeded[api.D_ID])

    # 00:30 on 1 April in Oslo (summer time, UTC+2) is 22:30 on 31 March in UTC.
    assert signed[api.D_SIGNED_DATE] == "2026-03-31T22:30:00Z"
    assert _oslo_day(signed[api.D_SIGNED_DATE]) == "2026-04-01"
