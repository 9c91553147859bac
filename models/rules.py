"""The routine's rules (DOMAIN.md): dates, names and routing, as pure functions with `today` passed in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from dateutil.relativedelta import relativedelta

CLOSE_DATE_DAYS = 2
SIGNING_DAYS = 7


class Direction(StrEnum):
    """Which way the licence count moves."""

    UP = "up"
    DOWN = "down"
    UNCHANGED = "unchanged"


class Route(StrEnum):
    """Who gets the ticket after the signature: order/invoice, or CSC for a large reduction."""

    INVOICE_SERVICE = "invoice_service"
    CSC = "csc"


class RoutingBasis(StrEnum):
    """How "under/over 10 licences" in the routing rule is read (DOMAIN.md, "Decisions")."""

    REDUCTION = "reduction"  # the number of licences removed
    CUSTOMER_SIZE = "customer_size"  # the customer's current licence count


def _check_date(name: str, value: object) -> date:
    # datetime is a date subclass; a timestamp here means a caller mixed up types, so refuse it.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{name} must be a date, got {value!r}")
    return value


def _check_count(name: str, value: object) -> int:
    # bool is an int subclass: True would silently count as one licence.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _check_counts(current: object, new: object) -> tuple[int, int]:
    return _check_count("current licence count", current), _check_count("new licence count", new)


def _check_name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty text, got {value!r}")
    return value.strip()


def deal_close_date(today: date) -> date:
    """Return today + 2 calendar days, capped at the last day of today's month."""
    today = _check_date("today", today)
    last_of_month = today + relativedelta(day=31)
    return min(today + timedelta(days=CLOSE_DATE_DAYS), last_of_month)


def signing_deadline(sent_on: date) -> date:
    """Return the day one week after the contract is sent."""
    return _check_date("sent_on", sent_on) + timedelta(days=SIGNING_DAYS)


def delivery_start_date(sent_on: date, agreed_start: date | None) -> date:
    """Return the agreed start date if there is one, else the day the contract is sent."""
    sent_on = _check_date("sent_on", sent_on)
    if agreed_start is None:
        return sent_on
    return _check_date("agreed_start", agreed_start)


def ticket_name(company_name: str) -> str:
    """Return the ticket name `Reforhandling - <name>`."""
    return f"Reforhandling - {_check_name('company name', company_name)}"


def deal_name(company_name: str) -> str:
    """Return the deal name `<name> - REFORHANDLING`."""
    return f"{_check_name('company name', company_name)} - REFORHANDLING"


def adjustment_direction(current: int, new: int) -> Direction:
    """Return whether the licence count goes up, down or stays."""
    current, new = _check_counts(current, new)
    if new > current:
        return Direction.UP
    if new < current:
        return Direction.DOWN
    return Direction.UNCHANGED


def reduction(current: int, new: int) -> int:
    """Return the number of licences removed (the `nedjustering` value); the change must be downward."""
    current, new = _check_counts(current, new)
    if new >= current:
        raise ValueError(
            f"new licence count must be below the current count {current} for a downward adjustment, got {new}"
        )
    return current - new


def route_downward_adjustment(
    current: int,
    new: int,
    *,
    min_reduction: int = 10,
    max_share: Decimal = Decimal("0.20"),
    basis: RoutingBasis = RoutingBasis.REDUCTION,
) -> Route:
    """Return who handles a downward adjustment: invoice service below `min_reduction` licences (removed, or the
    customer's count, by `basis`) or while under `max_share` of the current count is removed, else CSC."""
    removed = reduction(current, new)
    if isinstance(min_reduction, bool) or not isinstance(min_reduction, int) or min_reduction < 0:
        raise ValueError(f"min_reduction must be a whole number of licences, 0 or more, got {min_reduction!r}")
    # A float share would bring binary rounding into an exact threshold comparison.
    if not isinstance(max_share, Decimal) or not Decimal(0) < max_share <= Decimal(1):
        raise ValueError(f"max_share must be a Decimal above 0 and at most 1, got {max_share!r}")
    if (removed if basis is RoutingBasis.REDUCTION else current) < min_reduction:
        return Route.INVOICE_SERVICE
    if Decimal(removed) / Decimal(current) < max_share:
        return Route.INVOICE_SERVICE
    return Route.CSC


def needs_sales_registration(
    current: int, new: int, *, original_signed_on: date, signed_on: date, months: int = 36
) -> bool:
    """Return True only for an increase signed less than `months` calendar months after the original agreement."""
    current, new = _check_counts(current, new)
    original_signed_on = _check_date("original_signed_on", original_signed_on)
    signed_on = _check_date("signed_on", signed_on)
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive integer, got {months!r}")
    if new <= current:
        # Only an increase is a sale: the dates do not matter otherwise, odd or not.
        return False
    if signed_on < original_signed_on:
        raise ValueError(
            f"signed_on must not be before original_signed_on ({original_signed_on.isoformat()}), "
            f"got {signed_on.isoformat()}"
        )
    return signed_on < original_signed_on + relativedelta(months=months)
