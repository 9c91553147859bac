"""SmtpMailer against the SMTP sandbox (aiosmtpd) over the real protocol."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from adapters.errors import AuthenticationError, TransientError
from adapters.smtp_mailer import SmtpMailer
from config.settings import MailSettings
from models.change import ChangeSummary
from models.mail import MailMessage
from models.messages import csc_handover_message, sales_registration_message
from sandbox.kit import CONTROL_HEADERS
from sandbox.smtp import SmtpSandbox

SUMMARY = ChangeSummary(
    case_key="case-5002",
    company_name="Ærlig Økonomi AS",
    org_number="923456716",
    licences_before=60,
    licences_after=75,
    price_before=Decimal("420.00"),
    price_after=Decimal("1234.50"),
    start_before=None,
    start_date=date(2025, 3, 1),
    signed_on=date(2025, 2, 20),
    sold_signed_on=date(2023, 1, 15),
    deal_url="http://127.0.0.1:8781/deals/8001",
    sold_sender="Siri Selger",
)
SALES = "salgsregistrering@avonova.example"
REDUCED = SUMMARY.model_copy(update={"licences_after": 40})


@pytest.fixture
def smtp() -> Iterator[SmtpSandbox]:
    with SmtpSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def mailer(smtp: SmtpSandbox) -> SmtpMailer:
    return SmtpMailer(MailSettings(host=smtp.host, port=smtp.port, timeout=5.0))


def test_the_sales_registration_email_arrives_with_recipients_subject_and_both_bodies(
    mailer: SmtpMailer, smtp: SmtpSandbox
) -> None:
    message = sales_registration_message(SUMMARY, recipient=SALES)

    returned = mailer.send(message=message)

    assert returned == "<case-5002.sales-registration@reforhandling>"
    (received,) = smtp.messages
    assert received["message_id"] == returned
    assert received["rcpt_to"] == ["salgsregistrering@avonova.example"]
    assert received["to"] == ["salgsregistrering@avonova.example"]
    assert received["from"] == "kundesenter@avonova.example"
    assert received["subject"] == "Salgsregistrering: Ærlig Økonomi AS – 60 → 75 lisenser (selger Siri Selger)"
    assert received["content_type"] == "multipart/alternative"
    assert "1 234,50 kr" in received["text"] and "1 234,50 kr" in received["html"]
    assert "<table" in received["html"] and "<table" not in received["text"]


def test_copies_go_to_every_cc_recipient(mailer: SmtpMailer, smtp: SmtpSandbox) -> None:
    base = csc_handover_message(REDUCED, recipient="csc@avonova.example")
    message = base.model_copy(update={"cc": ("invoice.service@avonova.example",)})

    mailer.send(message=message)

    (received,) = smtp.messages
    assert received["to"] == ["csc@avonova.example"]
    assert received["cc"] == ["invoice.service@avonova.example"]
    assert sorted(received["rcpt_to"]) == ["csc@avonova.example", "invoice.service@avonova.example"]


def test_received_messages_are_listed_over_http(mailer: SmtpMailer, smtp: SmtpSandbox) -> None:
    mailer.send(message=sales_registration_message(SUMMARY, recipient=SALES))
    mailer.send(message=csc_handover_message(REDUCED, recipient="csc@avonova.example"))

    listed = httpx.get(f"{smtp.http_url}/messages").json()["messages"]
    to_csc = httpx.get(f"{smtp.http_url}/messages", params={"to": "csc@avonova.example"}).json()["messages"]

    assert [m["message_id"] for m in listed] == [
        "<case-5002.sales-registration@reforhandling>",
        "<case-5002.csc-handover@reforhandling>",
    ]
    assert [m["subject"] for m in to_csc] == [listed[1]["subject"]]
    httpx.post(f"{smtp.http_url}/_sandbox/reset", headers=CONTROL_HEADERS).raise_for_status()
    assert smtp.messages == []


def test_the_mailer_logs_in_when_a_username_is_set() -> None:
    with SmtpSandbox(credentials=("robot", "s3cret")) as smtp:
        good = MailSettings(host=smtp.host, port=smtp.port, username="robot", password=SecretStr("s3cret"))
        bad = good.model_copy(update={"password": SecretStr("nope-123")})

        SmtpMailer(good).send(message=sales_registration_message(SUMMARY, recipient=SALES))
        with pytest.raises(AuthenticationError) as raised:
            SmtpMailer(bad).send(message=sales_registration_message(SUMMARY, recipient=SALES))

        assert len(smtp.messages) == 1
        assert "nope-123" not in str(raised.value)


def test_a_server_that_is_not_there_is_a_transient_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=port, timeout=1.0))

    with pytest.raises(TransientError):
        mailer.send(
            message=MailMessage(message_id="<x@y>", to=("a@b.example",), subject="s", text="t", html="<p>t</p>")
        )


def test_the_inbox_page_shows_each_message_and_its_html_part_without_running_or_loading_anything(
    mailer: SmtpMailer, smtp: SmtpSandbox
) -> None:
    hostile = MailMessage(
        message_id="<case-1.test@reforhandling>",
        to=("ops@avonova.example",),
        subject="Sak <b>1</b>",
        text="Linje 1\nLinje 2",
        html='<p>Hei</p><script>alert(1)</script><img src="http://evil.example/x.png">',
    )
    mailer.send(message=sales_registration_message(SUMMARY, recipient=SALES))
    mailer.send(message=hostile)

    page = httpx.get(f"{smtp.http_url}/inbox", timeout=5)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Nothing loads, nothing runs, not even inside the frames (they inherit the page's policy).
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert text.index("Sak &lt;b&gt;1&lt;/b&gt;") < text.index("Salgsregistrering: Ærlig Økonomi AS")  # newest first
    assert "<dt>Til</dt><dd>ops@avonova.example</dd>" in text and "Linje 1\nLinje 2" in text
    frames = re.findall(r'<iframe sandbox="([^"]*)" srcdoc="([^"]*)"', text)
    assert len(frames) == 2 and all("allow-scripts" not in allowed for allowed, _ in frames)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frames[0][1]
    assert "<script" not in text and "<img" not in text
