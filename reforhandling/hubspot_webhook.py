"""The receiver's HubSpot path: `ticket.propertyChange` deliveries of the app's subscription on `hs_pipeline_stage`.

Every request is verified before anything is read from it: `X-HubSpot-Signature-v3` over method, URI, body and
`X-HubSpot-Request-Timestamp` with the app's client secret (`hubspot.utils.signature.Signature`), a timestamp no
further than `intake.webhook_max_age_seconds` from now, and a signature not seen within that window (a replay).
Anything else is answered 401 and changes nothing. A verified delivery is answered 200 at once (HubSpot gives a
delivery 5 seconds) and its tickets that moved to the ready stage are taken in by one worker thread, through the
intake `reforhandling start`'s code (reforhandling/intake.py); an event seen before is skipped, and the intake's claim
takes each move in once whatever arrives twice. The scheduled intake is the backstop of a delivery lost here."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from hubspot.exceptions import InvalidSignatureTimestampError
from hubspot.utils.signature import Signature

from adapters.hubspot_intake import STAGE

log = logging.getLogger(__name__)

HUBSPOT_WEBHOOK_PATH = "/webhooks/hubspot"
# HubSpot batches up to 100 events of a few hundred bytes each.
MAX_HUBSPOT_BODY = 256 * 1024
SIGNATURE = "x-hubspot-signature-v3"
TIMESTAMP = "x-hubspot-request-timestamp"
EVENT_TYPE = "ticket.propertyChange"


class HubSpotDeliveries:
    """Verifies HubSpot's deliveries and hands the tickets they name to `take_in`, one at a time, in a thread."""

    def __init__(
        self,
        *,
        secret: str,
        max_age_seconds: float,
        ready_stage_id: Callable[[], str],
        take_in: Callable[[str], object],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._max_age_ms = max_age_seconds * 1000
        self._ready_stage_id = ready_stage_id
        self._take_in = take_in
        self._clock = clock
        # Signatures and event ids seen within the window: a replayed request is refused, a re-delivered event skipped.
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubspot-intake")

    def verify(self, *, body: bytes, uri: str, signature: str | None, timestamp: str | None) -> str | None:
        """Why the request is refused (None: it is HubSpot's, fresh and not seen before)."""
        if not signature or not timestamp:
            return "no signature"
        now_ms = self._clock() * 1000
        if not timestamp.isascii() or not timestamp.isdigit() or abs(now_ms - int(timestamp)) > self._max_age_ms:
            return "stale or malformed timestamp"
        try:
            valid = Signature.is_valid(
                signature, self._secret, body.decode("utf-8"), http_uri=uri, signature_version="v3", timestamp=timestamp
            )
        except (InvalidSignatureTimestampError, UnicodeDecodeError):
            valid = False
        if not valid:
            return "wrong signature"
        if not self._first_time(f"signature:{signature}", now_ms):
            return "replayed"
        return None

    def accept(self, body: bytes) -> tuple[int, str]:
        """Queue the tickets a verified delivery moved to the ready stage; (status, reason)."""
        try:
            events = json.loads(body)
        except ValueError:
            events = None
        if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
            return 400, "malformed: the body is not a JSON array of events"
        ready = self._ready_stage_id()
        now_ms = self._clock() * 1000
        tickets: list[str] = []
        for event in events:
            wanted = event.get("subscriptionType") == EVENT_TYPE and event.get("propertyName") == STAGE
            object_id = str(event.get("objectId", ""))
            if not wanted or event.get("propertyValue") != ready or not (object_id.isascii() and object_id.isdigit()):
                continue
            if self._first_time(f"event:{event.get('eventId')}", now_ms) and object_id not in tickets:
                tickets.append(object_id)
        for ticket_id in tickets:
            self._worker.submit(self._take, ticket_id)
        return 200, f"{len(tickets)} ticket(s) to take in"

    def idle(self) -> Future[None]:
        """Done when everything queued before it was taken in (tests, the bench)."""
        return self._worker.submit(lambda: None)

    def close(self) -> None:
        self._worker.shutdown(wait=True)

    def _take(self, ticket_id: str) -> None:
        try:
            taken = self._take_in(ticket_id)
            log.info("hubspot webhook: ticket %s: %s", ticket_id, getattr(taken, "outcome", taken))
        except Exception as error:  # the scheduled intake tries again within a minute
            log.warning("hubspot webhook: ticket %s not taken in this time: %s", ticket_id, error)

    def _first_time(self, key: str, now_ms: float) -> bool:
        with self._lock:
            for seen, until in list(self._seen.items()):
                if until < now_ms:
                    del self._seen[seen]
            if key in self._seen:
                return False
            self._seen[key] = now_ms + 2 * self._max_age_ms
            return True


def delivery_headers(headers: Any) -> tuple[str | None, str | None]:
    return headers.get(SIGNATURE), headers.get(TIMESTAMP)
