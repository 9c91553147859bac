"""What the approver sees and what counts as a usable decision: pure functions for the approval form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from models.contract import ContractLine
from models.messages import format_nok


class ApprovalFacts(BaseModel):
    """Everything the approval form shows about one draft."""

    model_config = ConfigDict(frozen=True)

    case_key: str
    attempt: int
    company_name: str
    org_number: str
    signer_name: str
    signer_email: str
    signer_phone: str = ""
    licences_before: int
    licences_after: int
    price_before: Decimal
    price_after: Decimal
    start_date: date
    signing_deadline: date
    lines: tuple[ContractLine, ...]
    preview_url: str
    deal_url: str = ""
    problems: tuple[str, ...] = ()


def approval_description(facts: ApprovalFacts) -> str:
    """The Markdown shown above the Resume form: the draft's content, before and after."""
    problems = "".join(f"> **Ikke godkjent:** {problem}\n" for problem in facts.problems)
    lines = "\n".join(
        f"| {line.name} | {line.quantity} | {format_nok(line.unit_price)} | {line.discount_percent} % |"
        for line in facts.lines
    )
    deal = f" · [deal i HubSpot]({facts.deal_url})" if facts.deal_url else ""
    return (
        f"## Godkjenn reforhandling: {facts.company_name}\n\n"
        f"{problems}"
        f"Sak **{facts.case_key}**, godkjenning nr. {facts.attempt}. Org.nr. {facts.org_number}. "
        f"Signerer: **{facts.signer_name}** ({facts.signer_email}, "
        f"{facts.signer_phone or '**mangler mobilnummer: ingen SMS**'}).\n\n"
        "| | Før | Etter |\n|---|---|---|\n"
        f"| Lisenser | {facts.licences_before} | **{facts.licences_after}** |\n"
        f"| Pris per lisens | {format_nok(facts.price_before)} | **{format_nok(facts.price_after)}** |\n\n"
        f"Oppstartsdato **{facts.start_date.isoformat()}**, signeringsfrist **{facts.signing_deadline.isoformat()}** "
        "(fornyes til 7 dager fra sending).\n\n"
        "| Linje | Antall | Pris | Rabatt |\n|---|---|---|---|\n"
        f"{lines}\n\n"
        f"[Se hele kontrakten]({facts.preview_url}){deal}\n\n"
        "Slå på **approved** og skriv navnet ditt i **approver** for å sende kontrakten på e-post og SMS. "
        "Endre **licences** eller **price_per_licence** for å rette utkastet (du blir spurt igjen); "
        "la **approved** være av for å avvise (utkastet kanselleres og saken lukkes)."
    )


def approval_problems(
    *,
    approver: str,
    licences: int | None,
    price_per_licence: Decimal | None,
    rejecting: bool = False,
    comment: str | None = None,
) -> list[str]:
    """Why a submitted decision cannot be used as it is (empty when it can)."""
    problems = []
    if rejecting and not (comment or "").strip():
        # A rejection revokes the draft and closes the case: make sure it is meant, and say why on the ticket.
        problems.append(
            "approved was off and nothing was corrected: to reject, write the reason in comment; "
            "to send the contract, switch on approved"
        )
    if not approver.strip():
        problems.append("approver is empty; write your name so the decision can be traced")
    if licences is not None and licences < 1:
        problems.append(f"licences: got {licences}; give the corrected count as a whole number of at least 1")
    if price_per_licence is not None and (
        price_per_licence <= 0 or price_per_licence != price_per_licence.quantize(Decimal("0.01"))
    ):
        problems.append(
            f"price_per_licence: got {price_per_licence}; give the corrected NOK price above 0 with at most 2 decimals"
        )
    return problems
