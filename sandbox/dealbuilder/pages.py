"""HTML of the Dealbuilder sandbox's public pages: the contract preview and the signatory's signing page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from adapters import dealbuilder_api as api

_STYLE = (
    "body{font-family:Arial,sans-serif;max-width:760px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}"
    ".status{display:inline-block;padding:2px 8px;border-radius:4px;background:#eef}"
    "button{font-size:1.1em;padding:8px 20px;margin-right:12px;cursor:pointer}"
    ".sign{background:#1a7f37;color:#fff;border:0}.decline{background:#b42318;color:#fff;border:0}"
    ".outcome{padding:12px;background:#f4f4f4;border-left:4px solid #888}"
)

_STATUS_NO = {
    api.STATUS_DRAFT: "Utkast",
    api.STATUS_SENT: "Sendt",
    api.STATUS_VIEWED: "Åpnet",
    api.STATUS_SIGNED: "Signert",
    api.STATUS_DECLINED: "Avvist",
    api.STATUS_EXPIRED: "Utløpt",
    api.STATUS_REVOKED: "Trukket tilbake",
}


def format_nok(amount: Decimal) -> str:
    """Money as Dealbuilder's pages show it: `1 234,50 kr` (the sandbox's own, not the routine's)."""
    whole, fraction = f"{amount.quantize(Decimal('0.01')):,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{fraction} kr"


def format_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _status_no(status: str) -> str:
    return _STATUS_NO.get(status, status)


def _date(value: Any) -> str:
    return format_date(date.fromisoformat(str(value))) if value else "–"


def contract_html(document: dict[str, Any]) -> str:
    """The contract body: parties, terms, products and dates."""
    customer = document.get(api.D_CUSTOMER) or {}
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} %</td><td>{}</td></tr>".format(
            escape(str(product[api.PR_NAME])),
            int(product[api.PR_QUANTITY]),
            format_nok(Decimal(str(product[api.PR_UNIT_PRICE]))),
            escape(str(product.get(api.PR_DISCOUNT, "0"))),
            format_nok(_line_total(product)),
        )
        for product in document.get(api.D_PRODUCTS) or []
    )
    total = sum((_line_total(product) for product in document.get(api.D_PRODUCTS) or []), Decimal("0"))
    terms = "".join(
        f"<tr><th>{escape(str(field[api.F_NAME]))}</th><td>{escape(str(field[api.F_VALUE]))}</td></tr>"
        for field in document.get(api.D_CUSTOM_FIELDS) or []
        if field[api.F_NAME] not in api.OWN_CUSTOM_FIELDS
    )
    signers = ", ".join(
        f"{escape(str(s[api.S_NAME]))} &lt;{escape(str(s[api.S_EMAIL]))}&gt;"
        for s in document.get(api.D_SIGNATORIES) or []
    )
    return (
        f"<h1>{escape(str(document.get(api.D_TITLE, '')))}</h1>"
        f"<p>Mal: {escape(str(document.get(api.D_TEMPLATE_NAME, '')))} · Dokument {escape(str(document[api.D_ID]))} · "
        f'Status <span class="status">{escape(_status_no(str(document[api.D_STATUS])))}</span></p>'
        "<h2>Kunde</h2><table>"
        f"<tr><th>Navn</th><td>{escape(str(customer.get(api.C_NAME, '')))}</td></tr>"
        f"<tr><th>Organisasjonsnummer</th><td>{escape(str(customer.get(api.C_ORG_NUMBER, '')))}</td></tr>"
        f"<tr><th>Adresse</th><td>{escape(str(customer.get(api.C_ADDRESS, '')))}, "
        f"{escape(str(customer.get(api.C_POSTAL_CODE, '')))} {escape(str(customer.get(api.C_CITY, '')))}</td></tr>"
        f"<tr><th>Signatar</th><td>{signers}</td></tr></table>"
        "<h2>Produkter</h2><table><tr><th>Produkt</th><th>Antall</th><th>Pris</th><th>Rabatt</th><th>Sum</th></tr>"
        f"{rows}<tr><th colspan=4>Totalt per år</th><th>{format_nok(total)}</th></tr></table>"
        "<h2>Vilkår</h2><table>"
        f"<tr><th>Oppstartsdato</th><td>{_date(document.get(api.D_START_DATE))}</td></tr>"
        f"<tr><th>Signeringsfrist</th><td>{_date(document.get(api.D_VALID_UNTIL))}</td></tr>"
        f"<tr><th>Avsender</th><td>{escape(str(document.get(api.D_SENDER, '')))}</td></tr>"
        f"<tr><th>Booker</th><td>{escape(str(document.get(api.D_BOOKER, '')))}</td></tr>"
        f"{terms}</table>"
    )


def _line_total(product: dict[str, Any]) -> Decimal:
    gross = Decimal(str(product[api.PR_UNIT_PRICE])) * int(product[api.PR_QUANTITY])
    return gross * (Decimal("100") - Decimal(str(product.get(api.PR_DISCOUNT, "0")))) / Decimal("100")


def page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="no"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def preview_page(document: dict[str, Any]) -> str:
    return page(f"Forhåndsvisning: {document.get(api.D_TITLE, '')}", contract_html(document))


def signing_page(document: dict[str, Any], *, action_url: str, outcome: str = "") -> str:
    """The signatory's page: the contract, and Sign / Decline buttons while it can still be signed."""
    status = str(document[api.D_STATUS])
    if outcome:
        footer = f'<p class="outcome">{escape(outcome)}</p>'
    elif status in {api.STATUS_SENT, api.STATUS_VIEWED}:
        footer = (
            f'<form method="post" action="{escape(action_url, quote=True)}">'
            '<button class="sign" name="action" value="sign" type="submit">Signer</button>'
            '<button class="decline" name="action" value="decline" type="submit">Avvis</button></form>'
        )
    else:
        footer = f'<p class="outcome">Kontrakten kan ikke signeres: {escape(_STATUS_NO.get(status, status))}.</p>'
    return page(f"Signering: {document.get(api.D_TITLE, '')}", contract_html(document) + footer)


def inbox_page(deliveries: list[dict[str, Any]]) -> str:
    """What the signers received, newest first: a stand-in for their mailbox, with the signing links."""
    rows = "".join(
        f"<tr><td>{escape(str(d.get('at', ''))[:16])}</td><td>{escape(str(d.get('to', '')))}</td>"
        f"<td>{escape(str(d.get('documentId', '')))}</td>"
        f'<td><a href="{escape(str(d.get("signingUrl", "")), quote=True)}">Åpne og signer</a></td></tr>'
        for d in reversed(deliveries)
        if d.get("channel") == "email"
    )
    body = (
        "<h1>Sendte kontrakter</h1>"
        + (f"<table><tr><th>Sendt</th><th>Til</th><th>Kontrakt</th><th></th></tr>{rows}</table>" if rows else "")
        + ("" if rows else "<p>Ingen kontrakter er sendt ennå. Godkjenn saken i Prefect først.</p>")
    )
    return page("Sendte kontrakter", body)


def outcome_text(status: str) -> str:
    return {
        api.STATUS_SIGNED: "Takk! Kontrakten er signert.",
        api.STATUS_DECLINED: "Kontrakten er avvist.",
    }.get(status, f"Status: {_STATUS_NO.get(status, status)}")
