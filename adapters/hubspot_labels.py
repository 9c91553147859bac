"""Labels (pipelines, stages, enumeration options) and owner e-mails resolved to HubSpot ids through a portal cache
shared by every process and run phase, and stage ids back to the labels our models speak."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.errors import ConfigurationError
from adapters.hubspot_transport import SYSTEM, HubSpotTransport
from adapters.portal_cache import MemoryPortalCache
from adapters.ports import PortalCache
from config.settings import HubSpotSettings

OWNERS_PAGE = 500  # the most owners HubSpot returns in one page


@dataclass
class Pipeline:
    id: str
    label: str
    stages: dict[str, str]  # stage label -> stage id


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
    """One portal's labels through the shared cache, each entry trusted for `ttl_seconds`; on a miss or an expired
    entry the API callables fetch, as the SDK answers: `get_pipelines(object_type)`, `get_properties(object_type)`,
    `get_owners(after)` (a page of owners)."""

    def __init__(
        self,
        cache: PortalCache,
        *,
        portal: str,
        ttl_seconds: float,
        get_pipelines: Callable[[str], Any],
        get_properties: Callable[[str], Any],
        get_owners: Callable[[str | None], Any],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._cache = cache
        self._portal = portal
        self._ttl = ttl_seconds
        self._get_pipelines = get_pipelines
        self._get_properties = get_properties
        self._get_owners = get_owners
        self._now = now
        # This process's copy: a run phase asks the shared cache once per entry, not once per label.
        self._memory: dict[str, tuple[Any, datetime]] = {}

    # --- pipelines and stages ---------------------------------------------------------------------------------
    def pipeline(self, object_type: str, label: str) -> Pipeline:
        latest: dict[str, Pipeline] = {}

        def cached() -> dict[str, str] | None:
            table = self._pipelines(object_type)
            latest.update(table or {})
            return {name: name for name in table} if table is not None else None

        def fetch() -> dict[str, str]:
            latest.clear()
            latest.update(self._fetch_pipelines(object_type))
            return {name: name for name in latest}

        return latest[resolve(cached, fetch, label, what=f"{object_type} pipeline", object_type=object_type)]

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

        cached = self._pipelines(object_type)
        found = find(cached) if cached is not None else None
        if found is None:
            found = find(self._fetch_pipelines(object_type))
        return found or stage_id

    def pipeline_label(self, object_type: str, pipeline_id: str | None) -> str:
        """The pipeline's label (cached after `stage_label` has read the pipelines); the raw id if there is none."""
        if not pipeline_id:
            return ""

        def find(pipelines: dict[str, Pipeline]) -> str | None:
            return next((p.label for p in pipelines.values() if p.id == pipeline_id), None)

        found = find(self._pipelines(object_type) or {})
        if found is None:
            found = find(self._fetch_pipelines(object_type))
        return found or pipeline_id

    # --- enumeration options ----------------------------------------------------------------------------------
    def option(self, object_type: str, name: str, label: str) -> str:
        """The value of the enumeration property's option labelled `label`."""
        return resolve(
            lambda: (self._all_options(object_type) or {}).get(name),
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

    # --- owners -----------------------------------------------------------------------------------------------
    def owner_id(self, email: str) -> str:
        address = email.strip().lower()

        def cached() -> dict[str, str] | None:
            owners = self._entry("owners")
            return dict(owners) if owners is not None else None

        try:
            return resolve(cached, self._fetch_owners, address, what="owner e-mail", object_type="owner")
        except ConfigurationError:
            raise ConfigurationError(
                SYSTEM, f"no HubSpot owner (user) has the e-mail {address}", object_type="owner", field="email"
            ) from None

    def owner_email(self, owner_id: str) -> str | None:
        """The e-mail of the owner with this id (a ticket's owner), or None when no owner has it."""

        def find(owners: dict[str, str]) -> str | None:
            return next((email for email, known in owners.items() if known == owner_id), None)

        cached = self._entry("owners")
        found = find(dict(cached)) if cached is not None else None
        return found if found is not None else find(self._fetch_owners())

    def _fetch_owners(self) -> dict[str, str]:
        # Every owner in one or two pages: the agent, invoice service and CSC then cost no request of their own.
        owners: dict[str, str] = {}
        after: str | None = None
        while True:
            page = self._get_owners(after)
            owners |= {str(o.email).strip().lower(): str(o.id) for o in page.results or [] if o.email}
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                break
        self._store("owners", owners)
        return owners

    # --- the cache --------------------------------------------------------------------------------------------
    def _entry(self, name: str) -> Any | None:
        """The entry's value if fetched within the time to live (from this process's copy or the shared cache)."""
        key = f"hubspot|{self._portal}|{name}"
        found = self._memory.get(key)
        if found is None or self._expired(found[1]):
            # Another process may have fetched it meanwhile.
            found = self._cache.get(key)
            if found is None or self._expired(found[1]):
                return None
            self._memory[key] = found
        return found[0]

    def _expired(self, fetched_at: datetime) -> bool:
        return (self._now() - fetched_at).total_seconds() > self._ttl

    def _store(self, name: str, value: Any) -> None:
        key = f"hubspot|{self._portal}|{name}"
        self._memory[key] = (value, self._now())
        self._cache.put(key, value)

    def _pipelines(self, object_type: str) -> dict[str, Pipeline] | None:
        stored = self._entry(f"pipelines|{object_type}")
        if stored is None:
            return None
        return {
            label: Pipeline(id=value["id"], label=label, stages=dict(value["stages"]))
            for label, value in stored.items()
        }

    def _fetch_pipelines(self, object_type: str) -> dict[str, Pipeline]:
        pipelines = {
            p.label: Pipeline(id=str(p.id), label=p.label, stages={s.label: str(s.id) for s in p.stages or []})
            for p in self._get_pipelines(object_type).results or []
            if not p.archived
        }
        self._store(
            f"pipelines|{object_type}",
            {label: {"id": p.id, "stages": p.stages} for label, p in pipelines.items()},
        )
        return pipelines

    def _all_options(self, object_type: str) -> dict[str, dict[str, str]] | None:
        stored = self._entry(f"options|{object_type}")
        return dict(stored) if stored is not None else None

    def _fetch_options(self, object_type: str) -> dict[str, dict[str, str]]:
        definitions = self._get_properties(object_type).results or []
        options = {
            definition.name: {option.label: option.value for option in definition.options or [] if not option.hidden}
            for definition in definitions
            if definition.type == "enumeration"
        }
        self._store(f"options|{object_type}", options)
        return options

    def _options(self, object_type: str, name: str, *, refresh: bool = False) -> dict[str, str]:
        everything = None if refresh else self._all_options(object_type)
        if everything is None or name not in everything:
            everything = self._fetch_options(object_type)
        options = everything.get(name)
        if options is None:
            raise ConfigurationError(
                SYSTEM,
                f"{object_type} property {name!r} does not exist or is no enumeration",
                object_type=object_type,
                field=name,
            )
        return dict(options)


def portal_labels(
    crm: Any, transport: HubSpotTransport, settings: HubSpotSettings, cache: PortalCache | None
) -> LabelResolver:
    """The portal's labels for an adapter on the SDK's `crm` APIs, fetched through its `transport` on a miss."""
    pipelines, owners, properties = crm.pipelines.pipelines_api, crm.owners.owners_api, crm.properties.core_api
    return LabelResolver(
        cache or MemoryPortalCache(),
        portal=f"{settings.base_url}|{settings.portal_id}",
        ttl_seconds=settings.cache_ttl_seconds,
        get_pipelines=lambda object_type: transport.call(pipelines.get_all, object_type, object_type="pipeline"),
        get_properties=lambda object_type: transport.call(properties.get_all, object_type, object_type="property"),
        get_owners=lambda after: transport.call(owners.get_page, limit=OWNERS_PAGE, after=after, object_type="owner"),
    )
