"""Our exceptions for failures of external systems, carrying what an ops person needs and never a secret."""

from __future__ import annotations

from typing import Any


class ExternalSystemError(Exception):
    """A call to an external system failed; `retryable` tells the task's retry policy whether to try again."""

    retryable: bool = False

    def __init__(
        self,
        system: str,
        message: str,
        *,
        object_type: str = "",
        field: str = "",
        status: int | None = None,
        correlation_id: str = "",
    ) -> None:
        self.system = system
        self.message = message
        self.object_type = object_type
        self.field = field
        self.status = status
        self.correlation_id = correlation_id
        parts = [f"{system}: {message}"]
        if object_type:
            parts.append(f"object={object_type}")
        if field:
            parts.append(f"field={field}")
        if status is not None:
            parts.append(f"status={status}")
        if correlation_id:
            parts.append(f"correlationId={correlation_id}")
        super().__init__(" ".join(parts))

    def __reduce__(self) -> tuple[Any, ...]:
        # Prefect pickles a failed task's exception into its persisted result; the default pickling would call
        # __init__ with the formatted text alone and fail to load it again.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[ExternalSystemError], args: tuple[Any, ...], fields: dict[str, Any]) -> ExternalSystemError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(fields)
    return error


class TransientError(ExternalSystemError):
    """Rate limit, 5xx, timeout or dropped connection that outlived the adapter's own retries."""

    retryable = True


class Unanswered(TransientError):
    """No answer came (read timeout, dropped connection): the system may have the request and may still carry it
    out, so a look-up right now can miss it."""


class NotFoundError(ExternalSystemError):
    """The object does not exist (HTTP 404)."""


class ValidationRejected(ExternalSystemError):
    """The system refused what we sent (HTTP 400): retrying the same request cannot help."""


class AuthenticationError(ExternalSystemError):
    """Missing or wrong credentials (HTTP 401/403): fix the secret, then retry the run."""


class ConfigurationError(ExternalSystemError):
    """A configured label or name does not exist in the system (e.g. a pipeline stage)."""


def error_for_status(status: int) -> type[ExternalSystemError]:
    """Our exception class for an HTTP error status of a REST API."""
    if status == 429 or status >= 500:
        return TransientError
    if status in {401, 403}:
        return AuthenticationError
    if status == 404:
        return NotFoundError
    return ValidationRejected


# A gateway that gave up (502, 504) says nothing of the system behind it, which may still be working on the request.
GATEWAY_GAVE_UP = frozenset({502, 504})


def may_still_land(error: ExternalSystemError) -> bool:
    """True when a write that failed this way may yet be carried out: look for it only once it must have finished."""
    return isinstance(error, Unanswered) or error.status in GATEWAY_GAVE_UP


def is_retryable(error: BaseException) -> bool:
    """Retry condition for tasks: only transient failures of external systems."""
    return isinstance(error, TransientError)
