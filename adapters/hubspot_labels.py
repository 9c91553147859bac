"""Labels (pipelines, stages, enumeration options) and owner e-mails resolved to HubSpot ids once per process, and
stage ids back to the labels our models speak."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


class LabelResolver:
    """One portal's labels through its process-wide cache; on a miss the API callables fetch, as the SDK answers:
    `get_pipelines(object_type)`, `get_properties(object_type)`, `find_owner(email)` (a page of at most one)."""

    def __init__(
        self,
        cache: PortalLabels,
        *,
        get_pipelines: Callable[[str], Any],
        get_properties: Callable[[str], Any],
        find_owner: Callable[[str], Any],
    ) -> None:
        self._cache = cache
        self._get_pipelines = get_pipelines
        self._get_properties = get_properties
        self._find_owner = find_owner

    def pipeline(self, object_type: str, label: str) -> Pipeline:
        def cached() -> dict[str, str] | None:
            table = self._cache.pipelines.get(object_type)
            return {name: name for name in table} if table is not None else None

        def fetch() -> dict[str, str]:
            return {name: name for name in self._fetch_pipelines(object_type)}

        name = resolve(cached, fetch, label, what=f"{object_type} pipeline", object_type=object_type)
        return self._cache.pipelines[object_type][name]

    def stage_id(self, pipeline: Pipeline, label: str, object_type: str) -> str:
        def fetch() -> dict[str, str]:
            fresh = self._fetch_pipelines(object_type).get(pipeline.label)
            return fresh.stages if fresh is not None else {}

        return resolve(
            lambda: pipeline.stages,
            fetch,
            label,
            what=f"stage of {object_type} pipeline {pipeline.label!r}",
            object_type=object_type,
        )

    def stage_label(self, object_type: str, pipeline_id: str | None, stage_id: str | None) -> str:
        """The stage's label, as our models speak labels; the raw id if HubSpot has no such stage."""
        if not stage_id:
            return ""

        def find(pipelines: dict[str, Pipeline]) -> str | None:
            for pipeline in pipelines.values():
                if pipeline_id in (None, pipeline.id):
                    for label, candidate in pipeline.stages.items():
                        if candidate == stage_id:
                            return label
            return None

        cached = self._cache.pipelines.get(object_type)
        found = find(cached) if cached is not None else None
        if found is None:
            found = find(self._fetch_pipelines(object_type))
        return found or stage_id

    def pipeline_label(self, object_type: str, pipeline_id: str | None) -> str:
        """The pipeline's label (known after `stage_label` has read the pipelines); the raw id otherwise."""
        for pipeline in (self._cache.pipelines.get(object_type) or {}).values():
            if pipeline.id == pipeline_id:
                return pipeline.label
        return pipeline_id or ""

    def option(self, object_type: str, name: str, label: str) -> str:
        """The value of the enumeration property's option labelled `label`."""
        return resolve(
            lambda: self._cache.options.get((object_type, name)),
            lambda: self._options(object_type, name, refresh=True),
            label,
            what=f"option of {name}",
            object_type=object_type,
        )

    def owner_option(self, object_type: str, name: str, *, owner_id: str, email: str) -> str:
        """The option of `name` whose value is the owner's id (the meeting booker is the agent)."""
        for refresh in (False, True):
            options = self._options(object_type, name, refresh=refresh)
            if owner_id in options.values():
                return owner_id
        existing = ", ".join(repr(label) for label in options) or "none"
        raise ConfigurationError(
            SYSTEM,
            f"no option of {name} for owner {email} (id {owner_id}); existing: {existing}",
            object_type=object_type,
            field=name,
        )

    def owner_id(self, email: str) -> str:
        address = email.strip().lower()
        cached = self._cache.owners.get(address)
        if cached is not None:
            return cached
        results = self._find_owner(address).results or []
        if not results:
            raise ConfigurationError(
                SYSTEM, f"no HubSpot owner (user) has the e-mail {address}", object_type="owner", field="email"
            )
        owner_id = str(results[0].id)
        with self._cache.lock:
            self._cache.owners[address] = owner_id
        return owner_id

    def _fetch_pipelines(self, object_type: str) -> dict[str, Pipeline]:
        pipelines = {
            p.label: Pipeline(id=str(p.id), label=p.label, stages={s.label: str(s.id) for s in p.stages or []})
            for p in self._get_pipelines(object_type).results or []
            if not p.archived
        }
        with self._cache.lock:
            self._cache.pipelines[object_type] = pipelines
        return pipelines

    def _fetch_options(self, object_type: str) -> None:
        definitions = self._get_properties(object_type).results or []
        with self._cache.lock:
            for definition in definitions:
                if definition.type == "enumeration":
                    self._cache.options[(object_type, definition.name)] = {
                        option.label: option.value for option in definition.options or [] if not option.hidden
                    }

    def _options(self, object_type: str, name: str, *, refresh: bool = False) -> dict[str, str]:
        if refresh or (object_type, name) not in self._cache.options:
            self._fetch_options(object_type)
        options = self._cache.options.get((object_type, name))
        if options is None:
            raise ConfigurationError(
                SYSTEM,
                f"{object_type} property {name!r} does not exist or is no enumeration",
                object_type=object_type,
                field=name,
            )
        return options
