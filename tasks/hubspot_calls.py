"""Count the CRM requests one task makes, for the ops log and the demo's table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from adapters.ports import Crm
from bootstrap.runtime import Runtime


@contextmanager
def counting_calls(crm: Crm) -> Iterator[Callable[[], int]]:
    start = crm.calls
    yield lambda: crm.calls - start


@contextmanager
def crm_step(rt: Runtime, case_key: str, kind: str, **details: Any) -> Iterator[tuple[Crm, dict[str, Any]]]:
    """Run one step's CRM calls, then log the step on the case with `details` (the block may add to them) and the
    number of HubSpot requests it made."""
    with counting_calls(rt.crm) as calls:
        yield rt.crm, details
    rt.store.add_event(case_key, actor="flow", kind=kind, details={**details, "hubspot_calls": calls()})
