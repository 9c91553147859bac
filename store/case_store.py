"""The case store: cases and their append-only event log, in SQLite locally or PostgreSQL by URL."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.case import CLOSED_STATES, Case, CaseEvent, CaseState, NotificationClaim, check_transition
from models.intake import IntakeClaim
from models.renegotiation import RenegotiationRequest
from store.database import make_engine, upgrade_engine
from store.portal_cache import StorePortalCache


class OpenCaseExists(ValueError):
    """The ticket already has an open case; a second one is refused."""


class CaseNotFound(LookupError):
    """No case has this key."""


class CaseStore:
    """Cases and events; every change is one transaction, and every state change is checked and logged."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        # The store owns its schema: a new or older database is migrated before the first case is read.
        upgrade_engine(self.engine)

    @property
    def portal_cache(self) -> StorePortalCache:
        """The CRM portal's cached labels and owners, in this store's database."""
        return StorePortalCache(self.engine)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def open_case(self, request: RenegotiationRequest, *, actor: str) -> Case:
        """Store a new case for the ticket, refusing when the ticket already has an open one."""
        with self._session() as session:
            existing = self._open_case_for(session, request.ticket_id)
            if existing is not None:
                raise _open_case_error(existing)
            count = session.exec(select(func.count()).where(Case.ticket_id == request.ticket_id)).one()
            case = Case(
                # The random part keeps keys unique across databases: result caches and external ids are keyed on it.
                case_key=f"RF-{request.ticket_id}-{count + 1}-{secrets.token_hex(3)}",
                ticket_id=request.ticket_id,
                open_ticket_id=request.ticket_id,
                company_id=request.company_id,
                signer_email=request.signer_email,
                signer_name=request.signer_name,
                agent_email=request.agent_email,
                licences_after=request.licences,
                price_after=request.price_per_licence,
                start_date=request.start_date,
            )
            session.add(case)
            session.add(_event(case.case_key, actor, "opened", request.model_dump(mode="json")))
            try:
                session.commit()
            except IntegrityError as error:
                # Another process opened a case for this ticket between our check and our insert.
                session.rollback()
                raced = self._open_case_for(session, request.ticket_id)
                if raced is not None:
                    raise _open_case_error(raced) from error
                raise
            return case

    def get(self, case_key: str) -> Case:
        with self._session() as session:
            case = session.exec(select(Case).where(Case.case_key == case_key)).first()
            if case is None:
                raise CaseNotFound(f"no case with key {case_key!r}; `reforhandling cases` lists the cases")
            return case

    def transition(
        self,
        case_key: str,
        new: CaseState,
        *,
        actor: str,
        details: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Case:
        """Move the case to `new` (and set `fields`), logging an event."""
        with self._session() as session:
            case = session.exec(select(Case).where(Case.case_key == case_key).with_for_update()).first()
            if case is None:
                raise CaseNotFound(f"no case with key {case_key!r}")
            check_transition(case_key, case.state, new)
            previous = case.state
            for name, value in fields.items():
                setattr(case, name, value)
            case.state = new
            case.updated_at = datetime.now(UTC)
            if new in CLOSED_STATES:
                case.open_ticket_id = None
            session.add(case)
            if previous != new or details:
                session.add(_event(case_key, actor, f"state:{new}", {"from": str(previous), **(details or {})}))
            session.commit()
            return case

    def update(self, case_key: str, **fields: Any) -> Case:
        """Record facts on the case (external ids, before-values) without changing its state."""
        with self._session() as session:
            case = session.exec(select(Case).where(Case.case_key == case_key)).first()
            if case is None:
                raise CaseNotFound(f"no case with key {case_key!r}")
            for name, value in fields.items():
                setattr(case, name, value)
            case.updated_at = datetime.now(UTC)
            session.add(case)
            session.commit()
            return case

    def add_event(self, case_key: str, *, actor: str, kind: str, details: dict[str, Any] | None = None) -> None:
        with self._session() as session:
            session.add(_event(case_key, actor, kind, details or {}))
            session.commit()

    def events(self, case_key: str, kind: str | None = None) -> list[CaseEvent]:
        with self._session() as session:
            query = select(CaseEvent).where(CaseEvent.case_key == case_key)
            if kind is not None:
                query = query.where(CaseEvent.kind == kind)
            return list(session.exec(query.order_by(col(CaseEvent.id))).all())

    def event_details(self, case_key: str, kind: str) -> list[dict[str, Any]]:
        """The details of the case's events of one kind, oldest first."""
        return [json.loads(event.details) for event in self.events(case_key, kind=kind)]

    def cases(self, states: Iterable[CaseState] | None = None) -> list[Case]:
        with self._session() as session:
            query = select(Case)
            if states is not None:
                query = query.where(col(Case.state).in_(list(states)))
            return list(session.exec(query.order_by(col(Case.id))).all())

    def claim_notification(self, case_key: str, name: str, *, stale_after: timedelta) -> bool:
        """True when this caller may send the notification `name` of the case: its claim row was inserted (the
        unique (case, name) refuses a second), or it took over a claim left unsent for longer than `stale_after`."""
        now = datetime.now(UTC)
        return self._claim(
            NotificationClaim(case_key=case_key, name=name, claimed_at=now),
            now,
            col(NotificationClaim.case_key) == case_key,
            col(NotificationClaim.name) == name,
            col(NotificationClaim.sent_at).is_(None),
            col(NotificationClaim.claimed_at) < now - stale_after,
        )

    def notification_sent(self, case_key: str, name: str, *, actor: str, details: dict[str, Any]) -> None:
        """Mark the claim sent and log `notified:<name>` with who was told what, in one transaction."""
        with self._session() as session:
            session.execute(
                update(NotificationClaim)
                .where(col(NotificationClaim.case_key) == case_key, col(NotificationClaim.name) == name)
                .values(sent_at=datetime.now(UTC))
            )
            session.add(_event(case_key, actor, f"notified:{name}", details))
            session.commit()

    def release_notification(self, case_key: str, name: str) -> None:
        """Drop an unsent claim after a failed send, so the next attempt (the next poll) may claim it again."""
        with self._session() as session:
            session.execute(
                delete(NotificationClaim).where(
                    col(NotificationClaim.case_key) == case_key,
                    col(NotificationClaim.name) == name,
                    col(NotificationClaim.sent_at).is_(None),
                )
            )
            session.commit()

    def notification_claims(self, case_key: str) -> list[NotificationClaim]:
        with self._session() as session:
            query = select(NotificationClaim).where(NotificationClaim.case_key == case_key)
            return list(session.exec(query.order_by(col(NotificationClaim.id))).all())

    def waiting_since(self, case_key: str, state: CaseState) -> tuple[datetime, str] | None:
        """When the case last entered `state` for a step, and that step (the newest `state:<state>` event with one)."""
        with self._session() as session:
            query = (
                select(CaseEvent)
                .where(CaseEvent.case_key == case_key, CaseEvent.kind == f"state:{state}")
                .order_by(col(CaseEvent.id).desc())
            )
            events = session.exec(query).all()
        # An ops retry puts the case back in its state without a step: the wait began when the step's form opened.
        for event in events:
            step = json.loads(event.details).get("step")
            if step:
                at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
                return at, str(step)
        return None

    def claim_intake(self, ticket_id: str, entered_stage_at: str, *, stale_after: timedelta) -> bool:
        """True when this caller takes in the ticket's move to the ready stage (made at `entered_stage_at`): its claim
        row was inserted (the unique (ticket, move) refuses a second), or it took over a claim left unfinished for
        longer than `stale_after` (its taker died)."""
        now = datetime.now(UTC)
        return self._claim(
            IntakeClaim(ticket_id=ticket_id, entered_stage_at=entered_stage_at, claimed_at=now),
            now,
            col(IntakeClaim.ticket_id) == ticket_id,
            col(IntakeClaim.entered_stage_at) == entered_stage_at,
            col(IntakeClaim.outcome).is_(None),
            col(IntakeClaim.claimed_at) < now - stale_after,
        )

    def _claim(self, claim: NotificationClaim | IntakeClaim, now: datetime, *stale: Any) -> bool:
        """Insert the claim (its unique key refuses a second), or else take it over at `now` where `stale` matches
        (unfinished, claimed too long ago): one UPDATE with its condition, so of two callers taking over the same
        stale claim one matches a row."""
        with self._session() as session:
            session.add(claim)
            try:
                session.commit()
                return True
            except IntegrityError:
                session.rollback()
            taken = session.execute(update(type(claim)).where(*stale).values(claimed_at=now))
            session.commit()
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

    def finish_intake(self, ticket_id: str, entered_stage_at: str, *, outcome: str, case_key: str | None) -> None:
        """Record how the claimed move was taken in (started, refused, open-case)."""
        with self._session() as session:
            session.execute(
                update(IntakeClaim)
                .where(col(IntakeClaim.ticket_id) == ticket_id, col(IntakeClaim.entered_stage_at) == entered_stage_at)
                .values(outcome=outcome, case_key=case_key)
            )
            session.commit()

    def release_intake(self, ticket_id: str, entered_stage_at: str) -> None:
        """Drop an unfinished claim after a failure, so the next delivery or intake run may take the move in."""
        with self._session() as session:
            session.execute(
                delete(IntakeClaim).where(
                    col(IntakeClaim.ticket_id) == ticket_id,
                    col(IntakeClaim.entered_stage_at) == entered_stage_at,
                    col(IntakeClaim.outcome).is_(None),
                )
            )
            session.commit()

    def intake_claims(self, ticket_id: str) -> list[IntakeClaim]:
        with self._session() as session:
            query = select(IntakeClaim).where(IntakeClaim.ticket_id == ticket_id)
            return list(session.exec(query.order_by(col(IntakeClaim.id))).all())

    def open_case_for_ticket(self, ticket_id: str) -> Case | None:
        """The ticket's open case, or None."""
        with self._session() as session:
            return self._open_case_for(session, ticket_id)

    def case_for_contract(self, contract_id: str) -> Case | None:
        """The newest case whose contract this is, or None (a document this routine did not make)."""
        with self._session() as session:
            query = select(Case).where(Case.contract_id == contract_id).order_by(col(Case.id).desc())
            return session.exec(query).first()

    @staticmethod
    def _open_case_for(session: Session, ticket_id: str) -> Case | None:
        return session.exec(select(Case).where(Case.open_ticket_id == ticket_id)).first()


def _open_case_error(case: Case) -> OpenCaseExists:
    return OpenCaseExists(
        f"ticket {case.ticket_id} already has an open case {case.case_key} (state {case.state}, "
        f"flow run {case.flow_run_id or 'not started'}); finish or cancel it before starting another"
    )


def _event(case_key: str, actor: str, kind: str, details: dict[str, Any]) -> CaseEvent:
    return CaseEvent(case_key=case_key, actor=actor, kind=kind, details=json.dumps(details, default=str))
