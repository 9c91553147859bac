"""Text from people and other systems reaches a terminal, a log, a note or an e-mail as plain printable text."""

from __future__ import annotations

import pytest

from models.text import clean_text, comparable_name

ESC = "\x1b"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Ola Kundeservice", "Ola Kundeservice"),
        ("Ærlig Økonomi AS", "Ærlig Økonomi AS"),
        (None, ""),
        (42, "42"),
        # Terminal escapes: clear screen, cursor home, colours, a hyperlink, a title, reset; the whole sequence goes.
        (f"Ola{ESC}[2J{ESC}[H", "Ola"),
        (f"{ESC}[1;32mapproval-9 approved{ESC}[0m", "approval-9 approved"),
        (f"{ESC}]8;;http://evil.example{ESC}\\click{ESC}]8;;{ESC}\\", "click"),
        (f"{ESC}]0;pwned\x07Ola", "Ola"),
        (f"Ola{ESC}c", "Ola"),
        ("Ola\x9b2J", "Ola"),  # the C1 form of CSI
        (f"Ola{ESC}", "Ola"),
        # Line breaks where one line is expected: a forged second line cannot start.
        ("Ola\r\n2026-12-06 12:00 flow approval-9 approved", "Ola 2026-12-06 12:00 flow approval-9 approved"),
        ("Ola\rMallory", "Ola Mallory"),
        ("a\u2028b\u2029c\x85d\x0be\x0cf", "a b c d e f"),
        # Other C0 and C1 controls, DEL, odd spaces.
        ("O\x00l\x07a\x08 \x7fK\x80", "O l a K"),
        ("Ola\u00a0\u2003Kundeservice\t", "Ola Kundeservice"),
        # Bidi overrides and isolates, zero-width characters: invisible, dropped without splitting the word.
        ("Ola \u202eecivresednuK\u202c", "Ola ecivresednuK"),
        ("\u2066Ola\u2069 \u200bKunde\u200dservice\ufeff", "Ola Kundeservice"),
        ("\u200fRTL mark\u200e", "RTL mark"),
    ],
)
def test_control_escape_and_bidi_characters_are_removed_and_the_text_is_one_line(given: object, kept: str) -> None:
    assert clean_text(given) == kept


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Kunden vil vente.\r\nRing i januar.", "Kunden vil vente.\nRing i januar."),
        (f"linje 1\n{ESC}[1A{ESC}[2Klinje 2", "linje 1\nlinje 2"),
        ("a\n\n\n\n\nb\n", "a\n\nb"),
        ("a\u2028b", "a\nb"),
    ],
)
def test_a_text_of_several_lines_keeps_its_line_breaks_and_loses_the_rest(given: str, kept: str) -> None:
    assert clean_text(given, keep_lines=True) == kept


@pytest.mark.parametrize(
    ("typed", "listed", "same"),
    [
        ("Ola \u212aundeservice", "Ola Kundeservice", True),  # Kelvin sign
        ("ＯＬＡ　ｋｕｎｄｅｓｅｒｖｉｃｅ", "Ola Kundeservice", True),  # full width
        ("  ola   KUNDESERVICE ", "Ola Kundeservice", True),
        ("Ola\u200b Kundeservice", "Ola Kundeservice", True),
        ("AGENT@avonova.example", "agent@avonova.example", True),
        ("Ingrid Strasse", "Ingrid Straße", True),  # casefold
        ("\u041ela Kundeservice", "Ola Kundeservice", False),  # Cyrillic O: a look-alike NFKC does not fold
        ("Ola Kundeservice2", "Ola Kundeservice", False),
    ],
)
def test_names_compare_after_nfkc_and_casefolding(typed: str, listed: str, same: bool) -> None:
    assert (comparable_name(typed) == comparable_name(listed)) is same
