"""Prefect artifacts: the case's summary on its run, and the board of open cases each poll refreshes."""

from __future__ import annotations

from datetime import date, datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from models.artifacts import BOARD_KEY, board_rows, case_artifact_key, case_summary_markdown
from models.board import flow_run_url
from models.case import CLOSED_STATES, CaseState
from models.links import TICKET, hubspot_record_url
from tasks.policy import case_step_key
from tasks.runtime import get_runtime


@task(name="publish-case-summary", cache_key_fn=case_step_key("step"), persist_result=True)
def publish_case_summary(case_key: str, step: str, deal_url: str, contract_url: str) -> str:
    """Put the case's summary on its run as a Markdown artifact (a new version of the case's key per step)."""
    rt = get_runtime()
    settings = rt.settings
    case = rt.store.get(case_key)
    hubspot = settings.hubspot
    links = {
        "Deal i HubSpot": deal_url,
        "Saken i HubSpot": hubspot_record_url(hubspot.records_url, hubspot.portal_id, TICKET, case.ticket_id),
        "Kontrakten i Dealbuilder": contract_url,
        "Kjøringen i Prefect": flow_run_url(settings.prefect.ui_url, case.flow_run_id) if case.flow_run_id else "",
    }
    artifact_id = create_markdown_artifact(
        markdown=case_summary_markdown(case, links=links, step=step),
        key=case_artifact_key(case_key),
        description=f"Reforhandling {case_key}: what changes, and the links",
    )
    return str(artifact_id)


@task(name="publish-case-board", cache_policy=NO_CACHE)
def publish_case_board(now: datetime, today: date) -> int:
    """Replace the `reforhandling-cases` table with every open case; returns how many rows it has."""
    rt = get_runtime()
    open_states = [state for state in CaseState if state not in CLOSED_STATES]
    rows = board_rows(rt.store.cases(open_states), now=now, today=today, ui_url=rt.settings.prefect.ui_url)
    create_table_artifact(
        table=rows,
        key=BOARD_KEY,
        description=f"Open renegotiation cases at {now.isoformat(timespec='minutes')}: state, age, what each waits for",
    )
    return len(rows)
