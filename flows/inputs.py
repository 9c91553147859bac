"""The forms a person (or the poller) fills in to resume a suspended case, as Prefect RunInputs."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from prefect.input import RunInput
from pydantic import ConfigDict, Field, WithJsonSchema, field_validator

from models.signature import SignatureClaim
from models.text import clean_text


def _plain(kind: str, title: str, description: str) -> WithJsonSchema:
    """One plain input in the Resume dialog (a number box, a text box), not a choice between types: the field may
    be left empty, and the UI then leaves it out."""
    return WithJsonSchema({"type": kind, "title": title, "description": description})


def _line(value: str) -> str:
    # Whatever a person (or anyone with the API's password) typed is cleaned before the run records or shows it.
    return clean_text(value)


def _lines(value: str | None) -> str | None:
    return None if value is None else clean_text(value, keep_lines=True)


def _no_default(schema: dict[str, Any]) -> None:
    # A null default would be sent back as null, which the server's check of a plain number or text refuses.
    schema.pop("default", None)


def _also_required(*names: str) -> Callable[[dict[str, Any]], None]:
    """Mark fields with a default as required in the form's schema: the UI then shows them without "(Optional)",
    and the default still fills them in."""

    def finish(schema: dict[str, Any]) -> None:
        schema["required"] = [*names, *(name for name in schema.get("required", []) if name not in names)]

    return finish


class ContractApproval(RunInput):
    """Approve the draft, correct licences or price (asked again), or reject it (the case closes)."""

    model_config = ConfigDict(json_schema_extra=_also_required("approved"))

    approved: bool = Field(default=False, title="Godkjent", description="Slå på for å sende kontrakten til kunden.")
    approver: str = Field(title="Godkjent av", description="Deg selv: bare de på listen over godkjennere kan avgjøre.")
    licences: Annotated[
        int | None, _plain("integer", "Antall lisenser", "Bare for å rette utkastet: nytt antall lisenser.")
    ] = Field(default=None, json_schema_extra=_no_default)
    price_per_licence: Annotated[
        Decimal | None,
        _plain("number", "Pris per lisens", "Bare for å rette utkastet: ny pris per lisens i kroner."),
    ] = Field(default=None, json_schema_extra=_no_default)
    comment: Annotated[str | None, _plain("string", "Kommentar", "Grunnen, når du avviser.")] = Field(
        default=None, json_schema_extra=_no_default
    )

    _approver = field_validator("approver")(_line)
    _comment = field_validator("comment")(_lines)

    @field_validator("price_per_licence", mode="before")
    @classmethod
    def _price_as_typed(cls, value: object) -> object:
        # The form sends a JSON number; its shortest repr is what the person typed (449.55, not 449.5500000001).
        return Decimal(repr(value)) if isinstance(value, float) else value

    def unreadable(self) -> list[str]:
        """The corrections sent that are not numbers: the form's schema refuses an empty (null) one, so a null that
        got here was a NaN or an infinity, which the Prefect server stores as null."""
        return [
            name
            for name in ("licences", "price_per_licence")
            if name in self.model_fields_set and getattr(self, name) is None
        ]


class SignatureOutcome(SignatureClaim, RunInput):
    """What the poller saw of the contract: signed, declined, expired or cancelled (its `resume_signature_wait` sends
    the same model)."""


class ContractFollowUp(RunInput):
    """After a decline or expiry: extend the deadline and resend, or cancel the contract and close the case."""

    action: Literal["extend_and_resend", "cancel"]
    decided_by: str
    comment: str | None = None

    _decided_by = field_validator("decided_by")(_line)
    _comment = field_validator("comment")(_lines)


class LicencesAdjusted(RunInput):
    """Confirm that the licence count is set in Avonova Digital (manual routine)."""

    licences_set: int
    confirmed_by: str

    _confirmed_by = field_validator("confirmed_by")(_line)
