"""Ticket and customer-card updates in the CRM: stage, notes, assignment, the nedjustering field."""

from __future__ import annotations

from prefect import get_run_logger, task

from reforhandling.wiring import get_runtime
from tasks.hubspot_calls import counting_calls
from tasks.policy import SYSTEM_STEP


@task(name="move-ticket", **SYSTEM_STEP)
def move_ticket(case_key: str, step: str, ticket_id: str, stage_label: str) -> None:
    """Move the ticket to a stage of its pipeline, by label."""
    rt = get_runtime()
    with counting_calls(rt.crm) as calls:
        rt.crm.move_ticket(ticket_id=ticket_id, stage_label=stage_label)
    rt.store.add_event(
        case_key, actor="flow", kind="ticket-stage", details={"stage": stage_label, "hubspot_calls": calls()}
    )


@task(name="write-ticket-note", **SYSTEM_STEP)
def write_ticket_note(case_key: str, step: str, ticket_id: str, body: str) -> str:
    """Write a note on the ticket once per case and step (the marker finds an earlier one)."""
    rt = get_runtime()
    with counting_calls(rt.crm) as calls:
        note_id = rt.crm.add_ticket_note(ticket_id=ticket_id, marker=f"[{case_key}/{step}]", body=body)
    rt.store.add_event(
        case_key, actor="flow", kind="ticket-note", details={"step": step, "note_id": note_id, "hubspot_calls": calls()}
    )
    return note_id


@task(name="set-downward-adjustment", **SYSTEM_STEP)
def set_downward_adjustment(case_key: str, company_id: str, removed: int) -> None:
    """Fill the company's nedjustering field with the number of licences removed."""
    rt = get_runtime()
    with counting_calls(rt.crm) as calls:
        rt.crm.set_company_property(
            company_id=company_id, name=rt.settings.routine.downward_property, value=str(removed)
        )
    rt.store.add_event(
        case_key, actor="flow", kind="nedjustering", details={"removed": removed, "hubspot_calls": calls()}
    )


@task(name="assign-ticket", **SYSTEM_STEP)
def assign_ticket(case_key: str, ticket_id: str, owner_email: str) -> None:
    """Hand the ticket to the team that takes the downward adjustment from here."""
    rt = get_runtime()
    with counting_calls(rt.crm) as calls:
        rt.crm.assign_ticket(ticket_id=ticket_id, owner_email=owner_email)
    rt.store.add_event(
        case_key, actor="flow", kind="ticket-assigned", details={"owner": owner_email, "hubspot_calls": calls()}
    )
    get_run_logger().info("case %s: ticket %s assigned to %s", case_key, ticket_id, owner_email)
