"""The routine's e-mails as pure functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from models.change import ChangeSummary
from models.messages import (
    approval_needed_message,
    csc_handover_message,
    format_nok,
    message_id,
    sales_registration_message,
)

SUMMARY = ChangeSummary(
    case_key="case-5001",
    company_name="Ærlig Økonomi AS",
    org_number="923456716",
    licences_before=60,
    licences_after=75,
    price_before=Decimal("420.00"),
    price_after=Decimal("1234.5"),
    start_before=date(2023, 2, 1),
    start_date=date(2025, 3, 1),
    signed_on=date(2025, 2, 20),
    sold_signed_on=date(2023, 1, 15),
    deal_url="https://app-eu1.hubspot.com/contacts/1234567/record/0-3/8001",
)
CASE: dict[str, Any] = {
    "case_key": "case-5001",
    "company_name": "Ærlig Økonomi AS",
    "org_number": "923456716",
    "licences_before": 60,
    "licences_after": 75,
    "price_before": Decimal("420.00"),
    "price_after": Decimal("1234.5"),
    "start_date": date(2025, 3, 1),
    "original_signed_on": date(2023, 1, 15),
    "deal_url": "https://app-eu1.hubspot.com/contacts/1234567/record/0-3/8001",
}


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234.50"), "1 234,50 kr"),
        (Decimal("450"), "450,00 kr"),
        (Decimal("1234567.891"), "1 234 567,89 kr"),
        (Decimal("0"), "0,00 kr"),
        (Decimal("-2500"), "-2 500,00 kr"),
        (Decimal("999.995"), "1 000,00 kr"),
    ],
)
def test_prices_are_formatted_the_norwegian_way(amount: Decimal, text: str) -> None:
    assert format_nok(amount) == text


def test_the_sales_registration_message_has_everything_the_seller_needs() -> None:
    message = sales_registration_message(SUMMARY, recipient="salgsregistrering@avonova.example")

    assert message.message_id == "<case-5001.sales-registration@reforhandling>"
    assert message.to == ("salgsregistrering@avonova.example",)
    assert message.subject == "Salgsregistrering: Ærlig Økonomi AS – 60 → 75 lisenser"
    for part in (message.text, message.html):
        for expected in (
            "Ærlig Økonomi AS",
            "923456716",
            "60",
            "75",
            "420,00 kr",
            "1 234,50 kr",
            "01.03.2025",
            "15.01.2023",
            "20.02.2025",
            "Solgt avtale signert",
        ):
            assert expected in part
    assert SUMMARY.deal_url in message.text
    assert f'href="{SUMMARY.deal_url}"' in message.html
    assert "eldste" not in message.text


def test_without_a_sold_agreement_the_sales_registration_says_which_date_it_used() -> None:
    summary = SUMMARY.model_copy(update={"sold_is_fallback": True})
    message = sales_registration_message(summary, recipient="salgsregistrering@avonova.example")

    assert "Eldste signerte avtale (ingen solgt avtale funnet): 15.01.2023" in message.text
    assert "den eldste signerte avtalen er brukt" in message.text
    assert "Solgt avtale signert" not in message.text


def test_the_csc_handover_states_the_reduction() -> None:
    summary = SUMMARY.model_copy(update={"licences_after": 40})
    message = csc_handover_message(summary, recipient="csc@avonova.example")

    assert message.message_id == "<case-5001.csc-handover@reforhandling>"
    assert message.to == ("csc@avonova.example",)
    assert "fra 60 til 40 lisenser" in message.subject
    assert "20 lisenser" in message.text and "20 lisenser" in message.html


def test_the_approval_notice_links_the_prefect_run() -> None:
    run_url = "http://127.0.0.1:4200/runs/flow-run/abc"
    message = approval_needed_message(**CASE, recipient="kundesenter@avonova.example", run_url=run_url)

    assert message.message_id == "<case-5001.approval-needed@reforhandling>"
    assert message.subject == "Godkjenning trengs: reforhandling for Ærlig Økonomi AS"
    assert run_url in message.text and f'href="{run_url}"' in message.html


def test_html_in_a_company_name_is_escaped() -> None:
    summary = SUMMARY.model_copy(update={"company_name": "<b>Evil & Co</b>"})
    message = sales_registration_message(summary, recipient="salgsregistrering@avonova.example")

    assert "<b>Evil" not in message.html and "&lt;b&gt;Evil &amp; Co" in message.html


def test_message_ids_are_deterministic_and_valid_for_any_case_key() -> None:
    assert message_id("case 5001@x", "csc-handover") == "<case-5001-x.csc-handover@reforhandling>"
    assert message_id("case-5001", "kind") == message_id("case-5001", "kind")
