"""One HubSpot request with timeouts, counting, the adapters' retry policy with HubSpot's Retry-After and rate-limit
window, and translation of SDK failures into our own exceptions (never an SDK exception, never the token)."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
from hubspot import HubSpot
from hubspot.crm.associations.v4 import ApiException as AssociationsError
from hubspot.crm.companies import ApiException as CompaniesError
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.objects.notes import ApiException as NotesError
from hubspot.crm.owners import ApiException as OwnersError
from hubspot.crm.pipelines import ApiException as PipelinesError
from hubspot.crm.properties import ApiException as PropertiesError
from hubspot.crm.tickets import ApiException as TicketsError
from hubspot.discovery.crm.discovery import Discovery as CrmApis
from urllib3.util.retry import Retry

from adapters.errors import (
    GATEWAY_GAVE_UP,
    AuthenticationError,
    ExternalSystemError,
    NotFoundError,
    TransientError,
    Unanswered,
    ValidationRejected,
)
from adapters.ports import RateBudget
from adapters.retrying import RetryPolicy
from config.settings import HubSpotSettings

SYSTEM = "hubspot"
# Every sub-package of the SDK has its own ApiException class.
API_ERRORS: tuple[type[Exception], ...] = (
    AssociationsError,
    CompaniesError,
    ContactsError,
    DealsError,
    NotesError,
    OwnersError,
    PipelinesError,
    PropertiesError,
    TicketsError,
)
NETWORK_ERRORS: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)
WAIT_HEADERS = ("retry-after", "x-hubspot-ratelimit-interval-milliseconds")  # what a failure keeps of its headers
MAX_WAIT_SECONDS = 30.0  # a Retry-After beyond this is not "within reason" for a task that has its own retries

T = TypeVar("T")


class Conflict(ValidationRejected):
    """HTTP 409: the object already exists (a unique value or a contact's e-mail); look it up instead."""


class RetryableFailure(TransientError):
    """A transient failure of one request, with HubSpot's headers, which say how long to wait before the next."""

    def __init__(
        self, message: str, *, object_type: str, status: int | None, correlation_id: str, headers: dict[str, str]
    ) -> None:
        super().__init__(SYSTEM, message, object_type=object_type, status=status, correlation_id=correlation_id)
        self.headers = headers


class UnansweredFailure(RetryableFailure, Unanswered):
    """A transient failure after which HubSpot may still carry the request out (no answer, or a gateway gave up)."""


class HubSpotTransport:
    """Runs SDK calls: passes the timeouts, counts each HTTP request, retries transient failures."""

    def __init__(
        self,
        settings: HubSpotSettings,
        *,
        budget: RateBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.budget = budget
        self.timeout = (settings.connect_timeout, settings.read_timeout)
        self.calls = 0
        self._secret = settings.token.get_secret_value()
        self.retry = RetryPolicy(
            SYSTEM,
            settings.max_attempts,
            settings.backoff_seconds,
            settings.settle_seconds,
            sleep=sleep,
            delay=self._delay,
        )

    def call(self, fn: Callable[..., T], *args: Any, object_type: str, **kwargs: Any) -> T:
        """Call `fn`, trying a transient failure again (after the wait HubSpot asks for, if it asks)."""
        return self.retry.call(
            lambda: self.once(fn, *args, object_type=object_type, **kwargs),
            operation=f"{object_type} {getattr(fn, '__name__', 'request')}",
        )

    def once(self, fn: Callable[..., T], *args: Any, object_type: str, **kwargs: Any) -> T:
        """One HTTP request, never retried (a create's retries look first: RetryPolicy.write_once)."""
        if self.budget is not None:
            self.budget.take()  # every request, a retry too, spends the portal's budget
        self.calls += 1
        try:
            return fn(*args, _request_timeout=self.timeout, **kwargs)
        except API_ERRORS as error:
            raise self.translate(error, object_type=object_type) from None
        except NETWORK_ERRORS as error:
            failure = RetryableFailure if _never_sent(error) else UnansweredFailure
            raise failure(
                f"network error: {type(error).__name__}",
                object_type=object_type,
                status=None,
                correlation_id="",
                headers={},
            ) from None

    def _delay(self, error: TransientError, attempt: int) -> float:
        headers = error.headers if isinstance(error, RetryableFailure) else {}
        return self.backoff(attempt, status=error.status, headers=headers)

    def backoff(self, attempt: int, *, status: int | None = None, headers: dict[str, str] | None = None) -> float:
        """Exponential backoff with jitter; on a 429, HubSpot's Retry-After or a share of its rolling window."""
        headers = headers or {}
        retry_after = _number(headers.get("retry-after"))
        if retry_after is not None:
            return min(retry_after, MAX_WAIT_SECONDS)
        wait = self.settings.backoff_seconds * 2.0 ** (attempt - 1)
        interval_ms = _number(headers.get("x-hubspot-ratelimit-interval-milliseconds"))
        if status == 429 and interval_ms:
            # The window frees up somewhere within one interval: start at a tenth of it, double, never past it.
            window = interval_ms / 1000
            wait = min(max(wait, window / 10 * 2.0 ** (attempt - 1)), window)
        return min(wait * random.uniform(1.0, 1.1), MAX_WAIT_SECONDS)

    def translate(self, error: Exception, *, object_type: str) -> ExternalSystemError:
        status = int(getattr(error, "status", 0) or 0)
        headers = {str(k).lower(): str(v) for k, v in dict(getattr(error, "headers", None) or {}).items()}
        body = _json(getattr(error, "body", None))
        message = self._clean(str(body.get("message") or getattr(error, "reason", "") or f"HTTP {status}"))
        correlation = str(body.get("correlationId") or "")
        if status == 0 or status == 429 or status >= 500:
            failure = UnansweredFailure if status in GATEWAY_GAVE_UP else RetryableFailure
            return failure(
                f"HTTP {status}: {message}",
                object_type=object_type,
                status=status or None,
                correlation_id=correlation,
                headers={name: value for name, value in headers.items() if name in WAIT_HEADERS},
            )
        kinds: dict[int, type[ExternalSystemError]] = {
            401: AuthenticationError,
            403: AuthenticationError,
            404: NotFoundError,
            409: Conflict,
        }
        kind = kinds.get(status, ValidationRejected)
        return kind(
            SYSTEM, message, object_type=object_type, field=_field(body), status=status, correlation_id=correlation
        )

    def _clean(self, text: str) -> str:
        text = text[:1000]
        return text.replace(self._secret, "***") if self._secret else text


def _never_sent(error: Exception) -> bool:
    """True when no connection was made, so HubSpot cannot have the request (urllib3 wraps the cause in `reason`)."""
    causes = (error, getattr(error, "reason", None))
    return any(isinstance(cause, urllib3.exceptions.ConnectTimeoutError | ConnectionRefusedError) for cause in causes)


def _json(raw: object) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _field(body: dict[str, Any]) -> str:
    """The property HubSpot complains about: from errors[].context.propertyName, else from the message."""
    names: list[str] = []
    for detail in body.get("errors") or []:
        context = detail.get("context") if isinstance(detail, dict) else None
        if isinstance(context, dict):
            names += [str(name) for name in context.get("propertyName") or []]
    if not names:
        names = re.findall(r'"name"\s*:\s*"([^"\\]+)"', str(body.get("message") or "").replace('\\"', '"'))
    return ",".join(dict.fromkeys(names))


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def sdk_crm(settings: HubSpotSettings) -> CrmApis:
    """The SDK's CRM APIs on the settings' portal; call them through a HubSpotTransport."""
    # urllib3 must not retry on its own: a blind POST retry duplicates, and we count every request.
    client = HubSpot(
        access_token=settings.token.get_secret_value(),
        host=settings.base_url.rstrip("/"),
        retry=Retry(total=0, read=False, redirect=False),
    )
    return client.crm
