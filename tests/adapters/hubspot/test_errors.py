"""HubSpot's refusals become our exceptions, carrying object, field, message and correlationId, never the token."""

from __future__ import annotations

import logging

import pytest

from adapters.errors import AuthenticationError, NotFoundError, TransientError, ValidationRejected
from adapters.hubspot_crm import HubSpotCrm
from adapters.hubspot_transport import HubSpotTransport
from config.settings import HubSpotSettings
from sandbox.kit import FaultRule
from tests.adapters.hubspot.conftest import Portal


def test_an_unknown_property_is_rejected_naming_the_property(crm: HubSpotCrm) -> None:
    with pytest.raises(ValidationRejected) as raised:
        crm.set_company_property(company_id="9001", name="nedjustering_typo", value="3")

    error = raised.value
    assert (error.status, error.object_type, error.field) == (400, "company", "nedjustering_typo")
    assert "does not exist" in error.message
    assert error.correlation_id


def test_a_value_that_is_not_an_option_is_rejected_naming_the_property(crm: HubSpotCrm) -> None:
    with pytest.raises(ValidationRejected) as raised:
        crm.set_company_property(company_id="9001", name="hubspot_owner_id", value="999")

    assert raised.value.field == "hubspot_owner_id"
    assert "INVALID_OPTION" in raised.value.message


def test_a_value_of_the_wrong_type_is_rejected_naming_the_property(crm: HubSpotCrm) -> None:
    with pytest.raises(ValidationRejected) as raised:
        crm.set_company_property(company_id="9001", name="nedjustering", value="ti")

    assert raised.value.field == "nedjustering"


def test_a_missing_ticket_raises_not_found(crm: HubSpotCrm) -> None:
    with pytest.raises(NotFoundError) as raised:
        crm.read_ticket(ticket_id="424242")

    assert (raised.value.status, raised.value.object_type) == (404, "ticket")
    assert raised.value.correlation_id


def test_a_missing_deal_on_update_raises_not_found(crm: HubSpotCrm) -> None:
    from datetime import date

    with pytest.raises(NotFoundError):
        crm.set_deal_delivery_start(deal_id="424242", start=date(2024, 11, 1))


def test_a_wrong_token_raises_authentication_error_and_never_shows_the_token(
    portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    crm = portal.crm(token="pat-eu1-very-secret-token")

    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as raised:
        crm.read_company(company_id="9001")

    assert raised.value.status == 401
    assert "very-secret" not in str(raised.value)
    assert "very-secret" not in caplog.text
    assert crm.calls == 1  # a wrong token is not worth a retry


def test_missing_scopes_raise_authentication_error(portal: Portal) -> None:
    portal.faults(FaultRule("error", status=403, route=r"^GET /crm/v3/objects/companies/"))

    with pytest.raises(AuthenticationError) as raised:
        portal.crm().read_company(company_id="9001")

    assert raised.value.status == 403


def test_server_errors_are_retried_until_the_call_succeeds(portal: Portal) -> None:
    portal.faults(FaultRule("error", status=502, route=r"^GET /crm/v3/objects/companies/", count=2))
    crm = portal.crm()

    assert crm.read_company(company_id="9001").name == "Fjordkraft Bygg AS"
    assert crm.calls == 3
    assert [entry["status"] for entry in portal.app.requests("GET", "companies")] == [502, 502, 200]


def test_server_errors_that_persist_become_a_transient_error_after_max_attempts(portal: Portal) -> None:
    portal.faults(FaultRule("error", status=503, route=r"companies"))
    crm = portal.crm(max_attempts=3)

    with pytest.raises(TransientError) as raised:
        crm.read_company(company_id="9001")

    assert raised.value.retryable and raised.value.status == 503
    assert crm.calls == 3


def test_a_response_slower_than_the_read_timeout_is_retried(portal: Portal) -> None:
    portal.faults(FaultRule("slow", delay=0.5, route=r"^GET /crm/v3/objects/companies/", count=1))
    crm = portal.crm(read_timeout=0.1)

    assert crm.read_company(company_id="9001").id == "9001"
    assert crm.calls == 2


def test_backoff_honours_retry_after_and_the_rate_limit_interval() -> None:
    transport = HubSpotTransport(HubSpotSettings(backoff_seconds=0.01))

    assert transport.backoff(1, status=429, headers={"retry-after": "2"}) == 2.0
    assert transport.backoff(1, status=503, headers={"retry-after": "3600"}) == 30.0  # capped
    first = transport.backoff(1, status=429, headers={"x-hubspot-ratelimit-interval-milliseconds": "10000"})
    fourth = transport.backoff(4, status=429, headers={"x-hubspot-ratelimit-interval-milliseconds": "10000"})
    assert 1.0 <= first <= 1.1
    assert 8.0 <= fourth <= 8.8
    assert transport.backoff(9, status=429, headers={"x-hubspot-ratelimit-interval-milliseconds": "10000"}) <= 11.0
    assert 0.01 <= transport.backoff(1, status=503) <= 0.011
