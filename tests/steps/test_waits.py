"""The waits: their pause keys (runs already suspended wait under these exact strings) and who may answer one."""

from __future__ import annotations

import pytest

from models.approval import answerer_problems
from models.waits import approval_key, decision_key, is_signature_wait, licences_key, signature_key


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (approval_key(1), "approval-1"),
        (approval_key(3), "approval-3"),
        (signature_key(1), "signature"),
        (signature_key(2), "signature-2"),
        (signature_key(1, wait=2), "signature-wait-2"),
        (signature_key(2, wait=3), "signature-2-wait-3"),
        (decision_key(1), "decision-1"),
        (decision_key(2, attempt=2), "decision-2-2"),
        (licences_key(1), "licences-1"),
    ],
)
def test_the_keys_are_the_ones_suspended_runs_wait_under(key: str, expected: str) -> None:
    assert key == expected


@pytest.mark.parametrize(
    ("pause_key", "waits"),
    [
        ("signature", True),
        ("signature-2", True),
        ("signature-wait-2", True),
        ("signature-2-wait-3", True),
        ("signatures", False),
        ("approval-1", False),
        ("decision-1", False),
        (None, False),
    ],
)
def test_only_a_signature_wait_is_resumed_by_the_poller(pause_key: str | None, waits: bool) -> None:
    assert is_signature_wait(pause_key) is waits


@pytest.mark.parametrize(
    ("person", "approvers", "problem"),
    [
        ("Ola Kundeservice", ["Ola Kundeservice"], None),
        ("ola kundeservice", ["Ola Kundeservice"], None),  # as the list spells it, case aside
        ("Mallory", ["Ola Kundeservice"], "Avgjort av: Mallory står ikke på listen over godkjennere"),
        ("  ", ["Ola Kundeservice"], "Avgjort av er tom"),
        ("", [], "Avgjort av er tom"),  # no list: anyone, but someone
        ("Anyone", [], None),
    ],
)
def test_who_may_answer_a_wait(person: str, approvers: list[str], problem: str | None) -> None:
    problems = answerer_problems(person, approvers, title="Avgjort av")
    if problem is None:
        assert problems == []
    else:
        [found] = problems
        assert found.startswith(problem)
