"""The renegotiation contract's content, derived from the current agreement and the request (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models.agreement import Agreement
from models.contract import ContractDraft, ContractLine, Signer
from models.crm import Contact
from models.rules import delivery_start_date, signing_deadline
from reforhandling.settings import RoutineSettings


def contract_lines(routine: RoutineSettings, *, licences: int, price_per_licence: Decimal) -> tuple[ContractLine, ...]:
    """The licences at the new price, and digital onboarding at 100 % discount."""
    return (
        ContractLine(name=routine.licence_line, quantity=licences, unit_price=price_per_licence),
        ContractLine(
            name=routine.onboarding_line,
            quantity=1,
            unit_price=routine.onboarding_price,
            discount_percent=Decimal("100"),
        ),
    )


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
    """Everything as in the original agreement, except price, licence count and start date."""
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
        lines=contract_lines(routine, licences=licences, price_per_licence=price_per_licence),
    )
