"""Ticket and customer-card updates in the CRM: stage, notes, assignment, the nedjustering field."""

from __future__ import annotations

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from models.case import CaseState
from models.notes import note_marker
from steps import ticket as steps
from tasks.checked_writes import write_field
from tasks.hubspot_calls import crm_step
from tasks.policy import system_step
from tasks.ticket_status import due_status, shown


@task(name="move-ticket", **system_step("step"))
def move_ticket(rt: Runtime, case_key: str, step: str, ticket_id: str, stage_label: str) -> None:
    """Move the ticket to a stage of its pipeline, by label, with the case's status in the same write."""
    status = due_status(rt, rt.store.get(case_key))
    move = steps.TicketStage(ticket_id=ticket_id, stage_label=stage_label, status=status)
    with crm_step(rt, case_key, "ticket-stage", stage=stage_label) as (crm, _):
        write_field(rt, case_key, f"ticket-stage:{step}", lambda since: steps.move_ticket(crm, move, since))
    shown(rt, case_key, status)


@task(name="write-ticket-note", **system_step("step"))
def write_ticket_note(rt: Runtime, case_key: str, step: str, ticket_id: str, body: str) -> str:
    """Write a note on the ticket once per case and step (the marker finds an earlier one)."""
    store = rt.store
    attempt = f"ticket-note-attempt:{step}"
    # Recorded before the create: only a step with an earlier attempt can have a note to find (a look-up saved).
    first_attempt = not store.events(case_key, kind=attempt)
    store.add_event(case_key, actor="flow", kind=attempt)
    note = steps.TicketNote(
        ticket_id=ticket_id, marker=note_marker(case_key, step), body=body, first_attempt=first_attempt
    )
    with crm_step(rt, case_key, "ticket-note", step=step) as (crm, details):
        details["note_id"] = steps.write_ticket_note(crm, note)
    return str(details["note_id"])


@task(name="set-downward-adjustment", **system_step())
def set_downward_adjustment(rt: Runtime, case_key: str, company_id: str, removed: int) -> None:
    """Fill the company's nedjustering field with the number of licences removed (0 when none were)."""
    change = steps.DownwardAdjustment(company_id=company_id, field=rt.routine.downward_property, removed=removed)
    with crm_step(rt, case_key, "nedjustering", removed=removed) as (crm, _):
        write_field(rt, case_key, "nedjustering", lambda since: steps.set_downward_adjustment(crm, change, since))


@task(name="assign-ticket", **system_step())
def assign_ticket(rt: Runtime, case_key: str, ticket_id: str, owner_email: str) -> None:
    """Hand the ticket to the team that takes the downward adjustment from here; the last write of a case, so it
    shows the case completed in the same write."""
    status = due_status(rt, rt.store.get(case_key), CaseState.COMPLETED)
    owner = steps.TicketOwner(ticket_id=ticket_id, owner_email=owner_email, status=status)
    with crm_step(rt, case_key, "ticket-assigned", owner=owner_email) as (crm, _):
        write_field(rt, case_key, "ticket-owner", lambda since: steps.assign_ticket(crm, owner, since))
    shown(rt, case_key, status)
    get_run_logger().info("case %s: ticket %s assigned to %s", case_key, ticket_id, owner_email)
