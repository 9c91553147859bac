"""The SMTP sandbox's inbox as a page for people: every message newest first, with its subject, recipients, time,
text and HTML part. The HTML part is shown as the message would be, but in a sandboxed frame that runs no script
and loads nothing (a received message is untrusted input); every other value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

INBOX_PATH = "/inbox"
# The page loads nothing and runs nothing; the frames inherit this policy (srcdoc), links open in a new tab.
INBOX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'; form-action 'none'"
_STYLE = (
    "body{font-family:Arial,sans-serif;max-width:980px;margin:2em auto;color:#222}"
    "article{border:1px solid #ccc;border-radius:6px;padding:12px 16px;margin:16px 0}"
    "h2{font-size:1.15em;margin:0 0 6px}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}"
    "dt{font-weight:bold}pre{white-space:pre-wrap;background:#f6f6f6;padding:8px}"
    "iframe{width:100%;height:360px;border:1px solid #ddd;background:#fff}"
)


def inbox_page(messages: list[dict[str, Any]]) -> str:
    """The HTML page of the received messages."""
    shown = "".join(_message(message) for message in reversed(messages)) or "<p>Ingen e-post mottatt ennå.</p>"
    return (
        '<!DOCTYPE html><html lang="no"><head><meta charset="utf-8"><title>Innboks (e-post-sandkassen)</title>'
        f"<style>{_STYLE}</style></head><body><h1>Innboks: {len(messages)} e-post</h1>"
        '<p>Alt e-post-sandkassen har mottatt, nyeste først (<a href="/messages">som JSON</a>).</p>'
        f"{shown}</body></html>"
    )


def _message(message: dict[str, Any]) -> str:
    recipients = ", ".join(message.get("to") or message.get("rcpt_to") or [])
    facts = [
        ("Til", recipients),
        ("Kopi", ", ".join(message.get("cc") or [])),
        ("Fra", str(message.get("from", ""))),
        ("Mottatt", str(message.get("received_at", ""))),
        ("Message-ID", str(message.get("message_id", ""))),
    ]
    listed = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in facts if value)
    html_part = str(message.get("html") or "").replace("\r\n", "\n")
    framed = (
        # No allow-scripts, no allow-same-origin: the part cannot run code or reach this page; links open a new tab.
        '<h3>HTML</h3><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" '
        f'srcdoc="{escape(_with_new_tab_links(html_part), quote=True)}" title="HTML-delen"></iframe>'
        if html_part
        else ""
    )
    text = str(message.get("text") or "").replace("\r\n", "\n")
    return (
        f"<article><h2>{escape(str(message.get('subject', '')))}</h2><dl>{listed}</dl>"
        f"{'<h3>Tekst</h3><pre>' + escape(text) + '</pre>' if text else ''}{framed}</article>"
    )


def _with_new_tab_links(html: str) -> str:
    return '<base target="_blank">' + html
