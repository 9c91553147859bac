"""What a case would write, system by system, before anything is written (pure): `reforhandling plan`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import assert_never

from pydantic import BaseModel, ConfigDict

from config.settings import RoutineSettings
from models.agreement import AgreementBasis, ContractLine
from models.change import CompletionPlan, yearly_value
from models.completion import (
    AssignTicket,
    CompletionWrite,
    MoveDeal,
    SendMail,
    SetDownwardAdjustment,
    SetLicences,
    WriteNote,
    compose_completion,
)
from models.crm import Company, Contact, Ticket
from models.drafting import contract_lines
from models.messages import format_date, format_nok
from models.renegotiation import RenegotiationRequest
from models.rules import deal_close_date, deal_name, delivery_start_date, signing_deadline, ticket_name

# The case key is made when the case opens; the plan's texts show this in its place.
PLANNED_CASE = "(new case)"


class LineChange(BaseModel):
    """One contract line: as in the current agreement (None: added) and as drafted."""

    model_config = ConfigDict(frozen=True)

    name: str
    before: ContractLine | None
    after: ContractLine

    @property
    def changed(self) -> bool:
        return self.before != self.after


class PlannedMail(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    to: tuple[str, ...]
    subject: str


class PlanSection(BaseModel):
    """The writes in one system, in the order the case makes them."""

    model_config = ConfigDict(frozen=True)

    system: str
    writes: tuple[str, ...]


class RenegotiationPlan(BaseModel):
    """Every write a case would make for this request, and the yearly value before and after."""

    model_config = ConfigDict(frozen=True)

    company_name: str
    org_number: str
    assumed_signed_on: date
    lines: tuple[LineChange, ...]
    completion: CompletionPlan
    note: str
    mails: tuple[PlannedMail, ...]
    sections: tuple[PlanSection, ...]
    yearly_before: Decimal
    yearly_after: Decimal


def line_changes(before: tuple[ContractLine, ...], after: tuple[ContractLine, ...]) -> tuple[LineChange, ...]:
    """Each drafted line beside the current agreement's line of the same name."""
    current = {line.name: line for line in before}
    return tuple(LineChange(name=line.name, before=current.get(line.name), after=line) for line in after)


def describe_line(line: ContractLine | None) -> str:
    if line is None:
        return "(new line)"
    discount = f" - {line.discount_percent.normalize():f} %" if line.discount_percent else ""
    return f"{line.quantity} x {format_nok(line.unit_price)}{discount}"


def describe_write(write: CompletionWrite, *, routine: RoutineSettings, manual_licences: bool) -> str:
    """One of the completion's writes as the plan lists it."""
    match write:
        case MoveDeal():
            return (
                f"HubSpot deal: stage -> {write.stage!r} (close date unchanged; {routine.deal_stage_lost!r} "
                "if the case is rejected or cancelled instead)"
            )
        case SetLicences() if manual_licences:
            return "Avonova Digital: by hand: a person sets the count and confirms it in the form"
        case SetLicences():
            return (
                f"Avonova Digital: customer {write.customer_id}: licences {write.licences_before} -> {write.licences}"
            )
        case SetDownwardAdjustment():
            return f"HubSpot company {write.company_id}: {write.property_name} = {write.removed}"
        case WriteNote():
            return f"HubSpot ticket {write.ticket_id}: the note to order/invoice (below)"
        case AssignTicket():
            return f"HubSpot ticket {write.ticket_id}: owner -> {write.owner} ({write.route.value})"
        case SendMail():
            return f"e-mail to {', '.join(write.message.to)}: {write.message.subject}"
        case _:
            assert_never(write)


def renegotiation_plan(
    request: RenegotiationRequest,
    *,
    ticket: Ticket,
    company: Company,
    contact: Contact | None,
    basis: AgreementBasis,
    routine: RoutineSettings,
    today: date,
    manual_licences: bool = False,
    agent_given: bool = True,
) -> RenegotiationPlan:
    """The writes of a case started today and signed today (the real signing date is not known yet)."""
    current = basis.current
    signer = contact or Contact(id="", email=str(request.signer_email), first_name=request.signer_name or "")
    start = delivery_start_date(today, request.start_date)
    composed = compose_completion(
        basis,
        case_key=PLANNED_CASE,
        company=company,
        ticket=ticket,
        licences=request.licences,
        price_per_licence=request.price_per_licence,
        start_date=start,
        signed_on=today,
        routine=routine,
    )
    completion = composed.decisions
    mails = tuple(
        PlannedMail(kind=mail.step, to=mail.message.to, subject=mail.message.subject) for mail in composed.mails
    )
    drafted = contract_lines(routine, current, licences=request.licences, price_per_licence=request.price_per_licence)
    lines = line_changes(current.lines, drafted)
    agent = str(request.agent_email) if agent_given else "the agent who starts the case (--agent)"
    hubspot = [
        *(
            []
            if contact is not None
            else [f"contact: create {signer.email} ({signer.first_name}), associated with {company.name}"]
        ),
        f"ticket {ticket.id}: associate with the company {company.name} ({company.id}) and the contact {signer.email}",
        f"ticket {ticket.id}: name {ticket.name!r} -> {ticket_name(company.name)!r}",
        f"deal: create {deal_name(company.name)!r} in {routine.deal_pipeline} / {routine.deal_stage}",
        f"deal: {routine.deal_type_property} = {routine.deal_type}; "
        f"owner and {routine.meeting_booker_property} = {agent}",
        f"deal: close date {format_date(deal_close_date(today))}; {routine.delivery_start_property} = "
        f"{format_date(start)}; currency {routine.currency}; amount = {request.licences} (the licence count)",
        f"deal: associate with the contact {signer.email}, the company {company.name} and the ticket {ticket.id}",
        f"ticket {ticket.id}: stage {ticket.stage!r} -> {routine.ticket_stage_sent!r} (once the contract is sent)",
    ]
    dealbuilder = [
        f"contract: draft from the template {routine.contract_template!r}, filled from agreement {current.contract_id}",
        f"contract: sender {routine.contract_sender!r}, booker {routine.contract_booker!r}, signing deadline "
        f"{format_date(signing_deadline(today))}, start {format_date(start)}",
        *(
            f"line {change.name}: {describe_line(change.before)} -> {describe_line(change.after)}"
            + ("" if change.changed else " (unchanged)")
            for change in lines
        ),
        f"contract: sent by e-mail and SMS to {signer.full_name} <{signer.email}> "
        f"{signer.phone or '(no phone number)'} once approved",
    ]
    after_signing = [
        *(describe_write(write, routine=routine, manual_licences=manual_licences) for write in composed.writes),
        *([f"held for a person before these writes: {completion.attention}"] if completion.attention else []),
    ]
    periods = routine.price_periods_per_year
    return RenegotiationPlan(
        company_name=company.name,
        org_number=basis.org_number,
        assumed_signed_on=today,
        lines=lines,
        completion=completion,
        note=composed.note,
        mails=mails,
        sections=(
            PlanSection(system="HubSpot", writes=tuple(hubspot)),
            PlanSection(system="Dealbuilder", writes=tuple(dealbuilder)),
            PlanSection(system=f"After the signature ({completion.direction.value})", writes=tuple(after_signing)),
        ),
        yearly_before=yearly_value(current.licences, current.paid_per_licence, periods),
        yearly_after=yearly_value(request.licences, request.price_per_licence, periods),
    )


def plan_text(plan: RenegotiationPlan) -> str:
    """The plan as the terminal shows it."""
    out = [
        f"Plan for {plan.company_name} (org {plan.org_number}); nothing was written.",
        f"Assuming the contract is signed today, {format_date(plan.assumed_signed_on)}: the real signing date may "
        "change the 36-month rule for sales registration.",
    ]
    for section in plan.sections:
        out += ["", f"== {section.system}", *(f"- {write}" for write in section.writes)]
    out += ["", "The note to order/invoice:", *(f"  {line}" for line in plan.note.splitlines())]
    out += [
        "",
        f"Yearly value: {format_nok(plan.yearly_before)} -> {format_nok(plan.yearly_after)} "
        f"({format_nok(plan.yearly_after - plan.yearly_before)})",
    ]
    return "\n".join(out)
