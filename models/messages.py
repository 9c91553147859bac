"""The routine's e-mails, built by pure functions: Norwegian text, plain text plus HTML, deterministic ids."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from models.change import ChangeSummary
from models.mail import MailMessage


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


def sales_registration_message(summary: ChangeSummary, *, recipient: str, months: int = 36) -> MailMessage:
    """Ask the sales-registration contact to register an upward renegotiation as a sale."""
    rows = [
        *_summary_rows(summary),
        (sold_agreement_label(summary), format_date(summary.sold_signed_on)),
        ("Ny avtale signert", format_date(summary.signed_on)),
        ("Deal i HubSpot", summary.deal_url),
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
            f"Salgsregistrering: {summary.company_name} – {summary.licences_before} → {summary.licences_after} lisenser"
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
        ("Deal i HubSpot", summary.deal_url),
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
        closing_html=f"Se {_link(summary.deal_url, 'dealen i HubSpot')}.",
        signer="Kundesenteret",
    )


def approval_needed_message(
    *,
    case_key: str,
    company_name: str,
    org_number: str,
    licences_before: int,
    licences_after: int,
    price_before: Decimal,
    price_after: Decimal,
    start_date: date,
    original_signed_on: date,
    deal_url: str,
    recipient: str,
    run_url: str,
    new_signed_on: date | None = None,
) -> MailMessage:
    """Tell the agent a drafted contract waits for approval in Prefect before it is sent."""
    rows = _change_rows(
        company_name=company_name,
        org_number=org_number,
        licences_before=licences_before,
        licences_after=licences_after,
        price_before=price_before,
        price_after=price_after,
        start_date=start_date,
    )
    rows.append(("Opprinnelig avtale signert", format_date(original_signed_on)))
    if new_signed_on is not None:
        rows.append(("Ny avtale signert", format_date(new_signed_on)))
    rows += [("Deal i HubSpot", deal_url), ("Godkjenning", run_url)]
    intro = (
        f"Kontrakten for reforhandlingen med {company_name} er klar. Kontroller forhåndsvisningen og godkjenn "
        "den før den sendes til kunden på e-post og SMS."
    )
    return _compose(
        kind="approval-needed",
        case_key=case_key,
        recipient=recipient,
        subject=f"Godkjenning trengs: reforhandling for {company_name}",
        intro=intro,
        rows=rows,
        closing_text=f"Godkjenn eller avvis her: {run_url}",
        closing_html=f"{_link(run_url, 'Godkjenn eller avvis kontrakten')}.",
        signer="Reforhandlingsrutinen",
    )
