"""The routine's e-mails as pure functions."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from models.case import Case
from models.change import ChangeSummary
from models.messages import (
    NoticeLinks,
    csc_handover_message,
    format_nok,
    message_id,
    notice_kind,
    notice_message,
    sales_registration_message,
)
from models.notices import Notice

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
    ticket_url="https://app-eu1.hubspot.com/contacts/1234567/record/0-5/5002",
    contract_id="DB-2001",
    contract_url="https://dealbuilder.example/preview/prv-2001",
    sold_contract_id="DB-1002",
    sold_sender="Siri Selger",
    sold_booker="Mona Møtebooker",
)
CASE = Case(
    case_key="case-5001",
    ticket_id="5002",
    company_name="Ærlig Økonomi AS",
    signer_email="ase.odegard@aerligokonomi.example",
    agent_email="agent@avonova.example",
    licences_before=60,
    licences_after=75,
    price_before=Decimal("420.00"),
    price_after=Decimal("1234.5"),
    start_date=date(2025, 3, 1),
    signing_deadline=date(2025, 2, 28),
)
RUN_URL = "http://127.0.0.1:4200/runs/flow-run/abc"


def has_row(text: str, label: str, value: str) -> bool:
    """The plain-text table holds `label: value` (labels are padded to one width)."""
    return re.search(rf"^{re.escape(label)}:\s+{re.escape(value)}$", text, re.MULTILINE) is not None


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
    assert message.subject == "Salgsregistrering: Ærlig Økonomi AS – 60 → 75 lisenser (selger Siri Selger)"
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


def test_the_sales_registration_says_whose_sale_it_is_what_was_added_and_where_to_look() -> None:
    message = sales_registration_message(SUMMARY, recipient="salgsregistrering@avonova.example", periods_per_year=12)

    for label, value in (
        ("Solgt avtale", "DB-1002"),
        ("Selger (avsender)", "Siri Selger"),
        ("Booker", "Mona Møtebooker"),
        ("Lisenser lagt til", "15"),
        # 75 licences at 1 234,50 kr a month.
        ("Ny årsverdi", "1 111 050,00 kr"),
        ("Deal i HubSpot", SUMMARY.deal_url),
        ("Ticket i HubSpot", SUMMARY.ticket_url),
        ("Signert kontrakt i Dealbuilder", f"DB-2001 {SUMMARY.contract_url}"),
        ("Sak", "case-5001"),
    ):
        assert has_row(message.text, label, value), (label, value)
    assert "Siri Selger" in message.html
    assert f"{SUMMARY.contract_url}" in message.html


def test_a_seller_name_with_markup_and_line_breaks_is_one_escaped_line() -> None:
    summary = SUMMARY.model_copy(update={"sold_sender": "Siri <b>Selger</b>\r\nBcc: x@y"})
    message = sales_registration_message(summary, recipient="salgsregistrering@avonova.example")

    assert "\n" not in message.subject and "\r" not in message.subject
    assert has_row(message.text, "Selger (avsender)", "Siri <b>Selger</b> Bcc: x@y")
    assert "<b>Selger</b>" not in message.html and "Siri &lt;b&gt;Selger&lt;/b&gt;" in message.html


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
    for label, value in (
        ("Sak", "case-5001"),
        ("Deal i HubSpot", SUMMARY.deal_url),
        ("Ticket i HubSpot", SUMMARY.ticket_url),
        ("Signert kontrakt i Dealbuilder", f"DB-2001 {SUMMARY.contract_url}"),
    ):
        assert has_row(message.text, label, value), (label, value)
    for url in (SUMMARY.deal_url, SUMMARY.ticket_url, SUMMARY.contract_url):
        assert f'href="{url}"' in message.html


def test_the_approval_notice_links_the_prefect_run_and_summarises_the_case() -> None:
    links = NoticeLinks(run_url=RUN_URL, deal_url="https://hubspot.example/deal/8001")
    message = notice_message(
        Notice.APPROVAL_NEEDED, CASE, step="approval-1", recipient="agent@avonova.example", links=links
    )

    assert message.message_id == "<case-5001.approval-needed-approval-1@reforhandling>"
    assert message.to == ("agent@avonova.example",)
    assert message.subject == "Godkjenning trengs: reforhandling for Ærlig Økonomi AS"
    assert RUN_URL in message.text and f'href="{RUN_URL}"' in message.html
    assert "Lisenser før:" in message.text and "1 234,50 kr" in message.text
    assert "https://hubspot.example/deal/8001" in message.text


@pytest.mark.parametrize(
    ("notice", "detail", "subject"),
    [
        (Notice.APPROVAL_REMINDER, "1 d 1 h", "Påminnelse: kontrakten for Ærlig Økonomi AS venter på godkjenning"),
        (
            Notice.APPROVAL_ESCALATION,
            "3 d 1 h",
            "Eskalering: kontrakten for Ærlig Økonomi AS har ventet på godkjenning i 3 d 1 h",
        ),
        (
            Notice.DECISION_NEEDED,
            "DECLINED",
            "Beslutning trengs: kontrakten for Ærlig Økonomi AS er ikke signert (DECLINED)",
        ),
        (Notice.DECISION_REMINDER, "1 d 2 h", "Påminnelse: kontrakten for Ærlig Økonomi AS venter på en beslutning"),
        (
            Notice.DECISION_ESCALATION,
            "3 d 2 h",
            "Eskalering: kontrakten for Ærlig Økonomi AS har ventet på en beslutning i 3 d 2 h",
        ),
        (Notice.LICENCE_CONFIRMATION, "", "Bekreft lisenser: Ærlig Økonomi AS"),
        (Notice.LICENCE_REMINDER, "1 d", "Påminnelse: bekreft lisenser for Ærlig Økonomi AS"),
        (
            Notice.LICENCE_ESCALATION,
            "3 d",
            "Eskalering: lisensene for Ærlig Økonomi AS har ventet på bekreftelse i 3 d",
        ),
        (Notice.DEADLINE_HEADS_UP, "", "Signeringsfristen nærmer seg: Ærlig Økonomi AS (28.02.2025)"),
        (Notice.NEEDS_ATTENTION, "nothing to renegotiate", "Sak trenger oppfølging: Ærlig Økonomi AS"),
    ],
)
def test_each_notice_says_what_is_needed_and_links_the_run(notice: Notice, detail: str, subject: str) -> None:
    message = notice_message(
        notice, CASE, step="x-1", recipient="r@avonova.example", links=NoticeLinks(run_url=RUN_URL), detail=detail
    )

    assert message.subject == subject
    assert message.message_id == f"<case-5001.{notice}-x-1@reforhandling>"
    assert RUN_URL in message.text and f'href="{RUN_URL}"' in message.html
    assert detail in message.text


def test_a_company_name_with_line_breaks_makes_a_one_line_subject() -> None:
    case = CASE.model_copy(update={"company_name": "Evil\r\nBcc: x@y.example"})
    message = notice_message(
        Notice.APPROVAL_NEEDED, case, step="approval-1", recipient="r@x.example", links=NoticeLinks(run_url=RUN_URL)
    )

    assert "\n" not in message.subject and "\r" not in message.subject


def test_html_in_a_company_name_is_escaped() -> None:
    summary = SUMMARY.model_copy(update={"company_name": "<b>Evil & Co</b>"})
    message = sales_registration_message(summary, recipient="salgsregistrering@avonova.example")

    assert "<b>Evil" not in message.html and "&lt;b&gt;Evil &amp; Co" in message.html


def test_message_ids_are_deterministic_and_valid_for_any_case_key() -> None:
    assert message_id("case 5001@x", "csc-handover") == "<case-5001-x.csc-handover@reforhandling>"
    assert message_id("case-5001", "kind") == message_id("case-5001", "kind")


@pytest.mark.parametrize(
    ("message_id", "kind"),
    [
        ("<RF-5001-1-abc.approval-needed-approval-2@reforhandling>", Notice.APPROVAL_NEEDED),
        ("<RF-5001-1-abc.needs-attention-failure-1@reforhandling>", Notice.NEEDS_ATTENTION),
        ("<RF-5001-1-abc.licence-reminder-licences-1@reforhandling>", Notice.LICENCE_REMINDER),
        ("<RF-5001-1-abc.licence-confirmation-licences-1@reforhandling>", Notice.LICENCE_CONFIRMATION),
        ("<RF-5001-1-abc.decision-escalation-decision-1@reforhandling>", Notice.DECISION_ESCALATION),
        ("<RF-5001-1-abc.sales-registration@reforhandling>", None),
        ("<RF-5001-1-abc.csc-handover@reforhandling>", None),
    ],
)
def test_a_notice_is_told_apart_from_the_routines_own_mails_by_its_message_id(message_id: str, kind: Notice) -> None:
    assert notice_kind(message_id) == kind
