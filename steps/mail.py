"""The routine's own e-mails (CSC handover, sales registration)."""

from __future__ import annotations

from adapters.ports import Mailer
from models.mail import MailMessage


def send_mail(mailer: Mailer, message: MailMessage) -> str:
    """Send the message; its Message-ID (fixed by the message, so a twin is recognisable)."""
    return mailer.send(message=message)
