"""SmtpMailer: the Mailer port over SMTP (standard library), TLS and authentication by setting."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from adapters.errors import AuthenticationError, ExternalSystemError, TransientError, ValidationRejected
from models.mail import MailMessage
from reforhandling.settings import MailSettings

logger = logging.getLogger(__name__)

SYSTEM = "smtp"


class SmtpMailer:
    """Sends the routine's e-mails as multipart/alternative (text + HTML) with their deterministic Message-ID."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.calls = 0

    def send(self, *, message: MailMessage) -> str:
        email = build_email(message, sender=self.settings.sender)
        self.calls += 1
        refused: dict[str, tuple[int, bytes]] | None = None
        try:
            with self._connect() as smtp:
                if self.settings.username:
                    password = self.settings.password.get_secret_value() if self.settings.password else ""
                    smtp.login(self.settings.username, password)
                refused = smtp.send_message(email)
        except Exception as error:
            if refused is not None and not refused:
                # The server took the message; only the goodbye failed. Raising would make a retry send it twice.
                logger.warning("mail %s accepted, then the connection ended badly: %s", message.message_id, error)
                return message.message_id
            raise self._ours(error) from error
        if refused:
            raise ValidationRejected(SYSTEM, f"recipients refused: {', '.join(sorted(refused))}", field="to")
        return message.message_id

    def _ours(self, error: Exception) -> ExternalSystemError:
        """Our exception for an SMTP failure; anything unexpected is re-raised as it is."""
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return AuthenticationError(SYSTEM, "login refused", status=error.smtp_code)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return ValidationRejected(SYSTEM, f"all recipients refused: {', '.join(error.recipients)}", field="to")
        if isinstance(error, smtplib.SMTPResponseException):
            # 4xx is the server asking us to come back later; 5xx is a permanent refusal.
            kind: type[ExternalSystemError] = TransientError if 400 <= error.smtp_code < 500 else ValidationRejected
            return kind(SYSTEM, f"server answered {error.smtp_code}", status=error.smtp_code)
        if isinstance(error, smtplib.SMTPException | OSError):
            # Connection refused, timeouts, dropped connections, TLS failures.
            where = f"{self.settings.host}:{self.settings.port}"
            return TransientError(SYSTEM, f"{type(error).__name__} talking to {where}")
        raise error

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        if settings.use_ssl:
            return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.starttls:
            try:
                smtp.starttls(context=context)
            except (TimeoutError, smtplib.SMTPException, OSError):
                smtp.close()
                raise
        return smtp


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
