"""The LicenceAdmin port for Avonova Digital: a REST adapter, and the manual routine where no API exists."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from adapters.errors import (
    ExternalSystemError,
    TransientError,
    Unanswered,
    ValidationRejected,
    error_for_status,
    may_still_land,
)
from adapters.licence_api import F_LICENCES, F_REFERENCE, LICENCES_PATH
from config.settings import LicenceSettings

log = logging.getLogger(__name__)

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

    def __init__(self, settings: LicenceSettings) -> None:
        self.settings = settings
        self.calls = 0
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}", "Accept": "application/json"},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        )

    def close(self) -> None:
        self._client.close()

    def read_licences(self, *, customer_id: str) -> int:
        return int(self._request("GET", customer_id)[F_LICENCES])

    def set_licences(self, *, customer_id: str, licences: int, case_key: str) -> int:
        """Set the count (a PUT of the absolute number) and return what is stored.

        Repeating the PUT leaves the same count, but a PUT that went unanswered may land later still, over a
        newer count. So after one the adapter waits until it must have landed (`settle_seconds`) and reads: a
        count this case already set is not written again, and no PUT of ours is left in flight."""
        if licences < 0:
            raise ValidationRejected(SYSTEM, "the licence count cannot be negative", field=F_LICENCES)
        path = LICENCES_PATH.format(customer_id=customer_id)
        body = {F_LICENCES: licences, F_REFERENCE: case_key}
        # A run killed after its PUT landed and before it was recorded finds its own write here, not a second one.
        if self._is_set(self._request("GET", customer_id), licences, case_key):
            return licences
        attempts = max(1, self.settings.max_attempts)
        for attempt in range(attempts):
            try:
                return int(self._once("PUT", path, json=body)[F_LICENCES])
            except TransientError as error:
                if may_still_land(error) and self._already_set(customer_id, licences, case_key):
                    return licences
                if attempt + 1 >= attempts:
                    raise
                log.info("avonova-digital: PUT %s failed (attempt %d): %s", path, attempt + 1, error.message)
                time.sleep(self.settings.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")

    def _already_set(self, customer_id: str, licences: int, case_key: str) -> bool:
        """Whether an unanswered PUT of this count by this case landed, read once it must have."""
        time.sleep(self.settings.settle_seconds)
        return self._is_set(self._request("GET", customer_id), licences, case_key)

    @staticmethod
    def _is_set(stored: dict[str, Any], licences: int, case_key: str) -> bool:
        return stored.get(F_LICENCES) == licences and stored.get(F_REFERENCE) == case_key

    def _request(self, method: str, customer_id: str, *, json: Any = None) -> dict[str, Any]:
        path = LICENCES_PATH.format(customer_id=customer_id)
        attempts = max(1, self.settings.max_attempts)
        for attempt in range(attempts):
            try:
                return self._once(method, path, json=json)
            except TransientError as error:
                if attempt + 1 >= attempts:
                    raise
                log.info("avonova-digital: %s %s failed (attempt %d): %s", method, path, attempt + 1, error.message)
                time.sleep(self.settings.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")

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
