"""The HubSpot sandbox's record pages for people: what HubSpot's app shows of a company, deal, ticket or contact
(its properties, its associated records as links, a ticket's notes), under `/_sandbox/contacts/...` so a link built
like HubSpot's (`<app url>/contacts/<portal>/record/<type id>/<id>`) opens it on the local stack. Every value is
escaped: a name or a note is shown as the letters it holds."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Any

from sandbox.hubspot.schema import OBJECT_TYPE_IDS
from sandbox.hubspot.store import ObjectStore

RECORD_PATH = "/_sandbox/contacts/{portal_id}/record/{type_id}/{object_id}"
_NAMES = {"companies": "name", "deals": "dealname", "tickets": "subject", "contacts": "email"}
_TITLES = {"companies": "Selskap", "deals": "Deal", "tickets": "Sak (ticket)", "contacts": "Kontakt", "notes": "Notat"}
_STYLE = (
    "body{font-family:Arial,sans-serif;max-width:900px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;"
    "vertical-align:top}th{width:30%}.note{white-space:pre-wrap;background:#f6f6f6;padding:8px;margin:8px 0}"
)


def record_page(state: dict[str, Any], *, portal_id: str, type_id: str, object_id: str) -> tuple[int, str]:
    """The record's page as (status, HTML): 404 for an unknown type or record."""
    object_type = next((name for name, known in OBJECT_TYPE_IDS.items() if known == type_id), None)
    store = ObjectStore(state)
    record = store.find(object_type, object_id) if object_type else None
    if object_type is None or record is None:
        return 404, _page("Finnes ikke", f"<p>Ingen post {escape(type_id)}/{escape(object_id)} i sandkassen.</p>")
    properties: dict[str, Any] = record["properties"]
    title = f"{_TITLES.get(object_type, object_type)}: {properties.get(_NAMES.get(object_type, ''), object_id)}"
    rows = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(str(value))}</td></tr>"
        for name, value in sorted(properties.items())
        if value not in (None, "")
    )
    body = f"<p>HubSpot-sandkassen, portal {escape(portal_id)}, id {escape(object_id)}</p><table>{rows}</table>"
    for other, other_type_id in OBJECT_TYPE_IDS.items():
        linked = [
            store.find(other, linked_id) for linked_id in store.associations.targets(object_type, object_id, other)
        ]
        found = [item for item in linked if item is not None]
        if not found:
            continue
        body += f"<h2>{escape(_TITLES.get(other, other))}</h2>"
        if other == "notes":
            body += "".join(
                f'<div class="note">{escape(note_text(str(note["properties"].get("hs_note_body", ""))))}</div>'
                for note in found
            )
            continue
        body += (
            "<ul>"
            + "".join(
                f'<li><a href="{escape(_link(portal_id, other_type_id, item["id"]), quote=True)}">'
                f"{escape(str(item['properties'].get(_NAMES.get(other, ''), item['id'])))}</a></li>"
                for item in found
            )
            + "</ul>"
        )
    return 200, _page(title, body)


class _Text(HTMLParser):
    """A note's HTML as the text HubSpot shows: paragraphs and breaks become new lines, tags go."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"p", "div", "li", "tr"}:
            self.parts.append("\n")


def note_text(html: str) -> str:
    """The text of a note's HTML body (to be escaped again before it goes on a page)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


def _link(portal_id: str, type_id: str, object_id: str) -> str:
    return RECORD_PATH.format(portal_id=portal_id, type_id=type_id, object_id=object_id)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="no"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
