"""The HubSpot CRM sandbox: the v3 objects, v4 associations, pipelines, owners and properties endpoints that
hubspot-api-client 12 calls, with HubSpot's validation, error bodies and private-app rate limit.

The product (adapters/hubspot_crm.py, and the soak's ticket create) uses: object create, read, update and archive;
`POST .../batch/read`; the v4 default association PUT and the v4 association list; the pipelines, owners and
properties lists. Kept only for the SDK-driven tests of realism in tests/hubspot_sandbox: the object list (paging),
`POST .../batch/update`, `.../batch/create` and `.../search`; the labelled v4 PUT, the v4 DELETE and the v4
`batch/create` and `batch/associate/default`; one pipeline, one owner and one property by id or name."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from config.settings import IntakeSettings, RoutineSettings
from sandbox.hubspot.associations import TYPES, check_type, default_type
from sandbox.hubspot.errors import HubSpotError, bad_request, injected, not_found, rate_limited, unauthorized
from sandbox.hubspot.pages import RECORD_PATH, record_page
from sandbox.hubspot.schema import OBJECT_TYPE_IDS, modified_property, object_type_name
from sandbox.hubspot.search import search
from sandbox.hubspot.seed import initial_state
from sandbox.hubspot.store import ObjectStore
from sandbox.hubspot.webhooks import DEFAULT_BACKOFF, SETTINGS_PATH, SUBSCRIPTIONS_PATH, Webhooks
from sandbox.kit import (
    FaultPlan,
    JSONResponse,
    RollingWindowLimiter,
    SandboxApp,
    json_of,
    query_list,
    utc_now_iso,
    wire_path,
)

OBJ = "/crm/v3/objects/{object_type}"
V4 = "/crm/v4/objects/{object_type}/{object_id}/associations"
BATCH_LIMIT = 100


class HubSpotSandbox(SandboxApp):
    """A local HubSpot portal seeded with the routine's pipelines, properties, owners and customers."""

    name = "hubspot"

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        faults: FaultPlan | None = None,
        rate_limit: int = 100,
        rate_window: float = 10.0,
        token: str = "sandbox-token",
        daily_limit: int = 250_000,
        search_lag: float = 0.0,
        routine: RoutineSettings | None = None,
        intake: IntakeSettings | None = None,
        apps: dict[str, str] | None = None,
        developer_key: str = "sandbox-key",
        portal_id: int = 1234567,
        webhook_backoff: tuple[float, ...] = DEFAULT_BACKOFF,
    ) -> None:
        self.token = token
        self.intake = intake or IntakeSettings()
        self.developer_key = developer_key
        # The apps whose webhooks deliver events (app id -> client secret); the lock is the kit's, made below.
        self.webhooks = Webhooks(
            lambda: self.state,
            apps=apps if apps is not None else {"2345678": "sandbox-client-secret"},
            portal_id=portal_id,
            persist=lambda: self.persist(),
            lock=_LockProxy(self),
            backoff=webhook_backoff,
        )
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.daily_limit = daily_limit
        self.search_lag = search_lag  # seconds before a new record shows up in search, as in HubSpot
        self.routine = routine or RoutineSettings()
        self.limiter = RollingWindowLimiter(rate_limit, rate_window)
        self._daily_used = 0
        super().__init__(state_file=state_file, faults=faults)
        self.webhooks.resend_owed()

    # --- kit hooks --------------------------------------------------------------------------------------
    def initial_state(self) -> dict[str, Any]:
        return initial_state(self.routine, self.intake)

    def reset(self) -> None:
        super().reset()
        self.webhooks.sender.clear()
        self.limiter = RollingWindowLimiter(self.rate_limit, self.rate_window)
        self._daily_used = 0

    def before_route(self, request: Request) -> Response | None:
        if request.url.path.startswith("/webhooks/"):
            # The Webhooks API is a developer API: the app's developer key, not the portal's token.
            if request.query_params.get("hapikey") != self.developer_key:
                return unauthorized(bool(request.query_params.get("hapikey")))
            return None
        header = request.headers.get("authorization", "")
        if header != f"Bearer {self.token}":
            return unauthorized(bool(header))
        allowed, remaining = self.limiter.hit()
        request.state.remaining = remaining
        if not allowed:
            return rate_limited()
        self._daily_used += 1
        return None

    def extra_headers(self, request: Request) -> dict[str, str]:
        if request.url.path.startswith("/_sandbox/"):
            return {}
        remaining = getattr(request.state, "remaining", None)
        return {
            "X-HubSpot-RateLimit-Max": str(self.rate_limit),
            "X-HubSpot-RateLimit-Remaining": str(self.rate_limit if remaining is None else remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.rate_window * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(self.daily_limit - self._daily_used, 0)),
        }

    def not_found(self, request: Request) -> Response:
        return HubSpotError(404, f"Unable to route {request.method} {wire_path(request)}", "NOT_FOUND").response()

    def server_error(self, request: Request, status: int) -> Response:
        return injected(status)

    def _record_page(self, request: Request, portal_id: str, type_id: str, object_id: str) -> Response:
        with self.lock:
            status, html = record_page(self.state, portal_id=portal_id, type_id=type_id, object_id=object_id)
        return HTMLResponse(html, status)

    # --- accessors for tests and the demo ----------------------------------------------------------------
    def objects(self, object_type: str) -> list[dict[str, Any]]:
        """Stored, unarchived records of a type (id, properties, createdAt, updatedAt), oldest first."""
        with self.lock:
            store = ObjectStore(self.state)
            return [
                {key: copy.deepcopy(record[key]) for key in ("id", "properties", "createdAt", "updatedAt")}
                for record in store.records(object_type_name(object_type))
            ]

    def object(self, object_type: str, object_id: str) -> dict[str, Any] | None:
        return next((record for record in self.objects(object_type) if record["id"] == object_id), None)

    def associations(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        """Ids of the `to_type` records associated with one record."""
        with self.lock:
            store = ObjectStore(self.state)
            return list(store.associations.targets(object_type_name(from_type), from_id, object_type_name(to_type)))

    # --- routes -------------------------------------------------------------------------------------------
    def setup_routes(self) -> None:
        # For people, beside the API: a record's page, where the routine's HubSpot links point on the local stack.
        self.route("GET", RECORD_PATH)(self._record_page)
        on = self._on
        on("POST", OBJ + "/batch/read", self._batch_read)
        on("POST", OBJ + "/batch/update", self._batch_update)
        on("POST", OBJ + "/batch/create", self._batch_create)
        on("POST", OBJ + "/search", self._search)
        on("POST", OBJ, self._create)
        on("GET", OBJ, self._list)
        on("GET", OBJ + "/{object_id}", self._get)
        on("PATCH", OBJ + "/{object_id}", self._update)
        on("DELETE", OBJ + "/{object_id}", self._archive)
        on("PUT", V4 + "/default/{to_type}/{to_id}", self._v4_put_default)
        on("PUT", V4 + "/{to_type}/{to_id}", self._v4_put)
        on("DELETE", V4 + "/{to_type}/{to_id}", self._v4_delete)
        on("GET", V4 + "/{to_type}", self._v4_list)
        on("POST", "/crm/v4/associations/{from_type}/{to_type}/batch/create", self._v4_batch_create)
        on(
            "POST",
            "/crm/v4/associations/{from_type}/{to_type}/batch/associate/default",
            self._v4_batch_default,
        )
        on("GET", "/crm/v3/pipelines/{object_type}", self._pipelines)
        on("GET", "/crm/v3/pipelines/{object_type}/{pipeline_id}", self._pipeline)
        on("GET", "/crm/v3/owners", self._owners)
        on("GET", "/crm/v3/owners/", self._owners)
        on("GET", "/crm/v3/owners/{owner_id}", self._owner)
        on("GET", "/crm/v3/properties/{object_type}", self._properties)
        on("GET", "/crm/v3/properties/{object_type}/{name}", self._property)
        on("PUT", SETTINGS_PATH, lambda r, app_id: JSONResponse(self.webhooks.configure(app_id, _body(r))))
        on("GET", SETTINGS_PATH, lambda r, app_id: JSONResponse(self.webhooks.settings(app_id)))
        on("POST", SUBSCRIPTIONS_PATH, lambda r, app_id: JSONResponse(self.webhooks.subscribe(app_id, _body(r)), 201))
        on("GET", SUBSCRIPTIONS_PATH, lambda r, app_id: JSONResponse({"results": self.webhooks.subscriptions(app_id)}))

    def _on(self, method: str, pattern: str, handler: Callable[..., Response]) -> None:
        def guarded(request: Request, **params: str) -> Response:
            try:
                return handler(request, **params)
            except HubSpotError as error:
                return error.response()

        self.route(method, pattern)(guarded)

    @property
    def store(self) -> ObjectStore:
        return ObjectStore(self.state)

    # --- objects --------------------------------------------------------------------------------------------
    def _create(self, request: Request, object_type: str) -> Response:
        kind = object_type_name(object_type)
        body = _body(request)
        record = self.store.create(kind, body.get("properties") or {}, body.get("associations"))
        return JSONResponse(self.store.render(kind, record, list(record["properties"])), 201)

    def _get(self, request: Request, object_type: str, object_id: str) -> Response:
        kind = object_type_name(object_type)
        if request.query_params.get("archived") == "true":
            raise not_found(kind, object_id)
        record = self.store.get(kind, object_id, id_property=request.query_params.get("idProperty"))
        associations = [object_type_name(name) for name in query_list(request, "associations")]
        with_history = query_list(request, "propertiesWithHistory")
        return JSONResponse(
            self.store.render(kind, record, query_list(request, "properties"), associations, with_history)
        )

    def _list(self, request: Request, object_type: str) -> Response:
        kind = object_type_name(object_type)
        limit = min(int(request.query_params.get("limit") or 10), 100)
        offset = int(request.query_params.get("after") or 0)
        records = sorted(
            self.store.records(kind, archived=request.query_params.get("archived") == "true"),
            key=lambda r: int(r["id"]),
        )
        associations = [object_type_name(name) for name in query_list(request, "associations")]
        page = [
            self.store.render(kind, r, query_list(request, "properties"), associations)
            for r in records[offset : offset + limit]
        ]
        return JSONResponse({"results": page, **_paging(request, offset + limit, len(records))})

    def _update(self, request: Request, object_type: str, object_id: str) -> Response:
        kind = object_type_name(object_type)
        body = _body(request)
        id_property = request.query_params.get("idProperty")
        before = dict(self.store.get(kind, object_id, id_property=id_property)["properties"])
        record = self.store.update(kind, object_id, body.get("properties") or {}, id_property=id_property)
        self._changed(kind, record, before)
        return JSONResponse(self.store.render(kind, record, list(record["properties"])))

    def _changed(self, kind: str, record: dict[str, Any], before: dict[str, Any]) -> None:
        """Tell the subscribed apps about each property whose value changed."""
        for name, value in record["properties"].items():
            if before.get(name) != value and name != modified_property(kind):
                self.webhooks.property_changed(kind, str(record["id"]), name, str(value))

    def _archive(self, request: Request, object_type: str, object_id: str) -> Response:
        self.store.archive(object_type_name(object_type), object_id)
        return JSONResponse(None, 204)

    def _batch_read(self, request: Request, object_type: str) -> Response:
        kind = object_type_name(object_type)
        body = _body(request)
        inputs = _inputs(body)
        id_property = body.get("idProperty") or None
        found, missing = [], []
        for item in inputs:
            wanted = str(item.get("id", ""))
            record = self.store.find(kind, wanted, id_property=id_property)
            if record is None:
                missing.append(wanted)
            elif record not in found:
                found.append(record)
        properties = list(body.get("properties") or [])
        if id_property and id_property not in properties:
            properties.append(id_property)
        results = [self.store.render(kind, record, properties) for record in found]
        errors = []
        if missing:
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {kind[:-1].upper()} objects, they may be deleted or not exist. "
                    "Check that ids are valid.",
                    "context": {"ids": missing},
                    "errors": [],
                    "links": {},
                }
            )
        return _batch(results, errors)

    def _batch_update(self, request: Request, object_type: str) -> Response:
        kind = object_type_name(object_type)
        inputs = _inputs(_body(request))
        store = self.store
        for item in inputs:  # validate the whole batch before writing any of it, as HubSpot does
            record = store.get(kind, str(item.get("id", "")), id_property=item.get("idProperty"))
            store.validate(kind, dict(item.get("properties") or {}), record)
        results = []
        for item in inputs:
            before = dict(store.get(kind, str(item["id"]), id_property=item.get("idProperty"))["properties"])
            record = store.update(
                kind, str(item["id"]), dict(item.get("properties") or {}), id_property=item.get("idProperty")
            )
            self._changed(kind, record, before)
            results.append(store.render(kind, record, list(item.get("properties") or [])))
        return _batch(results, [])

    def _batch_create(self, request: Request, object_type: str) -> Response:
        kind = object_type_name(object_type)
        inputs = _inputs(_body(request))
        store = self.store
        for item in inputs:
            store.validate(kind, dict(item.get("properties") or {}), None)
        records = [store.create(kind, dict(i.get("properties") or {}), i.get("associations")) for i in inputs]
        return _batch([store.render(kind, r, list(r["properties"])) for r in records], [], status=201)

    def _search(self, request: Request, object_type: str) -> Response:
        kind = object_type_name(object_type)
        body = _body(request)
        store = self.store
        page, total, after = search(store.records(kind), store.definitions(kind), body, lag=self.search_lag)
        results = [store.render(kind, record, list(body.get("properties") or [])) for record in page]
        paging = {"paging": {"next": {"after": after, "link": ""}}} if after else {}
        return JSONResponse({"total": total, "results": results, **paging})

    # --- associations v4 ------------------------------------------------------------------------------------
    def _pair(self, object_type: str, object_id: str, to_type: str, to_id: str) -> tuple[str, str]:
        kind, to_kind = object_type_name(object_type), object_type_name(to_type)
        self.store.get(kind, object_id)
        self.store.get(to_kind, to_id)
        return kind, to_kind

    def _v4_put(self, request: Request, object_type: str, object_id: str, to_type: str, to_id: str) -> Response:
        kind, to_kind = self._pair(object_type, object_id, to_type, to_id)
        specs = json_of(request)
        if not isinstance(specs, list) or not specs:
            raise bad_request("The body must be a non-empty JSON list of association types.")
        for spec in specs:
            association = check_type(
                int(spec.get("associationTypeId", 0)), str(spec.get("associationCategory", "")), kind, to_kind
            )
            self.store.associations.add(kind, object_id, to_id, association)
        return JSONResponse(self._labels_between(kind, object_id, to_kind, to_id), 201)

    def _v4_put_default(self, request: Request, object_type: str, object_id: str, to_type: str, to_id: str) -> Response:
        kind, to_kind = self._pair(object_type, object_id, to_type, to_id)
        association = default_type(kind, to_kind)
        self.store.associations.add(kind, object_id, to_id, association)
        return _batch(_default_results(object_id, to_id, association.type_id, association.inverse), [])

    def _v4_delete(self, request: Request, object_type: str, object_id: str, to_type: str, to_id: str) -> Response:
        self.store.associations.remove(object_type_name(object_type), object_id, object_type_name(to_type), to_id)
        return JSONResponse(None, 204)

    def _v4_list(self, request: Request, object_type: str, object_id: str, to_type: str) -> Response:
        kind, to_kind = object_type_name(object_type), object_type_name(to_type)
        self.store.get(kind, object_id)
        limit = min(int(request.query_params.get("limit") or 500), 500)
        offset = int(request.query_params.get("after") or 0)
        rows = [
            {
                "toObjectId": int(to_id) if to_id.isdigit() else to_id,
                "associationTypes": [_spec_with_label(type_id) for type_id in type_ids],
            }
            for to_id, type_ids in self.store.associations.targets(kind, object_id, to_kind).items()
        ]
        return JSONResponse({"results": rows[offset : offset + limit], **_paging(request, offset + limit, len(rows))})

    def _v4_batch_create(self, request: Request, from_type: str, to_type: str) -> Response:
        kind, to_kind = object_type_name(from_type), object_type_name(to_type)
        results, errors = [], []
        for item in _inputs(_body(request)):
            from_id, to_id = str(item["from"]["id"]), str(item["to"]["id"])
            if self.store.find(kind, from_id) is None or self.store.find(to_kind, to_id) is None:
                errors.append(_batch_error(f"{kind} {from_id} or {to_kind} {to_id} does not exist", [from_id, to_id]))
                continue
            for spec in item.get("types") or []:
                association = check_type(
                    int(spec.get("associationTypeId", 0)), str(spec.get("associationCategory", "")), kind, to_kind
                )
                self.store.associations.add(kind, from_id, to_id, association)
            results.append(self._labels_between(kind, from_id, to_kind, to_id))
        return _batch(results, errors, status=201)

    def _v4_batch_default(self, request: Request, from_type: str, to_type: str) -> Response:
        kind, to_kind = object_type_name(from_type), object_type_name(to_type)
        association = default_type(kind, to_kind)
        results, errors = [], []
        for item in _inputs(_body(request)):
            from_id, to_id = str(item["from"]["id"]), str(item["to"]["id"])
            if self.store.find(kind, from_id) is None or self.store.find(to_kind, to_id) is None:
                errors.append(_batch_error(f"{kind} {from_id} or {to_kind} {to_id} does not exist", [from_id, to_id]))
                continue
            self.store.associations.add(kind, from_id, to_id, association)
            results += _default_results(from_id, to_id, association.type_id, association.inverse)
        return _batch(results, errors)

    def _labels_between(self, kind: str, object_id: str, to_kind: str, to_id: str) -> dict[str, Any]:
        type_ids = self.store.associations.targets(kind, object_id, to_kind).get(to_id, [])
        return {
            "fromObjectTypeId": OBJECT_TYPE_IDS[kind],
            "fromObjectId": object_id,
            "toObjectTypeId": OBJECT_TYPE_IDS[to_kind],
            "toObjectId": to_id,
            "labels": [TYPES[i].label for i in type_ids if TYPES[i].label],
        }

    # --- pipelines, owners, properties ----------------------------------------------------------------------
    def _pipeline_list(self, object_type: str) -> list[dict[str, Any]]:
        kind = object_type_name(object_type)
        if kind not in self.state["pipelines"]:
            raise bad_request(f"{kind} have no pipelines")
        pipelines: list[dict[str, Any]] = self.state["pipelines"][kind]
        return pipelines

    def _pipelines(self, request: Request, object_type: str) -> Response:
        return JSONResponse({"results": self._pipeline_list(object_type)})

    def _find_pipeline(self, object_type: str, pipeline_id: str) -> dict[str, Any]:
        for pipeline in self._pipeline_list(object_type):
            if pipeline["id"] == pipeline_id:
                return pipeline
        raise HubSpotError(404, f"Unable to find pipeline {pipeline_id}", "OBJECT_NOT_FOUND")

    def _pipeline(self, request: Request, object_type: str, pipeline_id: str) -> Response:
        return JSONResponse(self._find_pipeline(object_type, pipeline_id))

    def _owners(self, request: Request) -> Response:
        archived = request.query_params.get("archived") == "true"
        email = (request.query_params.get("email") or "").lower()
        owners = [o for o in self.state["owners"] if o["archived"] == archived and (not email or o["email"] == email)]
        limit = min(int(request.query_params.get("limit") or 100), 500)
        offset = int(request.query_params.get("after") or 0)
        return JSONResponse(
            {"results": owners[offset : offset + limit], **_paging(request, offset + limit, len(owners))}
        )

    def _owner(self, request: Request, owner_id: str) -> Response:
        for owner in self.state["owners"]:
            if owner["id"] == owner_id:
                return JSONResponse(owner)
        raise HubSpotError(404, f"Owner {owner_id} not found", "OBJECT_NOT_FOUND")

    def _properties(self, request: Request, object_type: str) -> Response:
        return JSONResponse({"results": list(self.store.definitions(object_type_name(object_type)).values())})

    def _property(self, request: Request, object_type: str, name: str) -> Response:
        definition = self.store.definitions(object_type_name(object_type)).get(name)
        if definition is None:
            raise HubSpotError(404, f"Property {name} does not exist", "OBJECT_NOT_FOUND")
        return JSONResponse(definition)


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json_of(request)
    except ValueError as error:
        raise bad_request(f"Invalid input JSON on line 1: {error}") from error
    if not isinstance(body, dict):
        raise bad_request("Invalid input JSON: expected an object")
    return body


def _inputs(body: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise bad_request("inputs is required")
    if len(inputs) > BATCH_LIMIT:
        raise bad_request(f"Batch size exceeds the limit of {BATCH_LIMIT}")
    return inputs


def _paging(request: Request, following: int, total: int) -> dict[str, Any]:
    if following >= total:
        return {}
    return {"paging": {"next": {"after": str(following), "link": f"{wire_path(request)}?after={following}"}}}


def _batch(results: list[dict[str, Any]], errors: list[dict[str, Any]], *, status: int = 200) -> Response:
    now = utc_now_iso()
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "requestedAt": now,
        "startedAt": now,
        "completedAt": now,
    }
    if errors:
        body.update({"numErrors": len(errors), "errors": errors})
        return JSONResponse(body, 207)
    return JSONResponse(body, status)


def _batch_error(message: str, ids: list[str]) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": message,
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


def _default_results(from_id: str, to_id: str, type_id: int, inverse: int) -> list[dict[str, Any]]:
    return [
        {
            "from": {"id": from_id},
            "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
        },
        {
            "from": {"id": to_id},
            "to": {"id": from_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": inverse},
        },
    ]


def _spec_with_label(type_id: int) -> dict[str, Any]:
    return {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": TYPES[type_id].label}


class _LockProxy:
    """The sandbox's lock as a context manager, for the webhook sender's thread (the kit makes the lock later)."""

    def __init__(self, sandbox: SandboxApp) -> None:
        self._sandbox = sandbox

    def __enter__(self) -> None:
        self._sandbox.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._sandbox.lock.release()
