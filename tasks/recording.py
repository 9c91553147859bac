"""Record a step's transition on the case: the one place a step's outcome reaches the case store."""

from __future__ import annotations

from bootstrap.runtime import Runtime
from models.case import Case
from steps.transition import Transition


def record(rt: Runtime, case_key: str, transition: Transition) -> Case:
    """Move the case as the step says, with its fields and the event's details."""
    return rt.store.transition(
        case_key, transition.state, actor="flow", details=dict(transition.details), **transition.fields
    )
