"""Checked writes (pure): after a write whose answer was lost, what the fields read back say happened, and what a
ticket's stage history says about a ticket moved back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import dropwhile, pairwise

from pydantic import BaseModel, ConfigDict


class FieldChange(BaseModel):
    """One value a field was given, and when (the system's clock)."""

    model_config = ConfigDict(frozen=True)

    value: str | None
    at: datetime


class ReadBack(BaseModel):
    """The fields of a record as read back: their values, their history where the system keeps one (HubSpot's
    `propertiesWithHistory`), else when the record last changed (Dealbuilder's `updatedAt`)."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, str | None]
    history: dict[str, tuple[FieldChange, ...]] = {}
    modified_at: datetime | None = None


class WriteOutcome(BaseModel):
    """How a checked write ended: ours stands (`kept` empty), or someone else's newer values were kept: `kept`
    names them (field -> their value), `at` says when they were set, and `restored` that our own late write had
    landed over them and their values were written back."""

    model_config = ConfigDict(frozen=True)

    kept: dict[str, str | None] = {}
    ours: dict[str, str] = {}
    at: datetime | None = None
    restored: bool = False

    def describe(self) -> str:
        """In words, for the case's event log and the ops notice."""
        theirs = ", ".join(f"{name} = {value!r}" for name, value in self.kept.items())
        ours = ", ".join(f"{name} = {value!r}" for name, value in self.ours.items() if name in self.kept)
        when = f" at {self.at.isoformat(timespec='seconds')}" if self.at else ""
        how = "our late write landed over it and it was put back" if self.restored else "ours was not written again"
        return f"someone else set {theirs}{when}, after we wrote {ours}: their value is kept ({how})"


class Verdict(StrEnum):
    LANDED = "landed"  # the fields hold our values, and nobody's newer value was overwritten by them
    NOT_LANDED = "not-landed"  # nothing changed since we began: write again
    THEIRS = "theirs"  # someone else set a field since we began: keep it
    OVERWRITTEN = "overwritten"  # our write landed after someone else's newer value: put theirs back


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    theirs: dict[str, str | None] = field(default_factory=dict)
    at: datetime | None = None


def same(a: str | None, b: str | None) -> bool:
    """Equal as a system hands values back: "30" and "30.0" are one number."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        return Decimal(a) == Decimal(b)
    except (InvalidOperation, ValueError):
        return False


def _field(
    name: str, want: str, read: ReadBack, since: datetime, clock_skew: timedelta
) -> tuple[Verdict, FieldChange | None]:
    value = read.values.get(name)
    history = sorted(read.history.get(name, ()), key=lambda change: change.at, reverse=True)
    if same(value, want):
        # Our value is the newest; a value set after we began that ours then replaced was someone else's, newer
        # than the request that carried ours: it landed late. Putting theirs back is a write, so only a change
        # after our start by the clocks as they read counts (not one within the tolerance: perhaps our own).
        older = list(dropwhile(lambda change: same(change.value, want), (c for c in history if c.at >= since)))
        return (Verdict.OVERWRITTEN, older[0]) if older else (Verdict.LANDED, None)
    # Not ours now: whatever was set since we began (ours first, or not) is someone else's newer value; not writing
    # is the safe side, so a change within the clocks' tolerance before our start counts too.
    horizon = since - clock_skew
    if history:
        recent = [change for change in history if change.at >= horizon]
        return (Verdict.THEIRS, FieldChange(value=value, at=recent[0].at)) if recent else (Verdict.NOT_LANDED, None)
    if read.modified_at is not None and read.modified_at >= horizon:
        return Verdict.THEIRS, FieldChange(value=value, at=read.modified_at)
    return Verdict.NOT_LANDED, None


def check_write(
    wanted: dict[str, str], read: ReadBack, *, since: datetime, clock_skew: timedelta = timedelta(0)
) -> Check:
    """What happened to a write of `wanted` begun at `since`, from the fields read back once it must have landed
    if it ever will; `clock_skew`: how far the system's clock may be from ours."""
    verdicts = {name: _field(name, want, read, since, clock_skew) for name, want in wanted.items()}
    for kind in (Verdict.OVERWRITTEN, Verdict.THEIRS):
        hit = {name: change for name, (verdict, change) in verdicts.items() if verdict is kind and change}
        if hit:
            return Check(kind, {name: change.value for name, change in hit.items()}, max(c.at for c in hit.values()))
    if all(verdict is Verdict.LANDED for verdict, _ in verdicts.values()):
        return Check(Verdict.LANDED)
    return Check(Verdict.NOT_LANDED)


def moved_back(changes: Iterable[FieldChange], *, back_to: str, from_any: Iterable[str]) -> tuple[FieldChange, ...]:
    """The first time a field went from one of `from_any` back to `back_to` (a ticket's stage from `Lukket` back
    to `Sendt kontrakt`, as a late write does): (the change it undid, the change back), or () when it never did."""
    later = set(from_any)
    ordered = sorted(changes, key=lambda change: change.at)
    for before, after in pairwise(ordered):
        if before.value in later and after.value == back_to:
            return before, after
    return ()
