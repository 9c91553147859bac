"""The renegotiation contract's content, derived from the current agreement and the request (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from config.settings import RoutineSettings
from models.agreement import Agreement, ContractLine
from models.contract import ContractDraft, Signer
from models.crm import Contact
from models.rules import delivery_start_date, signing_deadline

FULL_DISCOUNT = Decimal("100")


def contract_lines(
    routine: RoutineSettings, agreement: Agreement, *, licences: int, price_per_licence: Decimal
) -> tuple[ContractLine, ...]:
    """Every line of the current agreement as signed, except the licence line (the new count at the new price,
    which is what the customer pays, so without a discount) and digital onboarding (added, or set, at 100 %)."""
    lines: list[ContractLine] = []
    for line in agreement.lines:
        if line.name == routine.licence_line:
            line = ContractLine(name=line.name, quantity=licences, unit_price=price_per_licence)
        elif line.name == routine.onboarding_line:
            line = line.model_copy(update={"discount_percent": FULL_DISCOUNT})
        lines.append(line)
    names = {line.name for line in lines}
    if routine.licence_line not in names:
        lines.insert(0, ContractLine(name=routine.licence_line, quantity=licences, unit_price=price_per_licence))
    if routine.onboarding_line not in names:
        lines.append(
            ContractLine(
                name=routine.onboarding_line,
                quantity=1,
                unit_price=routine.onboarding_price,
                discount_percent=FULL_DISCOUNT,
            )
        )
    return tuple(lines)


def renegotiation_draft(
    routine: RoutineSettings,
    *,
    case_key: str,
    deal_id: str,
    agreement: Agreement,
    signer: Contact,
    company_name: str,
    licences: int,
    price_per_licence: Decimal,
    agreed_start: date | None,
    today: date,
) -> ContractDraft:
    """Everything as in the current agreement, except price, licence count and start date."""
    return ContractDraft(
        case_key=case_key,
        deal_id=deal_id,
        template=routine.contract_template,
        title=f"{routine.contract_template} - {company_name.strip()}",
        agreement=agreement,
        signer=Signer(name=signer.full_name, email=signer.email, phone=signer.phone),
        licences=licences,
        price_per_licence=price_per_licence,
        start_date=delivery_start_date(today, agreed_start),
        signing_deadline=signing_deadline(today),
        sender=routine.contract_sender,
        booker=routine.contract_booker,
        lines=contract_lines(routine, agreement, licences=licences, price_per_licence=price_per_licence),
    )
