"""The Dealbuilder sandbox's public pages (contract preview, signing page, the signers' inbox) as Jinja2 templates
in templates/, autoescaped; this module turns a stored document into what the templates show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from adapters import dealbuilder_api as api

_STATUS_NO = {
    api.STATUS_DRAFT: "Utkast",
    api.STATUS_SENT: "Sendt",
    api.STATUS_VIEWED: "Åpnet",
    api.STATUS_SIGNED: "Signert",
    api.STATUS_DECLINED: "Avvist",
    api.STATUS_EXPIRED: "Utløpt",
    api.STATUS_REVOKED: "Trukket tilbake",
}


def _escaped(value: Any) -> Any:
    """Escape every value as html.escape does (`&quot;`, `&#x27;`), as the pages always have; markup stays."""
    return value if hasattr(value, "__html__") else Markup(escape(str(value)))


_templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("sandbox.dealbuilder", "templates"),
        autoescape=True,
        finalize=_escaped,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


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


def _line_total(product: dict[str, Any]) -> Decimal:
    gross = Decimal(str(product[api.PR_UNIT_PRICE])) * int(product[api.PR_QUANTITY])
    return gross * (Decimal("100") - Decimal(str(product.get(api.PR_DISCOUNT, "0")))) / Decimal("100")


def contract(document: dict[str, Any]) -> dict[str, Any]:
    """What the contract part of a page shows: parties, terms, products and dates."""
    customer = document.get(api.D_CUSTOMER) or {}
    products = document.get(api.D_PRODUCTS) or []
    return {
        "title": document.get(api.D_TITLE, ""),
        "template": document.get(api.D_TEMPLATE_NAME, ""),
        "id": document[api.D_ID],
        "status": _status_no(str(document[api.D_STATUS])),
        "customer": {
            "name": customer.get(api.C_NAME, ""),
            "org_number": customer.get(api.C_ORG_NUMBER, ""),
            "address": customer.get(api.C_ADDRESS, ""),
            "postal_code": customer.get(api.C_POSTAL_CODE, ""),
            "city": customer.get(api.C_CITY, ""),
        },
        "signers": [{"name": s[api.S_NAME], "email": s[api.S_EMAIL]} for s in document.get(api.D_SIGNATORIES) or []],
        "products": [
            {
                "name": product[api.PR_NAME],
                "quantity": int(product[api.PR_QUANTITY]),
                "price": format_nok(Decimal(str(product[api.PR_UNIT_PRICE]))),
                "discount": product.get(api.PR_DISCOUNT, "0"),
                "total": format_nok(_line_total(product)),
            }
            for product in products
        ],
        "total": format_nok(sum((_line_total(product) for product in products), Decimal("0"))),
        "start_date": _date(document.get(api.D_START_DATE)),
        "deadline": _date(document.get(api.D_VALID_UNTIL)),
        "sender": document.get(api.D_SENDER, ""),
        "booker": document.get(api.D_BOOKER, ""),
        "terms": [
            (field[api.F_NAME], field[api.F_VALUE])
            for field in document.get(api.D_CUSTOM_FIELDS) or []
            if field[api.F_NAME] not in api.OWN_CUSTOM_FIELDS
        ],
    }


def message_page(request: Request, title: str, message: str, *, status_code: int) -> Response:
    return _templates.TemplateResponse(request, "page.html", {"title": title, "message": message}, status_code)


def preview_page(request: Request, document: dict[str, Any]) -> Response:
    return _templates.TemplateResponse(request, "preview.html", {"c": contract(document)})


def signing_page(
    request: Request, document: dict[str, Any], *, action_url: str, outcome: str = "", status_code: int = 200
) -> Response:
    """The signatory's page: the contract, and Sign / Decline buttons while it can still be signed."""
    context = {
        "c": contract(document),
        "outcome": outcome,
        "signable": str(document[api.D_STATUS]) in {api.STATUS_SENT, api.STATUS_VIEWED},
        "action_url": action_url,
    }
    return _templates.TemplateResponse(request, "signing.html", context, status_code)


def inbox_page(request: Request, deliveries: list[dict[str, Any]]) -> Response:
    """What the signers received, newest first: a stand-in for their mailbox, with the signing links."""
    shown = [
        {
            "at": str(d.get("at", ""))[:16],
            "to": d.get("to", ""),
            "document_id": d.get("documentId", ""),
            "signing_url": d.get("signingUrl", ""),
        }
        for d in reversed(deliveries)
        if d.get("channel") == "email"
    ]
    return _templates.TemplateResponse(request, "inbox.html", {"deliveries": shown})


def outcome_text(status: str) -> str:
    return {
        api.STATUS_SIGNED: "Takk! Kontrakten er signert.",
        api.STATUS_DECLINED: "Kontrakten er avvist.",
    }.get(status, f"Status: {_STATUS_NO.get(status, status)}")
