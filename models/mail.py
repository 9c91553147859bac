"""An e-mail the routine sends, built by pure functions and sent through the Mailer port."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MailMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Deterministic (case key + kind) so a resend after a crash can be recognised.
    message_id: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    cc: tuple[str, ...] = ()
