"""What the approver sees and what counts as a usable decision: pure functions for the approval form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from models.approvers import as_listed
from models.change import yearly_value
from models.contract import ContractLine
from models.markdown import md_text
from models.messages import format_date, format_nok
from models.renegotiation import RequestLimits, licence_problem, price_problem


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
    start_date: date | None
    signing_deadline: date | None
    lines: tuple[ContractLine, ...]
    preview_url: str
    sold_signed_on: date
    sold_is_fallback: bool = False
    deal_url: str = ""
    problems: tuple[str, ...] = ()
    periods_per_year: int = 1  # routine.price_periods_per_year, for the yearly value


NO_PHONE = "**mangler mobilnummer: kontrakten sendes bare på e-post**"


def _day(day: date | None) -> str:
    return format_date(day) if day else "**mangler i utkastet**"


def _discount(percent: Decimal) -> str:
    return f"{percent.normalize():f} %"


def approval_description(facts: ApprovalFacts) -> str:
    """The Markdown shown above the Resume form: the key figures first, in a few short lines (the dialog shows only
    the top of it without scrolling), then who signs, the draft's lines as Dealbuilder holds them, and the links."""
    problems = "".join(f"> **Ikke godkjent:** {problem}\n" for problem in facts.problems)
    lines = "\n".join(
        f"| {md_text(line.name)} | {line.quantity} | {format_nok(line.unit_price)} "
        f"| {_discount(line.discount_percent)} | {format_nok(line.paid_unit_price)} |"
        for line in facts.lines
    )
    deal = f" · [deal i HubSpot]({facts.deal_url})" if facts.deal_url else ""
    sold = (
        f"Ingen avtale solgt av en selger finnes i Dealbuilder: 36-månedersregelen regnes fra den eldste signerte "
        f"avtalen, signert **{format_date(facts.sold_signed_on)}**."
        if facts.sold_is_fallback
        else f"Solgt avtale signert **{format_date(facts.sold_signed_on)}** (36-månedersregelen regnes herfra)."
    )
    periods = facts.periods_per_year
    yearly_before = yearly_value(facts.licences_before, facts.price_before, periods)
    yearly_after = yearly_value(facts.licences_after, facts.price_after, periods)
    # Two trailing spaces: a line break inside one paragraph, so the key figures take four short lines.
    return (
        f"## Godkjenn reforhandling: {md_text(facts.company_name)}\n\n"
        f"{problems}\n"
        f"**Lisenser:** {facts.licences_before} → **{facts.licences_after}**  \n"
        f"**Pris per lisens:** {format_nok(facts.price_before)} → **{format_nok(facts.price_after)}** "
        "(det kunden betaler)  \n"
        f"**Oppstart:** **{_day(facts.start_date)}**, signeringsfrist **{_day(facts.signing_deadline)}** "
        "(fornyes til 7 dager fra sending)  \n"
        f"**Årsverdi:** {format_nok(yearly_before)} → **{format_nok(yearly_after)}**\n\n"
        f"Sak **{facts.case_key}**, godkjenning nr. {facts.attempt}. Org.nr. {md_text(facts.org_number)}. "
        f"Signerer: **{md_text(facts.signer_name)}** ({md_text(facts.signer_email)}, "
        f"{md_text(facts.signer_phone) if facts.signer_phone else NO_PHONE}). {sold}\n\n"
        "Linjene i utkastet, slik Dealbuilder har dem:\n\n"
        "| Linje | Antall | Pris | Rabatt | Kunden betaler |\n|---|---|---|---|---|\n"
        f"{lines}\n\n"
        f"[Se hele kontrakten]({facts.preview_url}){deal}\n\n"
        "Slå på **Godkjent** og velg deg selv i **Godkjent av** for å sende kontrakten på e-post og SMS. "
        "Endre **Antall lisenser** eller **Pris per lisens** for å rette utkastet (du blir spurt igjen); "
        "la **Godkjent** være av og skriv hvorfor i **Kommentar** for å avvise (utkastet kanselleres og saken lukkes)."
    )


def approval_problems(
    *,
    approver: str,
    licences: int | None,
    price_per_licence: Decimal | None,
    rejecting: bool = False,
    comment: str | None = None,
    limits: RequestLimits | None = None,
    approvers: Sequence[str] = (),
    unreadable: Sequence[str] = (),
) -> list[str]:
    """Why a submitted decision cannot be used as it is (empty when it can); the same bounds as a request's.
    `unreadable` names the corrections that came as no number at all (NaN or an infinity)."""
    limits = limits or RequestLimits()
    problems = []
    if rejecting and not (comment or "").strip():
        # A rejection revokes the draft and closes the case: make sure it is meant, and say why on the ticket.
        problems.append(
            "Godkjent var av og ingenting var rettet: for å avvise, skriv grunnen i Kommentar; "
            "for å sende kontrakten, slå på Godkjent"
        )
    problems += answerer_problems(approver, approvers, title="Godkjent av")
    problems += [
        f"{_FIELD_TITLES[name]}: fikk ikke et tall (NaN eller uendelig); {_FIELD_ASKS[name]}" for name in unreadable
    ]
    if licences is not None and (problem := licence_problem(licences, limits)):
        problems.append(f"Antall lisenser: fikk {licences}; {problem}")
    if price_per_licence is not None and (problem := price_problem(price_per_licence, limits)):
        problems.append(f"Pris per lisens: fikk {md_text(price_per_licence)}; {problem}")
    return problems


_FIELD_TITLES = {"licences": "Antall lisenser", "price_per_licence": "Pris per lisens"}
_FIELD_ASKS = {
    "licences": "skriv det nye antallet lisenser, eller la feltet stå tomt",
    "price_per_licence": "skriv den nye prisen i kroner, f.eks. 449.50, eller la feltet stå tomt",
}


def answerer_problems(person: str, approvers: Sequence[str], *, title: str) -> list[str]:
    """Why `person` may not answer a form whose answerer field is titled `title` (empty when they may): every
    answer names someone, and only someone on the approvers list (anyone, when the list is empty)."""
    if not person.strip():
        return [f"{title} er tom; skriv navnet ditt så avgjørelsen kan spores"]
    if not may_decide(person, approvers):
        return [f"{title}: {md_text(person)} står ikke på listen over godkjennere; be en godkjenner om å avgjøre saken"]
    return []


def may_decide(person: str, approvers: Sequence[str]) -> bool:
    """True when `person` is on the approvers list (e-mails or names, compared as `as_listed` does); an empty list
    allows anyone."""
    return as_listed(person, approvers) is not None


def follow_up_description(case_key: str, company_name: str, outcome: str, raw_status: str) -> str:
    """The Markdown above the form a person answers after a decline or expiry."""
    cancelled = outcome == "CANCELED"
    return (
        f"## Kontrakten ble ikke signert: {outcome}\n\n"
        f"{md_text(company_name)}, sak **{case_key}**, status hos Dealbuilder: `{md_text(raw_status)}`.\n\n"
        + (
            "Kontrakten er kansellert i Dealbuilder og kan ikke sendes på nytt: velg **cancel** for å lukke saken."
            if cancelled
            else "Velg **extend_and_resend** for å gi kunden 7 nye dager og sende på nytt, "
            "eller **cancel** for å kansellere kontrakten og lukke saken."
        )
    )


def licence_confirmation_description(customer_id: str, licences: int, *, retry: bool) -> str:
    """The Markdown above the form that confirms a licence count set by hand in Avonova Digital."""
    return (
        f"## Sett antall lisenser i Avonova Digital\n\nKunde (org.nr.) **{md_text(customer_id)}**: "
        f"sett antall tilganger til **{licences}**, og bekreft her med samme tall og navnet ditt."
        + (
            "\n\n> Forrige bekreftelse hadde et annet tall, manglet navn eller kom fra noen som ikke står på listen "
            "over godkjennere."
            if retry
            else ""
        )
    )
