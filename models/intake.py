"""A case started from its HubSpot ticket: the ticket's properties as a request, and a refusal as the one note that
tells the agent, in Norwegian, every field to fix (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from config.settings import IntakeSettings
from models.crm import Ticket
from models.renegotiation import ERROR_TYPE
from models.text import one_line

# How much of a field's value a note shows: enough to recognise it, never a wall of pasted text.
SHOWN_CHARS = 80
EMPTY = "(tomt)"


class IntakeTicket(BaseModel):
    """A ticket as the intake reads it: where it stands, since when, its owner and the renegotiation fields."""

    model_config = ConfigDict(frozen=True)

    id: str
    pipeline: str
    stage: str
    # When the ticket entered its current stage (HubSpot's history of hs_pipeline_stage): one move, one intake.
    entered_stage_at: str
    owner_email: str | None = None
    values: dict[str, str | None] = {}
    # The same read as the CRM's: `start`'s preflight takes it instead of reading the ticket a second time.
    ticket: Ticket | None = None


class IntakeClaim(SQLModel, table=True):
    """One row per move of a ticket to the ready stage: whoever inserts it takes the ticket in, so the webhook and
    the scheduled intake, or an event delivered twice, never both start a case or both write a refusal."""

    __tablename__ = "intake_claims"
    __table_args__ = (UniqueConstraint("ticket_id", "entered_stage_at", name="uq_intake_claims_ticket_entered"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(index=True)
    entered_stage_at: str
    claimed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # None while being taken in; then started, refused or open-case (the ticket already had an open case).
    outcome: str | None = None
    case_key: str | None = None


@dataclass(frozen=True)
class Problem:
    """One refused field: its Norwegian label, what it holds, and what the agent should do."""

    field: str
    got: str
    fix: str


def request_data(ticket: IntakeTicket, intake: IntakeSettings) -> dict[str, Any]:
    """The fields of a RenegotiationRequest from the ticket's properties; an empty property is left out, so the
    request's own check names it as missing."""
    values = ticket.values
    data: dict[str, Any] = {
        "ticket_id": ticket.id,
        "licences": _number(values.get(intake.licences_property)),
        "price_per_licence": values.get(intake.price_property),
        "start_date": values.get(intake.start_date_property),
        "signer_email": values.get(intake.signer_property),
        "signer_name": values.get(intake.signer_name_property),
        "agent_email": ticket.owner_email,
    }
    return {name: value for name, value in data.items() if value not in (None, "")}


# What a refused field stands in with, so that `start`'s reads can still say what else is wrong: a request holding
# any of them is only read with, never started, and its verdict on the fields stood in for is dropped.
_STAND_INS: dict[str, Any] = {
    "licences": 1,
    "price_per_licence": "1",
    "start_date": None,
    "agent_email": "stand-in@reforhandling.example",
    "signer_name": None,
}
# The preflight's verdicts that rest on a field, by the refused field they would repeat.
_RESTS_ON = {"licences": "licences, price_per_licence", "price_per_licence": "licences, price_per_licence"}


def stand_in_data(data: dict[str, Any], refused: set[str]) -> dict[str, Any] | None:
    """The request's fields with stand-ins for the refused ones, or None when a refused field has none (the ticket or
    the signer's e-mail: what the reads start from)."""
    if refused - _STAND_INS.keys():
        return None
    return {**data, **{name: _STAND_INS[name] for name in refused}}


def unrepeated(lines: list[str], refused: set[str]) -> list[str]:
    """The preflight's problems (`field: message`) less those about fields already refused (stood in for)."""
    dropped = {_RESTS_ON.get(name, name) for name in refused}
    if "signer_name" in refused:
        dropped.add("signer_email")  # "no contact; give a name": the name was refused already
    return [line for line in lines if line.partition(": ")[0] not in dropped]


def _number(value: str | None) -> str | None:
    # HubSpot returns a number property as text and may add a fraction of zeros ("75.0"): a whole number stays one.
    if value is not None and value.strip().endswith(".0") and value.strip()[:-2].isdigit():
        return value.strip()[:-2]
    return value


def field_labels(intake: IntakeSettings) -> dict[str, str]:
    """The Norwegian label the agent sees for each field of the request (the ticket's properties and owner)."""
    return {
        "licences": f"Nytt antall lisenser ({intake.licences_property})",
        "price_per_licence": f"Ny pris per lisens ({intake.price_property})",
        "start_date": f"Avtalt oppstartsdato ({intake.start_date_property})",
        "signer_email": f"Signatar (e-post) ({intake.signer_property})",
        "signer_name": f"Signatarens navn (ny kontakt) ({intake.signer_name_property})",
        "agent_email": "Ticket-eier",
        "company": "Firma (kundekort) på ticketen",
        "ticket": "Ticket",
    }


# What to do, per field, when the request refuses its value.
_FIXES = {
    "licences": (
        "Skriv det nye antallet lisenser som et helt tall, minst 1 (0 avslutter avtalen og er ingen reforhandling)."
    ),
    "price_per_licence": (
        "Skriv ny pris per lisens i NOK, over 0 og med høyst 2 desimaler, for eksempel 450 eller 449.50."
    ),
    "start_date": (
        "Velg avtalt oppstartsdato: tidligst første dag i denne måneden og høyst ett år fram, eller la feltet stå tomt "
        "for å starte den dagen kontrakten sendes."
    ),
    "signer_email": "Skriv e-postadressen til kontakten med signaturrett, for eksempel navn@firma.no.",
    "signer_name": "Skriv signatarens fornavn og etternavn (høyst 200 tegn), eller la feltet stå tomt.",
    "agent_email": "Gi ticketen en eier (deg selv): eieren blir deal-eier og møtebooker.",
}
_MISSING = {
    "licences": "Feltet er tomt. " + _FIXES["licences"],
    "price_per_licence": "Feltet er tomt. " + _FIXES["price_per_licence"],
    "signer_email": "Feltet er tomt. " + _FIXES["signer_email"],
    "agent_email": "Ticketen har ingen eier med e-post. " + _FIXES["agent_email"],
}


def shown(value: object) -> str:
    """A value from the ticket as the note shows it: one clean line, cut short, `(tomt)` when empty."""
    text = one_line(value)
    if not text:
        return EMPTY
    return f"«{text[:SHOWN_CHARS]}…»" if len(text) > SHOWN_CHARS else f"«{text}»"


def validation_problems(error: ValidationError, ticket: IntakeTicket, intake: IntakeSettings) -> list[Problem]:
    """Every field the request refused, with the value the ticket holds and what to do."""
    labels = field_labels(intake)
    raw = _raw_values(ticket, intake)
    problems: list[Problem] = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "ticket"
        ctx = item.get("ctx") or {}
        if item["type"] == "missing":
            fix = _MISSING.get(field, "Feltet er tomt; fyll det inn.")
        elif item["type"] == ERROR_TYPE and "start date may" in str(ctx.get("hint", "")):
            fix = _FIXES["start_date"]
        else:
            fix = _FIXES.get(field, "Sjekk verdien.")
        problems.append(Problem(labels.get(field, field), shown(raw.get(field)), fix))
    return problems


def preflight_problems(
    lines: list[str], ticket: IntakeTicket, intake: IntakeSettings, *, company_name: str | None = None
) -> list[Problem]:
    """`start`'s preflight refusals (`field: message`) as the note's problems; the message itself is kept as the
    detail, so the agent and ops read the same reason."""
    labels = field_labels(intake)
    raw = _raw_values(ticket, intake)
    problems: list[Problem] = []
    for line in lines:
        field, _, message = line.partition(": ")
        detail = f" (Detalj: {one_line(message)})"
        if field == "signer_email":
            problems.append(
                Problem(
                    labels["signer_email"],
                    shown(raw.get("signer_email")),
                    "Ingen kontakt i HubSpot har denne e-postadressen. Sjekk adressen, eller fyll inn "
                    f"{labels['signer_name']} så opprettes kontakten.",
                )
            )
        elif field == "company":
            problems.append(
                Problem(
                    labels["company"],
                    shown(company_name),
                    "Knytt ticketen til kundens firma, og sjekk at kundekortet har et gyldig organisasjonsnummer "
                    "(9 sifre) og at kunden har en signert Assist-avtale i Dealbuilder." + detail,
                )
            )
        elif field == "licences, price_per_licence":
            problems.append(
                Problem(
                    f"{labels['licences']} og {labels['price_per_licence']}",
                    f"{shown(raw.get('licences'))} og {shown(raw.get('price_per_licence'))}",
                    "Kunden har allerede dette antallet og denne prisen: endre antall lisenser eller pris." + detail,
                )
            )
        else:
            problems.append(Problem(labels.get(field, labels["ticket"]), EMPTY, "Sjekk ticketen." + detail))
    return problems


def _raw_values(ticket: IntakeTicket, intake: IntakeSettings) -> Mapping[str, str | None]:
    values = ticket.values
    return {
        "licences": values.get(intake.licences_property),
        "price_per_licence": values.get(intake.price_property),
        "start_date": values.get(intake.start_date_property),
        "signer_email": values.get(intake.signer_property),
        "signer_name": values.get(intake.signer_name_property),
        "agent_email": ticket.owner_email,
    }


def refusal_note(problems: list[Problem], intake: IntakeSettings) -> str:
    """The one note on a refused ticket: every problem, field by field, and how to try again. Plain lines: the CRM
    adapter escapes the HTML, and every value is one clean line (no line break, Markdown or control character can
    forge another line of the note)."""
    lines = [
        "Reforhandlingen ble ikke startet. Rett opp dette på ticketen:",
        "",
        *(
            f"{number}. {problem.field}: {problem.got}. {problem.fix}"
            for number, problem in enumerate(problems, start=1)
        ),
        "",
        f"Flytt deretter ticketen tilbake til «{intake.ready_stage}», så prøver vi igjen.",
    ]
    return "\n".join(lines)


def note_marker(ticket: IntakeTicket) -> str:
    """The refusal note's marker: one note per move of the ticket to the ready stage, however often it is seen."""
    return f"reforhandling-intake:{ticket.id}:{ticket.entered_stage_at}"
