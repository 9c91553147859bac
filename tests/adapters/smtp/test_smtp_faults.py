"""SmtpMailer against the SMTP sandbox's faults: refused and dropped connections and 4xx answers are tried again,
a 5xx answer fails at once, a slow answer to a whole message is waited for, and an answer that never comes is
sent again with the same Message-ID (at least once, deliberately)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.errors import TransientError, ValidationRejected
from adapters.smtp_mailer import SmtpMailer
from config.settings import MailSettings
from models.mail import MailMessage
from sandbox.kit import CONTROL_HEADERS, FaultRule
from sandbox.smtp import SmtpSandbox
from tests.waiting import wait_until

MESSAGE = MailMessage(
    message_id="<case-5001.sales-registration@reforhandling>",
    to=("salgsregistrering@avonova.example",),
    subject="Salgsregistrering: Fjordkraft Bygg AS",
    text="Lisenser: 30",
    html="<p>Lisenser: 30</p>",
)
# Commands are answered within COMMAND_TIMEOUT; the answer to a whole message may take up to DATA_TIMEOUT.
COMMAND_TIMEOUT, DATA_TIMEOUT = 0.3, 2.0


@pytest.fixture
def smtp() -> Iterator[SmtpSandbox]:
    with SmtpSandbox() as sandbox:
        yield sandbox


def _mailer(smtp: SmtpSandbox, **overrides: Any) -> SmtpMailer:
    values: dict[str, Any] = {
        "host": smtp.host,
        "port": smtp.port,
        "timeout": COMMAND_TIMEOUT,
        "data_timeout": DATA_TIMEOUT,
        "max_attempts": 3,
        "backoff_seconds": 0.01,
    }
    return SmtpMailer(MailSettings(**(values | overrides)))


def _faults(smtp: SmtpSandbox, *rules: FaultRule) -> None:
    smtp.listing.faults.set(list(rules))


def _stages(smtp: SmtpSandbox) -> list[tuple[str, int, str]]:
    return [(entry["method"], entry["status"], entry["fault"]) for entry in smtp.listing.requests()]


def test_a_refused_connection_is_tried_again(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("drop_before", route="^CONNECT", count=1))

    _mailer(smtp).send(message=MESSAGE)

    assert [m["message_id"] for m in smtp.messages] == [MESSAGE.message_id]
    assert _stages(smtp) == [("CONNECT", 0, "drop_before"), ("DATA", 250, "")]


def test_a_greeting_of_421_is_tried_again(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("error", status=421, route="^CONNECT", count=1))

    _mailer(smtp).send(message=MESSAGE)

    assert len(smtp.messages) == 1
    assert _stages(smtp) == [("CONNECT", 421, "error"), ("DATA", 250, "")]


def test_a_greeting_slower_than_the_command_timeout_is_tried_again(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("slow", delay=0.6, route="^CONNECT", count=1))

    _mailer(smtp).send(message=MESSAGE)

    assert len(smtp.messages) == 1
    assert _stages(smtp) == [("CONNECT", 220, "slow"), ("DATA", 250, "")]


def test_a_connection_dropped_before_the_message_was_kept_is_tried_again(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("drop_before", route="^DATA", count=1))

    _mailer(smtp).send(message=MESSAGE)

    assert len(smtp.messages) == 1
    assert _stages(smtp) == [("DATA", 0, "drop_before"), ("DATA", 250, "")]


def test_a_4xx_answer_to_the_message_is_tried_again(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("error", status=451, route="^DATA", count=1))

    _mailer(smtp).send(message=MESSAGE)

    assert len(smtp.messages) == 1
    assert _stages(smtp) == [("DATA", 451, "error"), ("DATA", 250, "")]


def test_4xx_answers_that_never_stop_end_as_a_transient_error(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("error", status=451, route="^DATA"))

    with pytest.raises(TransientError, match="451"):
        _mailer(smtp).send(message=MESSAGE)

    assert smtp.messages == []
    assert len(_stages(smtp)) == 3


def test_a_5xx_answer_to_the_message_fails_at_once_and_says_why(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("error", status=554, route="^DATA"))

    with pytest.raises(ValidationRejected) as raised:
        _mailer(smtp).send(message=MESSAGE)

    assert raised.value.retryable is False
    assert raised.value.status == 554
    assert "554" in str(raised.value) and "refused" in str(raised.value)
    assert smtp.messages == []
    assert _stages(smtp) == [("DATA", 554, "error")]


def test_a_slow_answer_to_the_message_past_the_command_timeout_leaves_one_message(smtp: SmtpSandbox) -> None:
    _faults(smtp, FaultRule("slow", delay=0.8, route="^DATA", count=1))

    _mailer(smtp).send(message=MESSAGE)

    assert [m["message_id"] for m in smtp.messages] == [MESSAGE.message_id]
    assert _stages(smtp) == [("DATA", 250, "slow")]


def test_an_answer_to_the_message_that_never_comes_is_sent_again_with_the_same_message_id(
    smtp: SmtpSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # The server keeps a message whose answer the client stopped waiting for (RFC 1047): at least once, not
    # at most once, is the mailer's promise, and the copy carries the same Message-ID.
    _faults(smtp, FaultRule("slow", delay=1.0, route="^DATA", count=1))

    with caplog.at_level(logging.WARNING, logger="adapters.smtp_mailer"):
        _mailer(smtp, data_timeout=0.3).send(message=MESSAGE)

    wait_until(lambda: len(smtp.messages) >= 2, "the slow copy to land")
    assert [m["message_id"] for m in smtp.messages] == [MESSAGE.message_id] * 2
    assert "may have been delivered" in caplog.text


def test_the_smtp_sandbox_takes_faults_over_http_and_lists_them(smtp: SmtpSandbox) -> None:
    rules = {"rules": [{"kind": "error", "status": 452, "route": "^DATA", "count": 1}]}
    httpx.post(f"{smtp.http_url}/_sandbox/faults", json=rules, headers=CONTROL_HEADERS).raise_for_status()

    _mailer(smtp).send(message=MESSAGE)

    listed = httpx.get(f"{smtp.http_url}/_sandbox/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"], r["fault"]) for r in listed] == [
        ("DATA", "salgsregistrering@avonova.example", 452, "error"),
        ("DATA", "salgsregistrering@avonova.example", 250, ""),
    ]
