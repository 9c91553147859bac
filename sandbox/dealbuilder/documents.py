"""The document state machine of the Dealbuilder sandbox, as pure functions on the stored document dicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

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


# Dealbuilder is in Oslo; its API reports when something happened as a UTC timestamp, as a real API may.
OSLO = ZoneInfo("Europe/Oslo")


def utc_stamp(day: date, at: time | None = None) -> str:
    """The moment `at` (Oslo wall time; None: the time now) on `day` in Oslo, as a UTC timestamp with its zone:
    just after midnight in Oslo is the evening before in UTC."""
    wall = at if at is not None else datetime.now(OSLO).time().replace(microsecond=0)
    moment = datetime.combine(day, wall, tzinfo=OSLO).astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class TransitionRefused(Exception):
    """The document's status does not allow the action (the API answers 409)."""


def allowed(status: str, action: str) -> bool:
    sources, _ = TRANSITIONS[action]
    return status in sources


def apply(document: dict[str, object], action: str, *, today: date, at: time | None = None) -> None:
    """Move the document by `action`, stamping when it happened: `today` (the sandbox's Oslo day) at `at`."""
    status = str(document[api.D_STATUS])
    if not allowed(status, action):
        raise TransitionRefused(f"cannot {action} a document in status {status}")
    document[api.D_STATUS] = TRANSITIONS[action][1]
    if action in {"send", "resend"}:
        document[api.D_SENT_DATE] = utc_stamp(today, at)
        document.pop(api.D_DECLINED_DATE, None)
    elif action == "sign":
        document[api.D_SIGNED_DATE] = utc_stamp(today, at)
    elif action == "decline":
        document[api.D_DECLINED_DATE] = utc_stamp(today, at)


def expire_if_due(document: dict[str, object], *, today: date, at: time | None = None) -> bool:
    """A sent or viewed document whose validUntil has passed becomes Expired; True when it just did."""
    valid_until = document.get(api.D_VALID_UNTIL)
    if not valid_until or not allowed(str(document[api.D_STATUS]), "expire"):
        return False
    if today > date.fromisoformat(str(valid_until)):
        apply(document, "expire", today=today, at=at)
        return True
    return False
