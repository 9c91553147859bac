"""The intake's one read of a ticket carries the ticket exactly as the CRM adapter reads it, so `start`'s preflight
can take it instead of reading the ticket a second time."""

from __future__ import annotations

from adapters.hubspot_intake import HubSpotTicketIntake
from config.settings import IntakeSettings
from tests.adapters.hubspot.conftest import Portal


def test_the_intakes_read_holds_the_same_ticket_as_the_crms_read_in_one_request(portal: Portal) -> None:
    intake = HubSpotTicketIntake(portal.settings(), portal.routine, IntakeSettings(), cache=portal.cache)
    crm = portal.crm()
    for ticket_id in ("5001", "5005"):
        expected = crm.read_ticket(ticket_id=ticket_id)
        before = len(portal.app.requests("GET", rf"^/crm/v3/objects/tickets/{ticket_id}$"))

        read = intake.read_ticket(ticket_id=ticket_id)

        assert read.ticket == expected
        assert len(portal.app.requests("GET", rf"^/crm/v3/objects/tickets/{ticket_id}$")) == before + 1
    # Associations and all: 5005 is associated with its contact in the seeded portal.
    ticket = intake.read_ticket(ticket_id="5005").ticket
    assert ticket is not None and ticket.contact_ids == ("3005",)
