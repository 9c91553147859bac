"""SmtpMailer: the Mailer port over SMTP (standard library), TLS and authentication by setting.

Delivery is at least once. Refused or dropped connections, timeouts and 4xx answers are tried again: until the
server answers 250 to the whole message it has not taken it on. A 5xx answer is final. The one open question is a
message whose answer never comes: the server may have kept it (RFC 1047), and SMTP has no way to ask. The mailer
waits long for that answer (`data_timeout`, as RFC 5321 4.5.3.2.6 advises), then sends again with the same
Message-ID and logs a warning, because a lost sales registration costs more than a twin the recipient's mail
system can recognise by its Message-ID. Servers do not deduplicate on Message-ID, so neither does the sandbox."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING

from adapters.errors import AuthenticationError, ExternalSystemError, TransientError, ValidationRejected
from adapters.retrying import RetryPolicy
from config.settings import MailSettings
from models.mail import MailMessage

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

logger = logging.getLogger(__name__)

SYSTEM = "smtp"


class _Smtp(smtplib.SMTP):
    """smtplib's client, waiting `data_timeout` for the answer to a whole message and remembering it sent one."""

    data_timeout = 600.0
    message_sent = False

    def send(self, s: ReadableBuffer | str) -> None:
        # smtplib sends the message with its closing "." in one piece; commands never end that way.
        whole_message = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")
        if whole_message and self.sock is not None:
            self.sock.settimeout(self.data_timeout)
        super().send(s)
        if whole_message:
            self.message_sent = True


class _SmtpSsl(_Smtp, smtplib.SMTP_SSL):
    """The same over implicit TLS."""


class SmtpMailer:
    """Sends the routine's e-mails as multipart/alternative (text + HTML) with their deterministic Message-ID."""

    def __init__(self, settings: MailSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.calls = 0
        self._retry = RetryPolicy(SYSTEM, settings.max_attempts, settings.backoff_seconds, sleep=sleep)

    def send(self, *, message: MailMessage) -> str:
        """Send, trying transient failures again (at least once, see the module's docstring); 5xx is final."""
        email = build_email(message, sender=self.settings.sender)
        return self._retry.call(
            lambda: self._send_once(email, message.message_id), operation=f"send {message.message_id}"
        )

    def _send_once(self, email: EmailMessage, message_id: str) -> str:
        self.calls += 1
        smtp: _Smtp | None = None
        refused: dict[str, tuple[int, bytes]] | None = None
        try:
            smtp = self._connect()
            with smtp:
                if self.settings.username:
                    password = self.settings.password.get_secret_value() if self.settings.password else ""
                    smtp.login(self.settings.username, password)
                refused = smtp.send_message(email)
        except Exception as error:
            if refused is not None and not refused:
                # The server took the message; only the goodbye failed. Raising would make a retry send it twice.
                logger.warning("mail %s accepted, then the connection ended badly: %s", message_id, error)
                return message_id
            if smtp is not None and smtp.message_sent and not isinstance(error, smtplib.SMTPResponseException):
                logger.warning(
                    "mail %s: no answer after the whole message was sent (%s): it may have been "
                    "delivered, and is sent again with the same Message-ID",
                    message_id,
                    error,
                )
                raise TransientError(SYSTEM, f"no answer to the message ({type(error).__name__})") from error
            raise self._ours(error) from error
        if refused:
            raise ValidationRejected(SYSTEM, f"recipients refused: {', '.join(sorted(refused))}", field="to")
        return message_id

    def _ours(self, error: Exception) -> ExternalSystemError:
        """Our exception for an SMTP failure; anything unexpected is re-raised as it is."""
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return AuthenticationError(SYSTEM, "login refused", status=error.smtp_code)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return ValidationRejected(SYSTEM, f"all recipients refused: {', '.join(error.recipients)}", field="to")
        if isinstance(error, smtplib.SMTPResponseException):
            # 4xx is the server asking us to come back later; 5xx is a permanent refusal.
            answer = _answer(error)
            if 400 <= error.smtp_code < 500:
                return TransientError(SYSTEM, f"server answered {answer}; trying again later", status=error.smtp_code)
            return ValidationRejected(SYSTEM, f"server refused the message for good: {answer}", status=error.smtp_code)
        if isinstance(error, smtplib.SMTPException | OSError):
            # Connection refused, timeouts, dropped connections, TLS failures.
            where = f"{self.settings.host}:{self.settings.port}"
            return TransientError(SYSTEM, f"{type(error).__name__} talking to {where}")
        raise error

    def _connect(self) -> _Smtp:
        settings = self.settings
        context = ssl.create_default_context()
        smtp: _Smtp
        if settings.use_ssl:
            smtp = _SmtpSsl(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = _Smtp(settings.host, settings.port, timeout=settings.timeout)
        smtp.data_timeout = settings.data_timeout
        if settings.starttls and not settings.use_ssl:
            try:
                smtp.starttls(context=context)
            except (TimeoutError, smtplib.SMTPException, OSError):
                smtp.close()
                raise
        return smtp


def _answer(error: smtplib.SMTPResponseException) -> str:
    """The server's code and words, short enough for a log line."""
    text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    return f"{error.smtp_code} {' '.join(text.split())[:200]}".rstrip()


def build_email(message: MailMessage, *, sender: str) -> EmailMessage:
    """The MIME message: UTF-8 headers encoded by the email package, text first, HTML as the alternative."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.to)
    if message.cc:
        email["Cc"] = ", ".join(message.cc)
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email.set_content(message.text, charset="utf-8")
    email.add_alternative(message.html, subtype="html", charset="utf-8")
    return email
