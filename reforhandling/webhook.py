"""The receiver of Dealbuilder's document events and, on its own path, of HubSpot's ticket stage changes
(reforhandling/hubspot_webhook.py: v3-signed; a ticket moved to the ready stage starts its case). A signed,
declined, expired or revoked contract resumes its waiting run at once, through the poller's own resume
(tasks/resuming.py); the poller stays as the backstop. It also serves people's links to the newest version of an
artifact (`GET /artifacts/<key>` redirects to it in the Prefect UI, whose own page of a key lists every version).

An event is a claim, like any resume: the receiver checks the shared key, reads the contract from Dealbuilder and
resumes only on what Dealbuilder says. Answers are chosen for a provider that retries anything but 2xx:

- 413 a body larger than MAX_BODY (refused while it streams in, chunked too, without reading the rest), 408 a body
  not received whole within `dealbuilder.webhook_body_timeout`;
- 400 not a JSON object, 422 a field missing or of the wrong type (a retry would not fix them; they are logged);
- 401 no key, 403 a wrong key (compared in constant time, never logged);
- 200 `ignored` for what needs no retry: an event type we do not act on, a document no case is waiting for (the
  account's other contracts send events too; a 404 would be retried and count against the hook), an event id seen
  before (a provider's re-delivery after a lost answer, or a replay), a case no longer waiting for a signature;
- 409 an event the contract does not bear out yet (Dealbuilder still says Sent): the provider tries again later,
  and the poller acts once the contract changes;
- 503 Dealbuilder or Prefect could not be reached: the provider tries again.
Every event matched to a case is recorded as a `webhook` case event with its id and outcome; nothing is
recorded for a retryable answer, so the provider's retry is not taken for a replay."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from adapters import dealbuilder_api as api
from adapters.dealbuilder_contracts import DealbuilderContracts
from adapters.hubspot_intake import subscribe_to_stage_changes
from bootstrap.runtime import Runtime, build_runtime, resolve_secret, with_resolved_secrets
from config.clock import local_today
from config.settings import Settings
from models.case import Case, CaseState
from models.links import ARTIFACTS_PATH
from models.signature import signature_outcome
from reforhandling.bounded_body import BodyTooLarge, BodyTooSlow, read_bounded
from reforhandling.hubspot_webhook import HUBSPOT_WEBHOOK_PATH, MAX_HUBSPOT_BODY, HubSpotDeliveries, delivery_headers
from reforhandling.intake import Intake
from reforhandling.prefect_auth import client_settings
from sandbox.server import SandboxServer, wait_for_stop_signal
from tasks.resuming import resume_signature_wait

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/dealbuilder"
# Prefect's artifact keys: lowercase letters, digits and dashes.
ARTIFACT_KEY = re.compile(r"[a-z0-9-]{1,200}")
ACTOR = "dealbuilder-webhook"
EVENT_KIND = "webhook"
# Dealbuilder's events are a few hundred bytes; anything much larger is not one.
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What the receiver made of one delivery: the HTTP status and a short outcome for the provider's log."""

    status: int
    outcome: str  # resumed | ignored | refused | retry
    reason: str

    def response(self) -> Response:
        return JSONResponse({"outcome": self.outcome, "reason": self.reason}, self.status)


class DealbuilderWebhook:
    """The receiver as an ASGI app: POST WEBHOOK_PATH with one Dealbuilder event."""

    name = "dealbuilder-webhook"

    def __init__(
        self, runtime: Runtime, prefect_settings: dict[Any, Any], *, today: Callable[[], date] | None = None
    ) -> None:
        from prefect.settings import temporary_settings

        self.runtime = runtime
        # Requests are answered in worker threads, which do not see the caller's Prefect settings context.
        self._prefect_settings = prefect_settings
        with temporary_settings(prefect_settings):
            key = resolve_secret(runtime.settings.dealbuilder.webhook_key).get_secret_value()
            hubspot_secret = resolve_secret(runtime.settings.hubspot.client_secret).get_secret_value()
        self._key = key.encode()
        self._today = today or (lambda: local_today(runtime.settings.routine.timezone))
        self.hubspot = HubSpotDeliveries(
            secret=hubspot_secret,
            max_age_seconds=runtime.settings.intake.webhook_max_age_seconds,
            ready_stage_id=lambda: self._in_prefect(self.intake.source.ready_stage_id),
            take_in=lambda ticket_id: self._in_prefect(lambda: self.intake.take_in(ticket_id)),
        )
        self._app = Starlette(
            routes=[
                Route(WEBHOOK_PATH, self._receive, methods=["POST"]),
                Route(HUBSPOT_WEBHOOK_PATH, self._receive_hubspot, methods=["POST"]),
                Route(f"{ARTIFACTS_PATH}/{{key}}", self._latest_artifact, methods=["GET"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def _body(self, request: Request, limit: int) -> bytes | Answer:
        """The request's body, or the refusal to answer when it is larger than `limit` or comes too slowly."""
        timeout = self.runtime.settings.dealbuilder.webhook_body_timeout
        try:
            return await read_bounded(request, limit=limit, timeout=timeout)
        except BodyTooLarge:
            # Answered before the rest is read; uvicorn then closes the connection instead of reading it on.
            return Answer(413, "refused", "body too large")
        except BodyTooSlow:
            return Answer(408, "refused", f"body not received within {timeout:g} s")

    async def _receive(self, request: Request) -> Response:
        body = await self._body(request, MAX_BODY)
        if isinstance(body, Answer):
            return body.response()
        return (await run_in_threadpool(self.handle, body)).response()

    @cached_property
    def intake(self) -> Intake:
        """The intake HubSpot's deliveries go through, built on the first one."""
        return Intake(self.runtime)

    def _in_prefect(self, call: Callable[[], Any]) -> Any:
        from prefect.settings import temporary_settings

        # Worker threads do not see the caller's Prefect settings (the case's run is created on the server).
        with temporary_settings(self._prefect_settings):
            return call()

    async def _receive_hubspot(self, request: Request) -> Response:
        body = await self._body(request, MAX_HUBSPOT_BODY)
        if isinstance(body, Answer):
            return body.response()
        signature, timestamp = delivery_headers(request.headers)
        refused = self.hubspot.verify(
            body=body, uri=self._hubspot_uri(request), signature=signature, timestamp=timestamp
        )
        if refused is not None:
            log.warning("hubspot webhook: refused (401 %s)", refused)
            return Answer(401, "refused", refused).response()
        try:
            status, reason = await run_in_threadpool(self.hubspot.accept, body)
        except Exception as error:  # the portal's stages could not be read: HubSpot delivers again
            log.warning("hubspot webhook: not taken this time: %s", error)
            return Answer(503, "retry", "could not reach HubSpot; try again").response()
        return Answer(status, "accepted" if status == 200 else "refused", reason).response()

    def _hubspot_uri(self, request: Request) -> str:
        """The URI HubSpot signed: the public address it was given, else the one it called."""
        if self.runtime.settings.dealbuilder.webhook_public_url:
            return f"{self.runtime.settings.dealbuilder.receiver_url}{HUBSPOT_WEBHOOK_PATH}"
        return str(request.url)

    async def _latest_artifact(self, request: Request) -> Response:
        key = request.path_params["key"]
        if not ARTIFACT_KEY.fullmatch(key):
            return PlainTextResponse("not an artifact key", 404)
        latest = await run_in_threadpool(self.latest_artifact_id, key)
        if latest is None:
            return PlainTextResponse(f"no artifact {key!r} yet", 404)
        ui_url = self.runtime.settings.prefect.ui_url
        return RedirectResponse(f"{ui_url}/artifacts/artifact/{latest}", 307, headers={"Cache-Control": "no-store"})

    def latest_artifact_id(self, key: str) -> str | None:
        """The id of the newest version of the artifact `key`, or None when it has none."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
        from prefect.settings import temporary_settings

        only = ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[key]))
        with temporary_settings(self._prefect_settings), get_client(sync_client=True) as client:
            found = client.read_latest_artifacts(artifact_filter=only, limit=1)
        return str(found[0].latest_id) if found else None

    def handle(self, body: bytes) -> Answer:
        """Check one event and resume the run it ends the wait of, if any."""
        from prefect.settings import temporary_settings

        # Also for a secret kept in a Prefect Secret block, read when the Dealbuilder client is first built.
        with temporary_settings(self._prefect_settings):
            return self._handle(body)

    def _handle(self, body: bytes) -> Answer:
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            return _refused(400, "malformed: the body is not a JSON object")
        key = event.get(api.EV_KEY)
        if not isinstance(key, str) or not key:
            return _refused(401, f"no {api.EV_KEY}", event)
        if not hmac.compare_digest(key.encode(), self._key):
            return _refused(403, f"wrong {api.EV_KEY}", event)
        fields = {name: event.get(name) for name in (api.EV_ID, api.EV_TYPE, api.EV_DOCUMENT_ID)}
        missing = [name for name, value in fields.items() if not isinstance(value, str) or not value.strip()]
        if missing:
            return _refused(422, f"malformed: {', '.join(missing)} must be non-empty text", event)
        event_id, event_type, document_id = (str(value) for value in fields.values())
        if event_type not in api.OUTCOME_EVENTS:
            return _ignored(f"{event_type} needs nothing of us", event_id, document_id)
        store = self.runtime.store
        case = store.case_for_contract(document_id)
        if case is None:
            return _ignored("no case has this document", event_id, document_id)
        if any(seen.get("event_id") == event_id for seen in store.event_details(case.case_key, EVENT_KIND)):
            log.warning("dealbuilder webhook: event %r for case %s seen before; ignored", event_id, case.case_key)
            return Answer(200, "ignored", "event seen before")
        answer = self._resume(case, event_id)
        if answer.status == 200:
            details = {"event_id": event_id, "event_type": event_type, "document_id": document_id}
            store.add_event(case.case_key, actor=ACTOR, kind=EVENT_KIND, details=details | {"outcome": answer.reason})
        return answer

    def _resume(self, case: Case, event_id: str) -> Answer:
        """Resume the case's run if Dealbuilder's contract ends its wait."""
        from prefect.client.orchestration import get_client

        if case.state is not CaseState.AWAITING_SIGNATURE or not case.contract_id or not case.flow_run_id:
            log.info("dealbuilder webhook: case %s is %s, not waiting for a signature", case.case_key, case.state)
            return Answer(200, "ignored", f"case is {case.state}, not waiting for a signature")
        today = self._today()
        try:
            contract = self.runtime.contracts.read_status(contract_id=case.contract_id)
            outcome = signature_outcome(contract, deadline=case.signing_deadline, today=today)
            if outcome is None:
                log.info(
                    "dealbuilder webhook: event %r for case %s, but Dealbuilder says %r; not resumed",
                    event_id,
                    case.case_key,
                    contract.raw_status,
                )
                return Answer(409, "retry", f"Dealbuilder says {contract.raw_status!r}: still waiting")
            with get_client(sync_client=True) as client:
                resumed = resume_signature_wait(
                    case_key=case.case_key,
                    flow_run_id=case.flow_run_id,
                    outcome=outcome,
                    contract=contract.without_links(),
                    today=today,
                    reported_by=ACTOR,
                    client=client,
                    store=self.runtime.store,
                    logger=log,
                )
        except Exception as error:  # the provider retries a 5xx; the poller is the backstop
            log.warning("dealbuilder webhook: case %s not resumed this time: %s", case.case_key, error)
            return Answer(503, "retry", "could not reach Dealbuilder or Prefect; try again")
        if resumed:
            return Answer(200, "resumed", "resumed")
        return Answer(200, "ignored", "the run was not waiting for a signature (resumed already?)")


def _refused(status: int, reason: str, event: dict[str, Any] | None = None) -> Answer:
    # Values from an unverified body are logged with repr (no forged log lines); the key never is.
    event_id = event.get(api.EV_ID) if event else None
    document_id = event.get(api.EV_DOCUMENT_ID) if event else None
    log.warning("dealbuilder webhook: refused (%d %s): event %r, document %r", status, reason, event_id, document_id)
    return Answer(status, "refused", reason)


def _ignored(reason: str, event_id: str, document_id: str) -> Answer:
    log.info("dealbuilder webhook: event %r for document %r ignored: %s", event_id, document_id, reason)
    return Answer(200, "ignored", reason)


def webhook_url(settings: Settings, server: SandboxServer) -> str:
    """The address Dealbuilder is given: the configured public URL, else where the receiver listens."""
    return settings.dealbuilder.webhook_public_url or f"{server.url}{WEBHOOK_PATH}"


def hubspot_webhook_url(settings: Settings, server: SandboxServer) -> str:
    """The address HubSpot's app delivers ticket events to: on the public origin, else where the receiver listens."""
    if settings.dealbuilder.webhook_public_url:
        return f"{settings.dealbuilder.receiver_url}{HUBSPOT_WEBHOOK_PATH}"
    return f"{server.url}{HUBSPOT_WEBHOOK_PATH}"


def start_webhook(
    settings: Settings, *, port: int | None = None, subscribe_hubspot: bool = False
) -> tuple[SandboxServer, str]:
    """Serve the receiver in a thread (on `port`, else the configured one; 0: a free port) and register its URL
    with Dealbuilder for the events that end a signer's wait (`subscribe_hubspot`: and subscribe the HubSpot
    sandbox's app to tickets' stage changes at its HubSpot path). Returns the server (stop it) and the URL."""
    receiver = DealbuilderWebhook(build_runtime(settings), client_settings(settings))
    server = SandboxServer(
        receiver,
        host=settings.dealbuilder.webhook_host,
        port=settings.dealbuilder.webhook_port if port is None else port,
    ).start()
    try:
        url = webhook_url(settings, server)
        contracts = DealbuilderContracts(with_resolved_secrets(settings).dealbuilder, settings.routine)
        try:
            contracts.register_webhook(url=url)
        finally:
            contracts.close()
        if subscribe_hubspot:
            # The local stack's HubSpot sandbox, through the Webhooks API; a private app's subscriptions are set in
            # its settings in HubSpot.
            subscribe_to_stage_changes(settings.hubspot, url=hubspot_webhook_url(settings, server))
    except BaseException:
        server.stop()
        raise
    return server, url


def serve_webhook(settings: Settings) -> None:
    """`reforhandling webhook`: the receiver in the foreground, beside a Prefect server run elsewhere (`up` runs its
    own), until SIGINT or SIGTERM."""
    if settings.profile == "production" and not settings.dealbuilder.webhook_public_url:
        # Dealbuilder cannot call a loopback address: registering one would silently leave only the poller.
        raise SystemExit("Set REFORHANDLING_DEALBUILDER__WEBHOOK_PUBLIC_URL (the HTTPS address Dealbuilder calls).")
    server, url = start_webhook(settings)
    print(f"Dealbuilder webhook: listening at {server.url}{WEBHOOK_PATH}, registered with Dealbuilder as {url}")
    print(
        f"HubSpot webhook: listening at {server.url}{HUBSPOT_WEBHOOK_PATH}; the app's target URL must be "
        f"{hubspot_webhook_url(settings, server)} (subscription ticket.propertyChange on hs_pipeline_stage)"
    )
    try:
        wait_for_stop_signal()
    finally:
        server.stop()
