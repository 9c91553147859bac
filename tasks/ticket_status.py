"""Keep the ticket's status and run link current: written once per change of the case's status, as a checked write
(a late landing never covers a newer status), and recorded, so a replay or a retry writes nothing new. Where the
case writes the ticket anyway (the rename, the move to `Sendt kontrakt`, the final assignment) the status rides on
that write (`due_status`, then `shown`)."""

from __future__ import annotations

from bootstrap.runtime import Runtime
from models.board import flow_run_url
from models.case import Case, CaseState
from models.ticket_status import StatusUpdate, ticket_status
from tasks.checked_writes import write_field

# The case's event that records each status the ticket was given (details: the StatusUpdate).
SHOWN = "ticket-status"


def due_status(rt: Runtime, case: Case, state: CaseState | None = None) -> StatusUpdate | None:
    """What the ticket should show for the case in `state` (its own state by default), or None when that is what
    was written last."""
    link = flow_run_url(rt.settings.prefect.ui_url, case.flow_run_id) if case.flow_run_id else ""
    wanted = StatusUpdate(status=ticket_status(state or case.state), link=link)
    written = rt.store.event_details(case.case_key, SHOWN)
    return None if written and StatusUpdate.model_validate(written[-1]) == wanted else wanted


def shown(rt: Runtime, case_key: str, update: StatusUpdate | None) -> None:
    """Record that a write carrying `update` landed (nothing when it carried none)."""
    if update is not None:
        rt.store.add_event(case_key, actor="flow", kind=SHOWN, details=update.model_dump(mode="json"))


def show_status(rt: Runtime, case: Case, state: CaseState | None = None) -> None:
    """Write the ticket's status for the case in `state` (its own by default) when it changed; else nothing."""
    update = due_status(rt, case, state)
    if update is None:
        return
    # Each status write is a field of its own: a status shown again later (after a retried failure) is a new write.
    field = f"ticket-status:{len(rt.store.events(case.case_key, kind=SHOWN)) + 1}"
    write_field(
        rt,
        case.case_key,
        field,
        lambda since: rt.crm.set_ticket_status(ticket_id=case.ticket_id, status=update, since=since),
    )
    shown(rt, case.case_key, update)
