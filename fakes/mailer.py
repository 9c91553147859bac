"""FakeMailer: the Mailer port in memory, keeping every message as the SMTP sandbox records it."""

from __future__ import annotations

from adapters.errors import ValidationRejected
from models.mail import MailMessage

SYSTEM = "smtp"


class FakeMailer:
    """The Mailer port in memory: `sent` holds every message, in order (a resend is kept twice, as SMTP does)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.calls = 0

    def send(self, *, message: MailMessage) -> str:
        self.calls += 1
        if not (message.to or message.cc):
            # smtplib refuses a message for nobody, and SmtpMailer reports it as a refusal.
            raise ValidationRejected(SYSTEM, "all recipients refused: ", field="to")
        self.sent.append(message)
        return message.message_id

    def to(self, address: str) -> list[MailMessage]:
        """The messages sent to `address` (To or Cc), in order."""
        wanted = address.strip().lower()
        return [m for m in self.sent if wanted in {a.strip().lower() for a in (*m.to, *m.cc)}]
