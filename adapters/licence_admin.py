"""The LicenceAdmin port for Avonova Digital: a REST adapter, and the manual routine where no API exists."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from adapters.errors import ExternalSystemError, TransientError, Unanswered, ValidationRejected, error_for_status
from adapters.licence_api import F_LICENCES, F_REFERENCE, LICENCES_PATH
from adapters.retrying import RetryPolicy
from config.settings import LicenceSettings

SYSTEM = "avonova-digital"


class ManualStepRequired(ExternalSystemError):
    """A person must do this step by hand in Avonova Digital and confirm it (there is no API)."""

    def __init__(self, message: str, *, customer_id: str, licences: int | None = None, case_key: str = "") -> None:
        super().__init__(SYSTEM, message, object_type="licences")
        self.customer_id = customer_id
        self.licences = licences
        self.case_key = case_key


class HttpLicenceAdmin:
    """Licence counts over Avonova Digital's REST endpoint (bearer token)."""

    requires_confirmation = False

    def __init__(self, settings: LicenceSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.calls = 0
        self._retry = RetryPolicy(
            SYSTEM, settings.max_attempts, settings.backoff_seconds, settings.settle_seconds, sleep=sleep
        )
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}", "Accept": "application/json"},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        )

    def close(self) -> None:
        self._client.close()

    def read_licences(self, *, customer_id: str) -> int:
        return int(self._read(customer_id)[F_LICENCES])

    def set_licences(self, *, customer_id: str, licences: int, case_key: str) -> int:
        """Set the count (a PUT of the absolute number) and return what is stored.

        Repeating the PUT leaves the same count, but a PUT that went unanswered may land later still, over a
        newer count. So after one the adapter waits until it must have landed (`settle_seconds`) and reads: a
        count this case already set is not written again, and no PUT of ours is left in flight."""
        if licences < 0:
            raise ValidationRejected(SYSTEM, "the licence count cannot be negative", field=F_LICENCES)
        path = LICENCES_PATH.format(customer_id=customer_id)
        body = {F_LICENCES: licences, F_REFERENCE: case_key}

        def already_set() -> int | None:
            stored = self._read(customer_id)
            return licences if stored.get(F_LICENCES) == licences and stored.get(F_REFERENCE) == case_key else None

        # A run killed after its PUT landed and before it was recorded finds its own write here, not a second one.
        if already_set() is not None:
            return licences
        return self._retry.write_once(
            lambda: int(self._once("PUT", path, json=body)[F_LICENCES]), already_set, operation="set licences"
        )

    def _read(self, customer_id: str) -> dict[str, Any]:
        path = LICENCES_PATH.format(customer_id=customer_id)
        return self._retry.call(lambda: self._once("GET", path, json=None), operation="read licences")

    def _once(self, method: str, path: str, *, json: Any) -> dict[str, Any]:
        self.calls += 1
        try:
            response = self._client.request(method, path, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # No connection was made: Avonova Digital cannot have the request.
            raise TransientError(SYSTEM, f"{method} {path}: {type(error).__name__}") from error
        except httpx.TransportError as error:
            raise Unanswered(SYSTEM, f"{method} {path}: no answer ({type(error).__name__})") from error
        status = response.status_code
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if status < 400 and isinstance(body, dict):
            return body
        message = f"{method} {path}: " + (
            str(body.get("message")) if isinstance(body, dict) and body else response.reason_phrase
        )
        raise error_for_status(status)(SYSTEM, message, object_type="licences", status=status)


class ManualLicenceAdmin:
    """The routine as it is today: a person sets the count in Avonova Digital and confirms it."""

    requires_confirmation = True

    def read_licences(self, *, customer_id: str) -> int:
        raise ManualStepRequired(
            f"look up the number of licences (antall tilganger) for customer {customer_id} in Avonova Digital "
            "by hand; there is no API to read it",
            customer_id=customer_id,
        )

    def set_licences(self, *, customer_id: str, licences: int, case_key: str) -> int:
        raise ManualStepRequired(
            f"set the number of licences (antall tilganger) for customer {customer_id} (organisation number) to "
            f"{licences} in Avonova Digital, then confirm it in case {case_key}",
            customer_id=customer_id,
            licences=licences,
            case_key=case_key,
        )
