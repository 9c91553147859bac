"""The routine's e-mails, built by pure functions: Norwegian text, plain text plus HTML, deterministic ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from models.case import Case
from models.change import ChangeSummary, yearly_value
from models.mail import MailMessage
from models.notices import Notice
from models.text import one_line


def format_nok(amount: Decimal) -> str:
    """Format an amount the Norwegian way: `1 234,50 kr`."""
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, fraction = f"{abs(rounded):.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{' '.join(groups)},{fraction} kr"


def format_date(day: date) -> str:
    """Format a date the Norwegian way: `04.10.2024`."""
    return day.strftime("%d.%m.%Y")


def message_id(case_key: str, kind: str) -> str:
    """The deterministic Message-ID of one kind of e-mail for one case, so a resend can be recognised."""
    # A Message-ID's left part may not carry spaces, angle brackets or a second @.
    safe = re.sub(r"[^A-Za-z0-9._\-+=]", "-", case_key)
    return f"<{safe}.{kind}@reforhandling>"


def _table(rows: list[tuple[str, str]]) -> tuple[str, str]:
    width = max(len(label) for label, _ in rows)
    text = "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in rows)
    cells = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{escape(label)}</th><td>{escape(value)}</td></tr>'
        for label, value in rows
    )
    return text, f'<table style="border-collapse:collapse">{cells}</table>'


def _link(url: str, label: str) -> str:
    return f'<a href="{escape(url, quote=True)}">{escape(label)}</a>'


def _html(paragraphs_before: list[str], table: str, paragraphs_after: list[str]) -> str:
    before = "".join(f"<p>{p}</p>" for p in paragraphs_before)
    after = "".join(f"<p>{p}</p>" for p in paragraphs_after)
    return (
        '<!DOCTYPE html><html lang="no"><head><meta charset="utf-8"></head>'
        f'<body style="font-family:Arial,sans-serif">{before}{table}{after}</body></html>'
    )


def _compose(
    *,
    kind: str,
    case_key: str,
    recipient: str,
    subject: str,
    intro: str,
    rows: list[tuple[str, str]],
    closing_text: str,
    closing_html: str,
    signer: str,
) -> MailMessage:
    """One of the routine's e-mails: greeting, intro, the table of figures, a closing line and the signature."""
    text_table, html_table = _table(rows)
    text_parts = [
        "Hei,",
        intro,
        text_table,
        closing_text,
        f"Vennlig hilsen\n{signer} (automatisk melding, sak {case_key})",
    ]
    html = _html(
        ["Hei,", escape(intro)],
        html_table,
        [closing_html, f"Vennlig hilsen<br>{escape(signer)} (automatisk melding, sak {escape(case_key)})"],
    )
    text = "\n\n".join(part for part in text_parts if part) + "\n"
    return MailMessage(message_id=message_id(case_key, kind), to=(recipient,), subject=subject, text=text, html=html)


def _change_rows(
    *,
    company_name: str,
    org_number: str,
    licences_before: int,
    licences_after: int,
    price_before: Decimal,
    price_after: Decimal,
    start_date: date,
) -> list[tuple[str, str]]:
    return [
        ("Kunde", company_name),
        ("Organisasjonsnummer", org_number),
        ("Lisenser før", str(licences_before)),
        ("Lisenser etter", str(licences_after)),
        ("Pris per lisens før", format_nok(price_before)),
        ("Pris per lisens etter", format_nok(price_after)),
        ("Oppstartsdato", format_date(start_date)),
    ]


def _summary_rows(summary: ChangeSummary) -> list[tuple[str, str]]:
    return _change_rows(
        company_name=summary.company_name,
        org_number=summary.org_number,
        licences_before=summary.licences_before,
        licences_after=summary.licences_after,
        price_before=summary.price_before,
        price_after=summary.price_after,
        start_date=summary.start_date,
    )


def sold_agreement_label(summary: ChangeSummary) -> str:
    """The row label of the date the 36-month rule used, saying when it is not a sold agreement's."""
    if summary.sold_is_fallback:
        return "Eldste signerte avtale (ingen solgt avtale funnet)"
    return "Solgt avtale signert"


def contract_reference(summary: ChangeSummary) -> str:
    """The signed contract as a person finds it: Dealbuilder's document id and its link."""
    return " ".join(part for part in (summary.contract_id, summary.contract_url) if part) or "-"


def where_to_look(summary: ChangeSummary) -> list[tuple[str, str]]:
    """The links every handover carries: the case, the deal, the ticket and the signed contract."""
    return [
        ("Sak", summary.case_key),
        ("Deal i HubSpot", summary.deal_url or "-"),
        ("Ticket i HubSpot", summary.ticket_url or "-"),
        ("Signert kontrakt i Dealbuilder", contract_reference(summary)),
    ]


def _links_html(summary: ChangeSummary) -> str:
    links = [
        _link(url, label)
        for url, label in (
            (summary.deal_url, "dealen i HubSpot"),
            (summary.ticket_url, "ticketen i HubSpot"),
            (summary.contract_url, "den signerte kontrakten i Dealbuilder"),
        )
        if url
    ]
    return ", ".join(links)


def sales_registration_message(
    summary: ChangeSummary, *, recipient: str, months: int = 36, periods_per_year: int = 1
) -> MailMessage:
    """Ask the sales-registration contact to register an upward renegotiation as a sale: whose sale it is (the
    sold agreement, its seller and booker), what was added and the new yearly value, and where to look."""
    seller = one_line(summary.sold_sender) or "ukjent"
    rows = [
        *_summary_rows(summary),
        ("Lisenser lagt til", str(summary.licences_added)),
        (
            "Ny årsverdi",
            format_nok(yearly_value(summary.licences_after, summary.price_after, periods_per_year)),
        ),
        ("Solgt avtale", one_line(summary.sold_contract_id) or "-"),
        (sold_agreement_label(summary), format_date(summary.sold_signed_on)),
        ("Selger (avsender)", seller),
        ("Booker", one_line(summary.sold_booker) or "ukjent"),
        ("Ny avtale signert", format_date(summary.signed_on)),
        *where_to_look(summary),
    ]
    basis = (
        "Ingen avtale solgt av en selger ble funnet i Dealbuilder, så den eldste signerte avtalen er brukt"
        if summary.sold_is_fallback
        else "Avtalen en selger solgte"
    )
    intro = (
        f"{summary.company_name} har signert en reforhandlet avtale om Avonova Assist med flere lisenser. "
        f"{basis} er signert for mindre enn {months} måneder siden, så salget skal registreres."
    )
    return _compose(
        kind="sales-registration",
        case_key=summary.case_key,
        recipient=recipient,
        subject=(
            f"Salgsregistrering: {summary.company_name} – {summary.licences_before} → {summary.licences_after} "
            f"lisenser (selger {seller})"
        ),
        intro=intro,
        rows=rows,
        closing_text="Registrer salget på dealen i HubSpot.",
        closing_html=f"Registrer salget på {_link(summary.deal_url, 'dealen i HubSpot')}.",
        signer="Kundesenteret",
    )


def csc_handover_message(summary: ChangeSummary, *, recipient: str) -> MailMessage:
    """Hand a large downward adjustment over to the customer success centre."""
    removed = summary.licences_before - summary.licences_after
    rows = [
        *_summary_rows(summary),
        ("Nedjustering", f"{removed} lisenser"),
        ("Ny avtale signert", format_date(summary.signed_on)),
        *where_to_look(summary),
    ]
    intro = (
        f"{summary.company_name} har signert en reforhandlet avtale om Avonova Assist som reduserer antall lisenser "
        f"med {removed}. Saken overleveres til CSC for oppfølging av kunden."
    )
    return _compose(
        kind="csc-handover",
        case_key=summary.case_key,
        recipient=recipient,
        subject=(
            f"Overlevering til CSC: {summary.company_name} – nedjustering fra {summary.licences_before} "
            f"til {summary.licences_after} lisenser"
        ),
        intro=intro,
        rows=rows,
        closing_text="",
        closing_html=f"Se {links}." if (links := _links_html(summary)) else "",
        signer="Kundesenteret",
    )


@dataclass(frozen=True)
class NoticeLinks:
    run_url: str  # the run in the Prefect UI: its Resume dialog, or its Retry button
    deal_url: str = ""
    ticket_url: str = ""


# Subject, first paragraph and the line with the run link, per notice; {company}, {detail}, {deadline} filled in.
_NOTICE_TEXTS: dict[Notice, tuple[str, str, str]] = {
    Notice.APPROVAL_NEEDED: (
        "Godkjenning trengs: reforhandling for {company}",
        "Kontrakten for reforhandlingen med {company} er klar. Kontroller forhåndsvisningen og godkjenn den før den "
        "sendes til kunden på e-post og SMS.",
        "Godkjenn eller avvis her",
    ),
    Notice.APPROVAL_REMINDER: (
        "Påminnelse: kontrakten for {company} venter på godkjenning",
        "Kontrakten for reforhandlingen med {company} har ventet på godkjenning i {detail}.",
        "Godkjenn eller avvis her",
    ),
    Notice.APPROVAL_ESCALATION: (
        "Eskalering: kontrakten for {company} har ventet på godkjenning i {detail}",
        "Kontrakten for reforhandlingen med {company} har ventet på godkjenning i {detail}, og saksbehandleren er "
        "påminnet. Godkjenn, avvis eller følg opp.",
        "Saken i Prefect",
    ),
    Notice.DECISION_NEEDED: (
        "Beslutning trengs: kontrakten for {company} er ikke signert ({detail})",
        "Kunden har ikke signert kontrakten ({detail}). Forleng fristen og send på nytt, eller avbryt saken.",
        "Bestem her",
    ),
    Notice.DECISION_REMINDER: (
        "Påminnelse: kontrakten for {company} venter på en beslutning",
        "Kunden har ikke signert kontrakten for reforhandlingen med {company}, og saken har ventet på en beslutning "
        "i {detail}. Forleng fristen og send på nytt, eller avbryt saken.",
        "Bestem her",
    ),
    Notice.DECISION_ESCALATION: (
        "Eskalering: kontrakten for {company} har ventet på en beslutning i {detail}",
        "Kunden har ikke signert kontrakten for reforhandlingen med {company}, og saken har ventet på en beslutning "
        "i {detail}; saksbehandleren er påminnet. Bestem, eller følg opp.",
        "Saken i Prefect",
    ),
    Notice.LICENCE_CONFIRMATION: (
        "Bekreft lisenser: {company}",
        "Kontrakten med {company} er signert. Sett antall lisenser i Avonova Digital som vist under, og bekreft.",
        "Bekreft her",
    ),
    Notice.LICENCE_REMINDER: (
        "Påminnelse: bekreft lisenser for {company}",
        "Kontrakten med {company} er signert, og antall lisenser i Avonova Digital har ventet på bekreftelse i "
        "{detail}. Sett antall lisenser som vist under, og bekreft.",
        "Bekreft her",
    ),
    Notice.LICENCE_ESCALATION: (
        "Eskalering: lisensene for {company} har ventet på bekreftelse i {detail}",
        "Kontrakten med {company} er signert, og antall lisenser i Avonova Digital har ventet på bekreftelse i "
        "{detail}; saksbehandleren er påminnet. Bekreft, eller følg opp.",
        "Saken i Prefect",
    ),
    Notice.DEADLINE_HEADS_UP: (
        "Signeringsfristen nærmer seg: {company} ({deadline})",
        "Kunden har ikke signert kontrakten ennå, og fristen går ut {deadline}. Minn gjerne kunden på den.",
        "Saken i Prefect",
    ),
    Notice.WRITE_SUPERSEDED: (
        "Annen verdi beholdt: {company}",
        "Noen andre endret et felt mens rutinen skrev til det, og deres verdi er beholdt: {detail}. Kontroller at "
        "verdien er riktig.",
        "Saken i Prefect",
    ),
    Notice.NEEDS_ATTENTION: (
        "Sak trenger oppfølging: {company}",
        "Kjøringen av saken stoppet: {detail}",
        "Rett årsaken, og trykk Retry her",
    ),
}


def notice_kind(message_id: str) -> Notice | None:
    """Which notice an e-mail is, from its Message-ID (`<case.approval-needed-approval-1@...>`); None for the
    routine's own e-mails (sales registration, CSC handover)."""
    kind = message_id.strip("<>").split("@")[0].rsplit(".", 1)[-1]
    return next((notice for notice in Notice if kind.startswith(f"{notice}-")), None)


def notice_message(
    notice: Notice, case: Case, *, step: str, recipient: str, links: NoticeLinks, detail: str = ""
) -> MailMessage:
    """A notification about one step of a case: what is needed, the case summary, and the link to its run."""
    company = one_line(case.company_name) or f"sak {case.case_key}"
    deadline = format_date(case.signing_deadline) if case.signing_deadline else "-"
    subject, intro, action = (
        text.format(company=company, detail=one_line(detail), deadline=deadline) for text in _NOTICE_TEXTS[notice]
    )
    rows = [("Sak", case.case_key), ("Steg", step), ("Kunde", company)]
    if case.licences_before is not None:
        rows.append(("Lisenser før", str(case.licences_before)))
    rows.append(("Lisenser etter", str(case.licences_after)))
    if case.price_before is not None:
        rows.append(("Pris per lisens før", format_nok(case.price_before)))
    rows.append(("Pris per lisens etter", format_nok(case.price_after)))
    if case.start_date is not None:
        rows.append(("Oppstartsdato", format_date(case.start_date)))
    if case.signing_deadline is not None:
        rows.append(("Signeringsfrist", deadline))
    rows.append(("Saksbehandler", case.agent_email))
    rows += [
        (label, url) for label, url in (("Deal i HubSpot", links.deal_url), ("Sak i HubSpot", links.ticket_url)) if url
    ]
    rows.append(("Kjøring i Prefect", links.run_url))
    return _compose(
        kind=f"{notice}-{step}",
        case_key=case.case_key,
        recipient=recipient,
        subject=subject,
        intro=intro,
        rows=rows,
        closing_text=f"{action}: {links.run_url}",
        closing_html=f"{_link(links.run_url, action)}.",
        signer="Reforhandlingsrutinen",
    )
