from __future__ import annotations

import pytest

from config.settings import TicketStatusOptions
from models.case import CaseState
from models.ticket_status import StatusUpdate, TicketStatus, ticket_status

S, T = CaseState, TicketStatus


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (S.STARTED, T.STARTED),
        (S.ENRICHED, T.STARTED),
        (S.DEAL_CREATED, T.STARTED),
        (S.DRAFTED, T.STARTED),
        (S.AWAITING_APPROVAL, T.AWAITING_APPROVAL),
        (S.SENT, T.SENT),
        (S.AWAITING_SIGNATURE, T.SENT),
        (S.AWAITING_DECISION, T.NEEDS_ATTENTION),
        (S.SIGNED, T.SIGNED),
        (S.AWAITING_LICENCE_CONFIRMATION, T.SIGNED),
        (S.LICENCES_ADJUSTED, T.SIGNED),
        (S.COMPLETED, T.COMPLETED),
        (S.REJECTED, T.REJECTED),
        (S.CANCELLED, T.CANCELLED),
        (S.NEEDS_ATTENTION, T.NEEDS_ATTENTION),
    ],
)
def test_each_case_state_shows_as_one_ticket_status(state: CaseState, status: TicketStatus) -> None:
    assert ticket_status(state) is status


def test_every_status_is_written_as_the_option_the_settings_name_in_norwegian() -> None:
    options = TicketStatusOptions()
    written = [StatusUpdate(status=status, link="").option(options) for status in TicketStatus]
    assert written == [
        "Startet",
        "Venter på godkjenning",
        "Sendt til kunde",
        "Signert",
        "Fullført",
        "Avvist",
        "Avbrutt",
        "Trenger oppfølging",
    ]
    renamed = TicketStatusOptions(signed="Signert av kunden")
    assert StatusUpdate(status=TicketStatus.SIGNED, link="").option(renamed) == "Signert av kunden"
