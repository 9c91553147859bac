"""Who may decide: a name typed on a form matched with the approvers list (pure).

A name is matched after cleaning, NFKC normalisation and case folding, and kept as the list spells it. NFKC folds
only what Unicode itself calls the same letter in another form (the Kelvin sign is a K, a full-width A an A): the
person is not in doubt, so refusing them would turn an approver away for an invisible difference, and storing what
was typed would split one person's decisions over several spellings in the audit trail. A look-alike from another
script (a Cyrillic О) is a different letter, not on the list, and refused."""

from __future__ import annotations

from collections.abc import Sequence

from models.text import clean_text, comparable_name


def as_listed(person: str, approvers: Sequence[str]) -> str | None:
    """The approvers list's own spelling of `person`, or None when they are not on it; with an empty list anyone
    may decide, and the name is kept as typed (cleaned)."""
    if not approvers:
        return clean_text(person)
    wanted = comparable_name(person)
    return next((clean_text(allowed) for allowed in approvers if comparable_name(allowed) == wanted), None)


def spelled_as_listed(person: str, approvers: Sequence[str]) -> str:
    """`person` as the list spells them, or as typed (cleaned) when not on it: what a decision is recorded under."""
    return as_listed(person, approvers) or clean_text(person)
