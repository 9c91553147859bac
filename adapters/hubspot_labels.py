"""Labels (pipelines, stages, enumeration options) and owner e-mails resolved to HubSpot ids once per process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.errors import ConfigurationError
from adapters.hubspot_transport import SYSTEM


@dataclass
class Pipeline:
    id: str
    label: str
    stages: dict[str, str]  # stage label -> stage id


@dataclass
class PortalLabels:
    """What one portal's labels resolve to; filled lazily, shared by every adapter in the process."""

    pipelines: dict[str, dict[str, Pipeline]] = field(default_factory=dict)  # object type -> label -> pipeline
    options: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (type, property) -> label->value
    owners: dict[str, str] = field(default_factory=dict)  # e-mail (lower) -> owner id
    lock: threading.RLock = field(default_factory=threading.RLock)


_PORTALS: dict[str, PortalLabels] = {}
_PORTALS_LOCK = threading.Lock()


def portal_labels(key: str) -> PortalLabels:
    """The process-wide cache for one portal (keyed by base URL and portal id)."""
    with _PORTALS_LOCK:
        return _PORTALS.setdefault(key, PortalLabels())


def forget_portal(key: str) -> None:
    """Drop a portal's cache (tests measuring a cold start)."""
    with _PORTALS_LOCK:
        _PORTALS.pop(key, None)


def resolve(
    cached: Callable[[], dict[str, str] | None],
    fetch: Callable[[], dict[str, str]],
    label: str,
    *,
    what: str,
    object_type: str,
) -> str:
    """Look `label` up in the cache; fetch once when it is missing there (someone may just have added it),
    then fail naming the label and the labels that do exist."""
    table = cached()
    if table is not None and label in table:
        return table[label]
    table = fetch()
    if label in table:
        return table[label]
    existing = ", ".join(repr(name) for name in table) or "none"
    raise ConfigurationError(
        SYSTEM, f"{what} {label!r} does not exist; existing: {existing}", object_type=object_type, field=what
    )
