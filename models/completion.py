"""What a signed case writes, composed once (pure): the note, the e-mails and the ordered writes of the completion.
The flow makes these writes and `reforhandling plan` shows them, so a change of wording or of a write reaches both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from config.settings import RoutineSettings
from models.agreement import AgreementBasis
from models.change import ChangeSummary, CompletionPlan, completion_plan
from models.crm import Company, Ticket
from models.mail import MailMessage
from models.messages import csc_handover_message, sales_registration_message
from models.notes import invoice_note
from models.rules import Route

# The steps of the completion's writes: they key the tasks' persisted results, the note's marker and the
# `mail-sent` events, so a renamed step would make a replay write again.
WON_STEP = "won"
INVOICE_NOTE_STEP = "invoice"
CSC_HANDOVER_STEP = "csc-handover"
SALES_REGISTRATION_STEP = "sales-registration"


@dataclass(frozen=True)
class MoveDeal:
    """The deal to the won stage (its close date stays)."""

    step: str
    stage: str


@dataclass(frozen=True)
class SetLicences:
    """The customer's licence count in Avonova Digital (through the API, or by a person who confirms it)."""

    customer_id: str
    licences_before: int
    licences: int


@dataclass(frozen=True)
class SetDownwardAdjustment:
    """The company's nedjustering field: the licences removed, 0 unless the count went down."""

    company_id: str
    property_name: str
    removed: int


@dataclass(frozen=True)
class WriteNote:
    """The note to order/invoice on the ticket."""

    step: str
    ticket_id: str
    text: str


@dataclass(frozen=True)
class AssignTicket:
    """The ticket to the team that takes the case from here."""

    ticket_id: str
    owner: str
    route: Route


@dataclass(frozen=True)
class SendMail:
    """One of the routine's e-mails (CSC handover, sales registration)."""

    step: str
    message: MailMessage


CompletionWrite = MoveDeal | SetLicences | SetDownwardAdjustment | WriteNote | AssignTicket | SendMail


@dataclass(frozen=True)
class Completion:
    """Everything the completion decides and writes, composed before the first write so bad data cannot stop a case
    halfway; `decisions.attention` set: a person must look before any of the writes."""

    summary: ChangeSummary
    decisions: CompletionPlan
    note: str
    handover: MailMessage | None
    registration: MailMessage | None
    writes: tuple[CompletionWrite, ...]

    @property
    def mails(self) -> tuple[SendMail, ...]:
        return tuple(write for write in self.writes if isinstance(write, SendMail))


def compose_completion(
    basis: AgreementBasis,
    *,
    case_key: str,
    company: Company,
    ticket: Ticket,
    licences: int,
    price_per_licence: Decimal,
    start_date: date,
    signed_on: date,
    routine: RoutineSettings,
    deal_url: str = "",
    contract_id: str = "",
    contract_url: str = "",
) -> Completion:
    """The completion of a case signed on `signed_on`: the deal won, licences, nedjustering, the note and the ticket
    to order/invoice (or CSC), and the e-mails, in the order the flow makes them."""
    summary = ChangeSummary(
        case_key=case_key,
        company_name=company.name,
        org_number=basis.org_number,
        licences_before=basis.current.licences,
        licences_after=licences,
        price_before=basis.current.paid_per_licence,
        price_after=price_per_licence,
        start_before=basis.current.start_date,
        start_date=start_date,
        signed_on=signed_on,
        sold_signed_on=basis.sold.signed_on,
        sold_is_fallback=basis.sold_is_fallback,
        deal_url=deal_url,
        ticket_url=ticket.url,
        contract_id=contract_id,
        contract_url=contract_url,
        sold_contract_id=basis.sold.contract_id,
        sold_sender=basis.sold.sender,
        sold_booker=basis.sold.booker,
    )
    decisions = completion_plan(summary, routine)
    note = invoice_note(summary, decisions)
    handover = csc_handover_message(summary, recipient=routine.csc_recipient) if decisions.route is Route.CSC else None
    registration = (
        sales_registration_message(
            summary,
            recipient=routine.sales_registration_recipient,
            months=routine.sales_registration_months,
            periods_per_year=routine.price_periods_per_year,
        )
        if decisions.sales_registration
        else None
    )
    writes: list[CompletionWrite] = [
        MoveDeal(step=WON_STEP, stage=routine.deal_stage_won),
        SetLicences(customer_id=basis.org_number, licences_before=summary.licences_before, licences=licences),
        # Every signed case writes it (0 unless the count went down), so the card never shows an earlier reduction.
        SetDownwardAdjustment(
            company_id=company.id, property_name=routine.downward_property, removed=decisions.removed
        ),
        WriteNote(step=INVOICE_NOTE_STEP, ticket_id=ticket.id, text=note),
        AssignTicket(ticket_id=ticket.id, owner=decisions.ticket_owner, route=decisions.route),
    ]
    if handover is not None:
        writes.append(SendMail(step=CSC_HANDOVER_STEP, message=handover))
    if registration is not None:
        writes.append(SendMail(step=SALES_REGISTRATION_STEP, message=registration))
    return Completion(
        summary=summary,
        decisions=decisions,
        note=note,
        handover=handover,
        registration=registration,
        writes=tuple(writes),
    )
