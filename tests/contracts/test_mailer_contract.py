"""The Mailer port's contract, on FakeMailer and on SmtpMailer against the SMTP sandbox: what is sent arrives with
its Message-ID, recipients, subject and both bodies; a resend arrives again; a message for nobody is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from adapters.errors import ValidationRejected
from adapters.ports import Mailer
from adapters.smtp_mailer import SmtpMailer
from fakes import FakeMailer
from models.mail import MailMessage
from sandbox.stack import SandboxStack
from tests.contracts.conftest import sandbox_settings

MESSAGE = MailMessage(
    message_id="<case-1.sales@reforhandling.avonova.example>",
    to=("salgsregistrering@avonova.example",),
    cc=("csc@avonova.example", "agent@avonova.example"),
    subject="Salgsregistrering: Fjordkraft Bygg AS – 35 lisenser (æøå)",
    text="Kunde: Fjordkraft Bygg AS\nLisenser: 35\n",
    html="<p>Kunde: Fjordkraft Bygg AS<br>Lisenser: 35</p>",
)


@dataclass
class MailWorld:
    mailer: Mailer
    # What arrived, in order: (Message-ID, To, Cc, subject, text, html).
    arrived: Callable[[], list[tuple[str, tuple[str, ...], tuple[str, ...], str, str, str]]]


@pytest.fixture
def world(target_kind: str, request: pytest.FixtureRequest) -> Iterator[MailWorld]:
    if target_kind == "fake":
        fake = FakeMailer()
        yield MailWorld(fake, lambda: [arrived_as_sent(m) for m in fake.sent])
        return
    sandboxes: SandboxStack = request.getfixturevalue("sandboxes")
    sandboxes.smtp.clear()
    mailer = SmtpMailer(sandbox_settings(sandboxes).mail.model_copy(update={"backoff_seconds": 0.001}))
    yield MailWorld(
        mailer,
        lambda: [
            (m["message_id"], tuple(m["to"]), tuple(m["cc"]), m["subject"], _lines(m["text"]), _lines(m["html"]))
            for m in sandboxes.smtp.messages
        ],
    )


def arrived_as_sent(message: MailMessage) -> tuple[str, tuple[str, ...], tuple[str, ...], str, str, str]:
    return (message.message_id, message.to, message.cc, message.subject, _lines(message.text), _lines(message.html))


def _lines(body: str) -> str:
    """A body as its lines: SMTP carries CRLF and may add a closing line break."""
    return "\n".join(body.replace("\r\n", "\n").rstrip("\n").split("\n"))


def test_a_sent_message_arrives_whole(world: MailWorld) -> None:
    assert world.mailer.send(message=MESSAGE) == MESSAGE.message_id
    assert world.arrived() == [arrived_as_sent(MESSAGE)]


def test_a_resend_arrives_again_with_the_same_message_id(world: MailWorld) -> None:
    world.mailer.send(message=MESSAGE)
    world.mailer.send(message=MESSAGE)
    assert [arrived[0] for arrived in world.arrived()] == [MESSAGE.message_id] * 2


def test_a_message_for_nobody_is_refused(world: MailWorld) -> None:
    with pytest.raises(ValidationRejected):
        world.mailer.send(message=MESSAGE.model_copy(update={"to": (), "cc": ()}))
    assert world.arrived() == []


def test_fake_is_a_mailer() -> None:
    # mypy checks this assignment: the fake implements the port exactly.
    mailer: Mailer = FakeMailer()
    assert mailer.send(message=MESSAGE) == MESSAGE.message_id
