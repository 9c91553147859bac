"""HubSpot's error bodies: `status`, `message`, `correlationId`, `category` and, where HubSpot gives them, `errors`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

from sandbox.kit import JSONResponse


def correlation_id() -> str:
    return str(uuid.uuid4())


class HubSpotError(Exception):
    """Raised inside a route; the app turns it into HubSpot's JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        category: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        sub_category: str | None = None,
        context: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.errors = errors
        self.sub_category = sub_category
        self.context = context

    def response(self) -> Response:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
            "category": self.category,
        }
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.context:
            body["context"] = self.context
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(body, self.status)


def not_found(object_type: str, object_id: str) -> HubSpotError:
    return HubSpotError(
        404,
        f"Object not found. objectId are usually numeric. ({object_type} {object_id})",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id]},
    )


def bad_request(message: str, *, errors: list[dict[str, Any]] | None = None) -> HubSpotError:
    return HubSpotError(400, message, "VALIDATION_ERROR", errors=errors)


def property_problems(problems: list[dict[str, str]]) -> HubSpotError:
    """HubSpot's property validation failure: the problems as JSON inside `message`, and (ours) in `errors[]`."""
    detailed = [
        {
            "isValid": False,
            "message": problem["message"],
            "error": problem["error"],
            "name": problem["name"],
            "localizedErrorMessage": problem["message"],
        }
        for problem in problems
    ]
    message = "Property values were not valid: " + json.dumps(detailed, ensure_ascii=False)
    errors = [{"message": p["message"], "code": p["error"], "context": {"propertyName": [p["name"]]}} for p in problems]
    return HubSpotError(400, message, "VALIDATION_ERROR", errors=errors)


def unauthorized(present: bool) -> Response:
    message = (
        "The OAuth token used to make this call is not valid for this portal."
        if present
        else "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
        "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
    )
    return HubSpotError(401, message, "INVALID_AUTHENTICATION").response()


def rate_limited() -> Response:
    return JSONResponse(
        {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(),
            "policyName": "TEN_SECONDLY_ROLLING",
        },
        429,
    )


def injected(status: int) -> Response:
    """A fault's status in the body HubSpot would send with it."""
    if status == 429:
        return rate_limited()
    if status == 403:
        return HubSpotError(
            403, "This app hasn't been granted all required scopes to make this call.", "MISSING_SCOPES"
        ).response()
    if status == 401:
        return unauthorized(True)
    if status >= 500:
        return HubSpotError(status, "internal error", "INTERNAL_ERROR").response()
    return HubSpotError(status, f"injected fault {status}", "VALIDATION_ERROR").response()
