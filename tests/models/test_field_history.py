"""What a checked write concludes from the fields read back, and when a ticket went back a stage (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.field_history import Check, FieldChange, ReadBack, Verdict, WriteOutcome, check_write, moved_back, same

BEGUN = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
OURS, THEIRS, OLD = "sent", "closed", "ready"


def at(seconds: float) -> datetime:
    return BEGUN + timedelta(seconds=seconds)


def changes(*values: tuple[str, float]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(value=value, at=at(seconds)) for value, seconds in values)


@pytest.mark.parametrize(
    ("value", "history", "check"),
    [
        pytest.param(OURS, changes((OURS, 0.5), (OLD, -60)), Check(Verdict.LANDED), id="ours landed"),
        pytest.param(OLD, changes((OLD, -60)), Check(Verdict.NOT_LANDED), id="nothing landed: write again"),
        pytest.param(
            THEIRS,
            changes((THEIRS, 4), (OURS, 0.5), (OLD, -60)),
            Check(Verdict.THEIRS, {"stage": THEIRS}, at(4)),
            id="ours landed, then theirs: keep theirs",
        ),
        pytest.param(
            THEIRS,
            changes((THEIRS, 4), (OLD, -60)),
            Check(Verdict.THEIRS, {"stage": THEIRS}, at(4)),
            id="theirs since we began, ours not landed: keep theirs",
        ),
        pytest.param(
            OURS,
            changes((OURS, 7), (THEIRS, 4), (OLD, -60)),
            Check(Verdict.OVERWRITTEN, {"stage": THEIRS}, at(4)),
            id="ours held, landed after theirs: put theirs back",
        ),
        pytest.param(
            THEIRS,
            changes((THEIRS, -1), (OLD, -60)),
            Check(Verdict.THEIRS, {"stage": THEIRS}, at(-1)),
            id="within the clocks' tolerance before we began: not written over",
        ),
        pytest.param(
            OURS,
            changes((OURS, 0.5), (THEIRS, -1), (OLD, -60)),
            Check(Verdict.LANDED),
            id="a change within the tolerance is never put back over ours",
        ),
        pytest.param("30.0", changes(("30.0", 0.5)), Check(Verdict.LANDED), id="a number read back as 30.0"),
    ],
)
def test_a_write_read_back_with_history(value: str, history: tuple[FieldChange, ...], check: Check) -> None:
    wanted = {"stage": "30" if value == "30.0" else OURS}
    read = ReadBack(values={"stage": value}, history={"stage": history})

    assert check_write(wanted, read, since=BEGUN, clock_skew=timedelta(seconds=2)) == check


@pytest.mark.parametrize(
    ("value", "modified", "verdict"),
    [
        (OURS, 0.5, Verdict.LANDED),
        (OLD, -60, Verdict.NOT_LANDED),
        (THEIRS, 3, Verdict.THEIRS),
    ],
)
def test_a_write_read_back_without_history_goes_by_the_records_last_change(
    value: str, modified: float, verdict: Verdict
) -> None:
    read = ReadBack(values={"stage": value}, modified_at=at(modified))

    assert check_write({"stage": OURS}, read, since=BEGUN).verdict is verdict


def test_a_write_of_several_fields_is_landed_only_when_all_are() -> None:
    read = ReadBack(
        values={"pipeline": "P", "stage": OLD},
        history={"pipeline": changes(("P", -60)), "stage": changes((OLD, -60))},
    )

    assert check_write({"pipeline": "P", "stage": OURS}, read, since=BEGUN).verdict is Verdict.NOT_LANDED


def test_an_outcome_says_whose_value_was_kept() -> None:
    outcome = WriteOutcome(kept={"stage": THEIRS}, ours={"stage": OURS}, at=at(4), restored=True)

    assert outcome.describe() == (
        "someone else set stage = 'closed' at 2026-12-06T12:00:04+00:00, after we wrote stage = 'sent': their "
        "value is kept (our late write landed over it and it was put back)"
    )


def test_numbers_are_the_same_however_written() -> None:
    assert same("30", "30.0") and not same("30", "31") and not same(None, "x") and same(None, None)


@pytest.mark.parametrize(
    ("stages", "back"),
    [
        ([("Klar", 0), ("Sendt kontrakt", 1), ("Lukket", 2), ("Sendt kontrakt", 3)], ("Lukket", "Sendt kontrakt")),
        ([("Klar", 0), ("Sendt kontrakt", 1), ("Lukket", 2)], None),
        ([("Lukket", 0), ("Ny", 1), ("Klar", 2), ("Sendt kontrakt", 3)], None),
    ],
)
def test_a_ticket_back_at_sendt_kontrakt_from_a_later_stage(
    stages: list[tuple[str, float]], back: tuple[str, str] | None
) -> None:
    found = moved_back(changes(*stages), back_to="Sendt kontrakt", from_any=["Lukket"])

    assert tuple(change.value for change in found) == (back or ())
