"""The HubSpot sandbox's webhooks, as the Webhooks API v3 keeps them per app: the app's settings (target URL,
throttling) and its subscriptions (`ticket.propertyChange` on `hs_pipeline_stage`, ...), managed with the developer
key (`?hapikey=`); and the deliveries: a JSON array of events, signed with the app's client secret
(`X-HubSpot-Signature-v3`, `X-HubSpot-Request-Timestamp`), retried with a growing pause after anything but 2xx, each
attempt numbered (`attemptNumber`, 0 first) and signed afresh. Owed deliveries are kept in the state and go out again
after a restart, as HubSpot's queue survives one."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from hubspot.utils.signature import Signature

from config.settings import Settings
from sandbox.dealbuilder.webhooks import WebhookSender
from sandbox.hubspot.errors import bad_request, not_found
from sandbox.hubspot.schema import OBJECT_TYPE_IDS
from sandbox.kit import utc_now_iso

SETTINGS_PATH = "/webhooks/v3/{app_id}/settings"
SUBSCRIPTIONS_PATH = "/webhooks/v3/{app_id}/subscriptions"
# HubSpot retries for about a day; the sandbox's default is bounded (six attempts within about 30 s).
DEFAULT_BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0)
PROPERTY_CHANGE = "propertyChange"
SINGULAR = {"tickets": "ticket", "deals": "deal", "companies": "company", "contacts": "contact", "notes": "note"}
_EVENT_IDS = itertools.count(int(time.time() * 1000))


def hubspot_options(settings: Settings) -> dict[str, Any]:
    """The sandbox's portal as the settings describe it: token, routine labels, the app and its keys."""
    hubspot = settings.hubspot
    return {
        "token": hubspot.token.get_secret_value(),
        "routine": settings.routine,
        "intake": settings.intake,
        "apps": {hubspot.app_id: hubspot.client_secret.get_secret_value()},
        "developer_key": hubspot.developer_api_key.get_secret_value(),
        "portal_id": int(hubspot.portal_id),
    }


def signed_headers(*, secret: str, url: str, body: bytes, timestamp_ms: int | None = None) -> dict[str, str]:
    """The headers HubSpot sends with a delivery to `url`: the v3 signature of method, URI, body and timestamp."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    signature = Signature.get_signature(secret, body.decode(), "v3", http_uri=url, timestamp=timestamp)
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": timestamp,
    }


class Webhooks:
    """The apps' webhook settings and subscriptions in the sandbox's state, and the sender of their events."""

    def __init__(
        self,
        state: Callable[[], dict[str, Any]],
        *,
        apps: dict[str, str],
        portal_id: int,
        persist: Callable[[], None],
        lock: AbstractContextManager[Any],
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
    ) -> None:
        self._state = state
        self.apps = apps  # app id -> client secret
        self.portal_id = portal_id
        self._persist = persist
        self._lock = lock
        self.sender = WebhookSender(
            backoff=backoff,
            on_settled=self._settled,
            prepare=self._prepare,
            describe=_describe,
            name="hubspot-webhooks",
        )

    # --- the Webhooks API v3 ---------------------------------------------------------------------------------
    def app(self, app_id: str) -> dict[str, Any]:
        if app_id not in self.apps:
            raise not_found("app", app_id)
        apps: dict[str, dict[str, Any]] = self._state().setdefault("webhooks", {})
        return apps.setdefault(app_id, {"settings": None, "subscriptions": []})

    def configure(self, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        target = body.get("targetUrl")
        if not isinstance(target, str) or not target.startswith(("http://", "https://")):
            raise bad_request("targetUrl must be an absolute http(s) URL")
        app = self.app(app_id)
        now = utc_now_iso()
        throttling = body.get("throttling") or {"maxConcurrentRequests": 10}
        created = app["settings"]["createdAt"] if app["settings"] else now
        app["settings"] = {"targetUrl": target, "throttling": throttling, "createdAt": created, "updatedAt": now}
        return dict(app["settings"])

    def settings(self, app_id: str) -> dict[str, Any]:
        found = self.app(app_id)["settings"]
        if found is None:
            raise not_found("settings", app_id)
        return dict(found)

    def subscribe(self, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        event_type = body.get("eventType")
        if not isinstance(event_type, str) or "." not in event_type:
            raise bad_request("eventType is required, like ticket.propertyChange")
        if event_type.endswith(PROPERTY_CHANGE) and not body.get("propertyName"):
            raise bad_request(f"propertyName is required for {event_type}")
        app = self.app(app_id)
        now = utc_now_iso()
        subscription = {
            "id": str(len(app["subscriptions"]) + 1000),
            "eventType": event_type,
            "propertyName": body.get("propertyName"),
            "active": bool(body.get("active", True)),
            "createdAt": now,
            "updatedAt": now,
        }
        app["subscriptions"].append(subscription)
        return dict(subscription)

    def subscriptions(self, app_id: str) -> list[dict[str, Any]]:
        return [dict(s) for s in self.app(app_id)["subscriptions"]]

    # --- deliveries ------------------------------------------------------------------------------------------
    def property_changed(self, object_type: str, object_id: str, name: str, value: str) -> None:
        """Queue a `<type>.propertyChange` event for every app subscribed to it (called under the sandbox lock)."""
        event_type = f"{SINGULAR[object_type]}.{PROPERTY_CHANGE}"
        outbox = self._state().setdefault("webhook_outbox", {})
        owed = []
        for app_id, app in self._state().get("webhooks", {}).items():
            target = (app.get("settings") or {}).get("targetUrl")
            for subscription in app["subscriptions"]:
                wanted = subscription["eventType"] == event_type and subscription["propertyName"] == name
                if not (target and subscription["active"] and wanted):
                    continue
                event = {
                    "eventId": next(_EVENT_IDS),
                    "subscriptionId": int(subscription["id"]),
                    "portalId": self.portal_id,
                    "appId": int(app_id),
                    "occurredAt": int(time.time() * 1000),
                    "subscriptionType": event_type,
                    "attemptNumber": 0,
                    "objectId": int(object_id),
                    "propertyName": name,
                    "propertyValue": value,
                    "changeSource": "CRM_UI",
                    "sourceId": "userId:1000000",
                    "objectTypeId": OBJECT_TYPE_IDS.get(object_type, ""),
                }
                key = f"{event['eventId']}/{app_id}"
                outbox[key] = {"url": target, "app_id": app_id, "events": [event]}
                owed.append(key)
        if owed:
            # Written down before the first attempt, so a stop cannot lose it.
            self._persist()
        for key in owed:
            self.sender.send(outbox[key]["url"], outbox[key], key=key)

    def resend_owed(self) -> None:
        """Send again what was owed when the sandbox last stopped."""
        for key, delivery in self._state().get("webhook_outbox", {}).items():
            self.sender.send(delivery["url"], delivery, key=key)

    def _prepare(self, delivery: dict[str, Any], attempt: int) -> tuple[bytes, dict[str, str]]:
        events = [event | {"attemptNumber": attempt - 1} for event in delivery["events"]]
        body = json.dumps(events).encode()
        secret = self.apps.get(delivery["app_id"], "")
        return body, signed_headers(secret=secret, url=delivery["url"], body=body)

    def _settled(self, key: str) -> None:
        """A delivery was taken or given up: it is no longer owed after a restart."""
        with self._lock:
            if self._state().get("webhook_outbox", {}).pop(key, None) is not None:
                self._persist()


def _describe(delivery: dict[str, Any]) -> dict[str, Any]:
    events = delivery["events"]
    return {
        "eventIds": [event["eventId"] for event in events],
        "objectIds": [str(event["objectId"]) for event in events],
        "propertyValues": [event["propertyValue"] for event in events],
    }
