"""What a step asks its task to record on the case: a state change with its fields and the event's details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from models.case import CaseState

T = TypeVar("T")


@dataclass(frozen=True)
class Transition:
    """Move the case to `state`, set `fields` on it and log `details` with the state's event."""

    state: CaseState
    fields: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Done(Generic[T]):
    """A step's result and the transition its task records."""

    value: T
    transition: Transition
