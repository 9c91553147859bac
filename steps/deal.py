"""Phase 2: the renegotiation deal, its licence count and delivery start, and its closing stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from adapters.ports import Crm
from models.case import CaseState
from models.crm import Deal, DealDraft, EnrichedTicket
from models.field_history import WriteOutcome
from models.rules import deal_close_date, deal_name, delivery_start_date
from steps.transition import Done, Transition


@dataclass(frozen=True)
class CreateDeal:
    case_key: str
    enriched: EnrichedTicket
    licences: int
    agent_email: str
    agreed_start: date | None
    today: date


def create_deal(crm: Crm, request: CreateDeal) -> Done[Deal]:
    """Find or create the deal `<company> - REFORHANDLING` in Assist / Venter på beslutning, on the ticket."""
    start = crm.calls
    enriched = request.enriched
    draft = DealDraft(
        case_key=request.case_key,
        name=deal_name(enriched.company.name),
        close_date=deal_close_date(request.today),
        delivery_start=delivery_start_date(request.today, request.agreed_start),
        licences=request.licences,
        agent_email=request.agent_email,
        company_id=enriched.company.id,
        contact_id=enriched.contact.id,
        ticket_id=enriched.ticket.id,
    )
    deal = crm.find_or_create_deal(deal=draft)
    transition = Transition(
        CaseState.DEAL_CREATED, fields={"deal_id": deal.id}, details={"hubspot_calls": crm.calls - start}
    )
    return Done(deal, transition)


@dataclass(frozen=True)
class DealLicences:
    deal_id: str
    licences: int


def set_deal_licences(crm: Crm, change: DealLicences, since: datetime | None) -> WriteOutcome:
    """Keep the deal's amount (the licence count) in step with a corrected draft."""
    return crm.set_deal_licences(deal_id=change.deal_id, licences=change.licences, since=since)


@dataclass(frozen=True)
class DeliveryStart:
    deal_id: str
    start: date


def set_delivery_start(crm: Crm, change: DeliveryStart, since: datetime | None) -> WriteOutcome:
    """Set the deal's delivery start date to the start the sent contract carries."""
    return crm.set_deal_delivery_start(deal_id=change.deal_id, start=change.start, since=since)


@dataclass(frozen=True)
class DealStage:
    deal_id: str
    stage_label: str


def move_deal(crm: Crm, move: DealStage, since: datetime | None) -> WriteOutcome:
    """Move the deal to the stage the customer's decision calls for (won or lost); the close date stays."""
    return crm.move_deal(deal_id=move.deal_id, stage_label=move.stage_label, since=since)
