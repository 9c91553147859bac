"""The ticket's properties as a request, and the refusal note's texts (pure)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from config.settings import IntakeSettings
from models.intake import (
    IntakeTicket,
    refusal_note,
    request_data,
    shown,
    stand_in_data,
    unrepeated,
    validation_problems,
)
from models.renegotiation import RenegotiationRequest

INTAKE = IntakeSettings()
TODAY = date(2026, 12, 6)


def ticket(owner: str | None = "agent@avonova.example", **values: str | None) -> IntakeTicket:
    return IntakeTicket(
        id="5001",
        pipeline="Kundesenter",
        stage="Klar for reforhandling",
        entered_stage_at="2026-12-06T10:00:00+00:00",
        owner_email=owner,
        values=values,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "(tomt)"),
        ("  ", "(tomt)"),
        ("450", "«450»"),
        ("x\r\n2. Ny linje", "«x 2. Ny linje»"),
        ("\x1b[2Jrød", "«rød»"),
        ("a" * 100, "«" + "a" * 80 + "…»"),
    ],
)
def test_a_value_is_shown_as_one_clean_short_line(value: str | None, expected: str) -> None:
    assert shown(value) == expected


def test_the_properties_become_start_s_request_with_the_owner_as_agent() -> None:
    data = request_data(
        ticket(
            reforhandling_lisenser="75.0",
            reforhandling_pris="449.50",
            reforhandling_oppstartsdato="",
            reforhandling_signatar="kari@firma.example",
            reforhandling_signatar_navn=None,
        ),
        INTAKE,
    )

    request = RenegotiationRequest.parse(data, today=TODAY)

    assert (request.licences, str(request.price_per_licence), request.start_date) == (75, "449.50", None)
    assert (request.agent_email, request.signer_email, request.ticket_id) == (
        "agent@avonova.example",
        "kari@firma.example",
        "5001",
    )


def test_every_refused_field_is_one_numbered_line_of_the_note_naming_its_label() -> None:
    refused = ticket(owner=None, reforhandling_pris="1,5", reforhandling_signatar="kari@firma.example")
    with pytest.raises(ValidationError) as error:
        RenegotiationRequest.parse(request_data(refused, INTAKE), today=TODAY)

    note = refusal_note(validation_problems(error.value, refused, INTAKE), INTAKE)

    lines = note.splitlines()
    assert lines[0] == "Reforhandlingen ble ikke startet. Rett opp dette på ticketen:"
    numbered = [line for line in lines if line[:1].isdigit()]
    assert [line.split(":")[0] for line in numbered] == [
        "1. Nytt antall lisenser (reforhandling_lisenser)",
        "2. Ny pris per lisens (reforhandling_pris)",
        "3. Ticket-eier",
    ]
    assert "«1,5»" in numbered[1] and "høyst 2 desimaler" in numbered[1]
    assert lines[-1] == "Flytt deretter ticketen tilbake til «Klar for reforhandling», så prøver vi igjen."


@pytest.mark.parametrize(
    ("refused", "stands_in"),
    [
        ({"licences", "price_per_licence"}, True),
        ({"agent_email", "start_date", "signer_name"}, True),
        ({"signer_email"}, False),
        ({"licences", "ticket_id"}, False),
    ],
)
def test_refused_fields_stand_in_only_when_starts_reads_can_still_start_from_the_ticket_and_signer(
    refused: set[str], stands_in: bool
) -> None:
    data = {"ticket_id": "5001", "signer_email": "kari@firma.example", "licences": "x"}

    stand_in = stand_in_data(data, refused)

    assert (stand_in is not None) == stands_in
    if stand_in is not None:
        assert stand_in["signer_email"] == "kari@firma.example"
        replaced = {name for name, value in stand_in.items() if value != data.get(name)}
        assert refused - {"start_date", "signer_name"} <= replaced


def test_the_preflights_verdicts_on_refused_fields_are_not_repeated() -> None:
    lines = ["licences, price_per_licence: nothing to renegotiate", "signer_email: no contact", "company: no org"]

    assert unrepeated(lines, {"price_per_licence"}) == lines[1:]
    assert unrepeated(lines, {"signer_name"}) == [lines[0], lines[2]]
    assert unrepeated(lines, set()) == lines
