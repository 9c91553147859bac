"""Prefect artifacts: the case's summary on its run, and the board of open cases each poll refreshes."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast
from uuid import UUID

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate

from bootstrap.runtime import Runtime
from models.artifacts import (
    BOARD_KEY,
    RUN_LINK,
    board_description,
    board_rows,
    case_artifact_key,
    case_summary_markdown,
)
from models.board import flow_run_url
from models.case import CLOSED_STATES, Case, CaseState
from models.links import DEAL, TICKET, hubspot_record_url
from tasks.policy import case_step_key


@task(name="publish-case-summary", cache_key_fn=case_step_key("step"), persist_result=True)
def publish_case_summary(rt: Runtime, case_key: str, step: str) -> str:
    """Put the case's summary on its run as a Markdown artifact (a new version of the case's key per step)."""
    return str(write_case_summary(rt, rt.store.get(case_key), step))


def write_case_summary(rt: Runtime, case: Case, step: str, *, flow_run_id: UUID | None = None) -> UUID:
    """A new version of the case's summary: on the current run, or on `flow_run_id` (a failure hook's run)."""
    settings, hubspot = rt.settings, rt.settings.hubspot
    drafted = rt.store.event_details(case.case_key, f"state:{CaseState.DRAFTED}")
    delivery = rt.store.event_details(case.case_key, "delivery-start")
    run_url = flow_run_url(settings.prefect.ui_url, case.flow_run_id) if case.flow_run_id else ""
    links = {
        "Deal i HubSpot": hubspot_record_url(hubspot.records_url, hubspot.portal_id, DEAL, case.deal_id)
        if case.deal_id
        else "",
        "Saken i HubSpot": hubspot_record_url(hubspot.records_url, hubspot.portal_id, TICKET, case.ticket_id),
        "Kontrakten i Dealbuilder": str(drafted[-1].get("preview_url", "")) if drafted else "",
        RUN_LINK: run_url,
    }
    # The start the contract says: the deal's delivery start once sent, the draft's before.
    start = _day(delivery[-1].get("start")) if delivery else _day(drafted[-1].get("start_date")) if drafted else None
    markdown = case_summary_markdown(case, links=links, step=step, today=rt.today(), start_date=start)
    description = f"Reforhandling {case.case_key}: what changes, whom it waits for, and the links"
    key = case_artifact_key(case.case_key)
    if flow_run_id is None:
        return cast(UUID, create_markdown_artifact(markdown=markdown, key=key, description=description))
    with get_client(sync_client=True) as client:
        made = client.create_artifact(
            ArtifactCreate(key=key, type="markdown", data=markdown, description=description, flow_run_id=flow_run_id)
        )
    return made.id


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


@task(name="publish-case-board", cache_policy=NO_CACHE)
def publish_case_board(rt: Runtime, now: datetime, today: date, problem: str = "") -> int:
    """Replace the `reforhandling-cases` table with every open case, saying above it what this poll could not do
    (`problem`); returns how many rows it has."""
    open_states = [state for state in CaseState if state not in CLOSED_STATES]
    rows = board_rows(rt.store.cases(open_states), now=now, today=today, ui_url=rt.settings.prefect.ui_url)
    create_table_artifact(
        table=rows,
        key=BOARD_KEY,
        description=board_description(now, problem),
    )
    return len(rows)
