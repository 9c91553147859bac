"""Count the CRM requests one task makes, for the ops log and the demo's table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from adapters.ports import Crm


@contextmanager
def counting_calls(crm: Crm) -> Iterator[Callable[[], int]]:
    start = crm.calls
    yield lambda: crm.calls - start
