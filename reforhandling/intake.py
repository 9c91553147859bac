"""Cases start from their HubSpot ticket: the agent fills the renegotiation fields and moves the ticket to the ready
stage. Two triggers take it in, HubSpot's webhook (reforhandling/webhook.py) and the scheduled `intake` deployment
(one search a run, the backstop), and both go through `Intake.take_in`, which goes through `start`'s own code
(reforhandling/starting.py: the request's checks, `read_case_inputs`, `start_case`).

A move is taken in once: the case store's intake claim is unique per (ticket, time the ticket entered the stage), so
the webhook and the poll at the same moment, or an event delivered twice, start one case or write one refusal; the
store's one-open-case-per-ticket is the second line. A refusal is one note on the ticket listing every problem in
Norwegian, and the ticket moves to the needs-fixing stage; nothing else is written. Moving it back is a new move."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from prefect import Flow, flow
from prefect.client.orchestration import SyncPrefectClient
from pydantic import ValidationError

from adapters.errors import NotFoundError
from adapters.ports import TicketIntake
from bootstrap.runtime import Runtime, runtime_from_settings, with_resolved_secrets
from config.clock import local_today
from models.intake import (
    IntakeTicket,
    Problem,
    note_marker,
    preflight_problems,
    refusal_note,
    request_data,
    stand_in_data,
    unrepeated,
    validation_problems,
)
from models.renegotiation import RenegotiationRequest, request_limits
from reforhandling.starting import read_case_inputs, start_case
from store.case_store import OpenCaseExists

log = logging.getLogger(__name__)

ACTOR = "hubspot-intake"
# A claim its taker left unfinished this long ago (the process died) may be taken over by the next trigger.
STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Taken:
    """What the intake did with one ticket: started, refused, open-case (it had one already), not-ready (not at the
    ready stage now), seen (this move was taken in already), or error (tried again by the next trigger)."""

    ticket_id: str
    outcome: str
    case_key: str | None = None
    problems: tuple[Problem, ...] = field(default=())


def build_source(runtime: Runtime) -> TicketIntake:
    """The HubSpot intake reads, through the runtime's rate budget and portal cache."""
    from adapters.hubspot_intake import HubSpotTicketIntake

    settings = runtime.settings
    return HubSpotTicketIntake(
        with_resolved_secrets(settings).hubspot,
        settings.routine,
        settings.intake,
        cache=runtime.store.portal_cache,
        budget=runtime.hubspot_budget,
    )


@contextmanager
def _prefect_client() -> Iterator[SyncPrefectClient]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        yield client


class Intake:
    """Takes tickets in: one at a time by id (the webhook), or every ticket at the ready stage (the poll)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        source: TicketIntake | None = None,
        prefect_client: Callable[[], AbstractContextManager[SyncPrefectClient]] = _prefect_client,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.runtime = runtime
        self.source = source or build_source(runtime)
        self._prefect_client = prefect_client
        self._today = today or (lambda: local_today(runtime.settings.routine.timezone))

    def sweep(self) -> list[Taken]:
        """Take in every ticket at the ready stage (one search) that has no open case; a failure of one ticket is
        logged and left to the next run."""
        taken = []
        for ticket_id in self.source.ready_tickets():
            if self.runtime.store.open_case_for_ticket(ticket_id) is not None:
                continue  # started already: its run moves the ticket on; reading it again would cost a request
            try:
                taken.append(self.take_in(ticket_id))
            except Exception as error:
                log.warning("intake: ticket %s not taken in this time: %s", ticket_id, error)
                taken.append(Taken(ticket_id, "error"))
        return taken

    def take_in(self, ticket_id: str) -> Taken:
        """Start the ticket's case, or refuse it on the ticket, if it stands at the ready stage and this move of it
        was not taken in before."""
        settings = self.runtime.settings
        try:
            ticket = self.source.read_ticket(ticket_id=ticket_id)
        except NotFoundError:
            return Taken(ticket_id, "not-ready")
        ready = ticket.pipeline == settings.routine.ticket_pipeline and ticket.stage == settings.intake.ready_stage
        if not ready or not ticket.entered_stage_at:
            return Taken(ticket.id, "not-ready")
        store = self.runtime.store
        if not store.claim_intake(ticket.id, ticket.entered_stage_at, stale_after=STALE_CLAIM):
            return Taken(ticket.id, "seen")
        try:
            taken = self._take(ticket)
        except BaseException:
            store.release_intake(ticket.id, ticket.entered_stage_at)
            raise
        store.finish_intake(ticket.id, ticket.entered_stage_at, outcome=taken.outcome, case_key=taken.case_key)
        log.info("intake: ticket %s %s %s", ticket.id, taken.outcome, taken.case_key or "")
        return taken

    def _take(self, ticket: IntakeTicket) -> Taken:
        settings = self.runtime.settings
        if self.runtime.store.open_case_for_ticket(ticket.id) is not None:
            return Taken(ticket.id, "open-case")  # started already (by `start`, or the form): nothing to read or say
        data = request_data(ticket, settings.intake)
        try:
            request = self._parse(data)
        except ValidationError as error:
            refused = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
            problems = validation_problems(error, ticket, settings.intake)
            return self._refuse(ticket, problems + self._other_problems(ticket, data, refused))
        problems = self._read_problems(ticket, request, refused=set())
        if problems:
            return self._refuse(ticket, problems)
        try:
            with self._prefect_client() as client:
                case = start_case(request, settings=settings, store=self.runtime.store, client=client, actor=ACTOR)
        except OpenCaseExists:
            return Taken(ticket.id, "open-case")
        return Taken(ticket.id, "started", case.case_key)

    def _parse(self, data: dict[str, Any]) -> RenegotiationRequest:
        routine = self.runtime.settings.routine
        return RenegotiationRequest.parse(data, today=self._today(), limits=request_limits(routine))

    def _read_problems(
        self, ticket: IntakeTicket, request: RenegotiationRequest, *, refused: set[str]
    ) -> list[Problem]:
        """`start`'s preflight of the request, as the note's problems (less those about fields already refused)."""
        reading = read_case_inputs(request, runtime=self.runtime, known=ticket.ticket)
        company = reading.company.name if reading.company is not None else None
        lines = unrepeated(reading.problems, refused)
        return preflight_problems(lines, ticket, self.runtime.settings.intake, company_name=company)

    def _other_problems(self, ticket: IntakeTicket, data: dict[str, Any], refused: set[str]) -> list[Problem]:
        """What else `start`'s preflight finds, the refused fields stood in for, so one note lists every problem."""
        stand_in = stand_in_data(data, refused)
        if stand_in is None:
            return []
        try:
            request = self._parse(stand_in)
        except ValidationError:
            return []
        return self._read_problems(ticket, request, refused=refused)

    def _refuse(self, ticket: IntakeTicket, problems: list[Problem]) -> Taken:
        """One note with every problem, and the ticket to the needs-fixing stage; nothing else."""
        intake = self.runtime.settings.intake
        crm = self.runtime.crm
        crm.add_ticket_note(ticket_id=ticket.id, marker=note_marker(ticket), body=refusal_note(problems, intake))
        crm.move_ticket(ticket_id=ticket.id, stage_label=intake.needs_fixing_stage)
        return Taken(ticket.id, "refused", problems=tuple(problems))


def intake_flow(make_runtime: Callable[[], Runtime]) -> Flow[..., dict[str, int]]:
    """The `intake` flow on the runtime `make_runtime` builds (once per process)."""
    runtime_once = cache(make_runtime)

    def intake() -> dict[str, int]:
        """Take in every ticket an agent moved to the ready stage (the backstop of HubSpot's webhook): one search."""
        counts: dict[str, int] = {}
        for item in Intake(runtime_once()).sweep():
            counts[item.outcome] = counts.get(item.outcome, 0) + 1
        return counts

    intake.__qualname__ = "intake"
    return flow(name="intake")(intake)


intake = intake_flow(runtime_from_settings)
