"""The pause keys of the waits for a person or the poller, named in one place.

Runs already suspended wait under these exact strings (a resume finds its run by them, and a replay reads a given
answer back by them): a change here must keep every existing key resumable."""

from __future__ import annotations

APPROVAL = "approval"
SIGNATURE = "signature"
DECISION = "decision"
LICENCES = "licences"


def approval_key(attempt: int) -> str:
    """`approval-N`: the N-th approval form of the case (a correction or a refused answer asks again)."""
    return f"{APPROVAL}-{attempt}"


def signature_key(signing_round: int, wait: int = 1) -> str:
    """`signature` (first sending), `signature-N` (the N-th sending), `...-wait-M` after M-1 refused claims."""
    key = SIGNATURE if signing_round == 1 else f"{SIGNATURE}-{signing_round}"
    return key if wait == 1 else f"{key}-wait-{wait}"


def decision_key(signing_round: int, attempt: int = 1) -> str:
    """`decision-N` after the N-th sending was declined or expired, `decision-N-M` when asked again."""
    key = f"{DECISION}-{signing_round}"
    return key if attempt == 1 else f"{key}-{attempt}"


def licences_key(attempt: int) -> str:
    """`licences-N`: the N-th ask to confirm the licence count set by hand."""
    return f"{LICENCES}-{attempt}"


def is_signature_wait(pause_key: str | None) -> bool:
    """Whether a run paused at `pause_key` waits for the contract's signature (the poller and webhook resume it)."""
    return pause_key is not None and (pause_key == SIGNATURE or pause_key.startswith(f"{SIGNATURE}-"))
