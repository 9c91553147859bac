"""The document state machine of the Dealbuilder sandbox, as pure functions on the stored document dicts."""

from __future__ import annotations

from datetime import date

from adapters import dealbuilder_api as api

# action -> (raw statuses it may start from, raw status it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "send": (frozenset({api.STATUS_DRAFT}), api.STATUS_SENT),
    # A declined document may be reopened: the customer gets another week after talking to customer service.
    "resend": (
        frozenset({api.STATUS_SENT, api.STATUS_VIEWED, api.STATUS_EXPIRED, api.STATUS_DECLINED}),
        api.STATUS_SENT,
    ),
    "view": (frozenset({api.STATUS_SENT}), api.STATUS_VIEWED),
    "sign": (frozenset({api.STATUS_SENT, api.STATUS_VIEWED}), api.STATUS_SIGNED),
    "decline": (frozenset({api.STATUS_SENT, api.STATUS_VIEWED}), api.STATUS_DECLINED),
    "revoke": (
        frozenset({api.STATUS_DRAFT, api.STATUS_SENT, api.STATUS_VIEWED, api.STATUS_EXPIRED, api.STATUS_DECLINED}),
        api.STATUS_REVOKED,
    ),
    "expire": (frozenset({api.STATUS_SENT, api.STATUS_VIEWED}), api.STATUS_EXPIRED),
}

# Fields a draft may still change; a sent document only its deadline (through resend).
EDITABLE_IN_DRAFT = frozenset(
    {
        api.D_TITLE,
        api.D_VALID_UNTIL,
        api.D_START_DATE,
        api.D_SENDER,
        api.D_BOOKER,
        api.D_SIGNATORIES,
        api.D_CUSTOMER,
        api.D_PRODUCTS,
        api.D_CUSTOM_FIELDS,
    }
)


class TransitionRefused(Exception):
    """The document's status does not allow the action (the API answers 409)."""


def allowed(status: str, action: str) -> bool:
    sources, _ = TRANSITIONS[action]
    return status in sources


def apply(document: dict[str, object], action: str, *, today: date) -> None:
    """Move the document by `action`, stamping the date the action happened on."""
    status = str(document[api.D_STATUS])
    if not allowed(status, action):
        raise TransitionRefused(f"cannot {action} a document in status {status}")
    document[api.D_STATUS] = TRANSITIONS[action][1]
    if action in {"send", "resend"}:
        document[api.D_SENT_DATE] = today.isoformat()
        document.pop(api.D_DECLINED_DATE, None)
    elif action == "sign":
        document[api.D_SIGNED_DATE] = today.isoformat()
    elif action == "decline":
        document[api.D_DECLINED_DATE] = today.isoformat()


def expire_if_due(document: dict[str, object], *, today: date) -> bool:
    """A sent or viewed document whose validUntil has passed becomes Expired; True when it just did."""
    valid_until = document.get(api.D_VALID_UNTIL)
    if not valid_until or not allowed(str(document[api.D_STATUS]), "expire"):
        return False
    if today > date.fromisoformat(str(valid_until)):
        apply(document, "expire", today=today)
        return True
    return False
