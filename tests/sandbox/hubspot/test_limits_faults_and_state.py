"""The private-app rate limit, injected faults, the request log, reset and the SQLite state file."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm.companies import ApiException as CompaniesError
from urllib3.util.retry import Retry

from sandbox.kit import FaultPlan, FaultRule
from tests.sandbox.hubspot.conftest import TOKEN, Running


def test_every_response_carries_the_rate_limit_headers(hs: Running) -> None:
    response = hs.http("GET", "/crm/v3/objects/companies/9001")
    missing = hs.http("GET", "/crm/v3/objects/companies/1")

    for answer in (response, missing):
        assert answer.headers["X-HubSpot-RateLimit-Max"] == "100"
        assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        assert "X-HubSpot-RateLimit-Daily-Remaining" in answer.headers
    assert int(missing.headers["X-HubSpot-RateLimit-Remaining"]) == 98


def test_past_the_rolling_window_limit_hubspot_answers_429(start: Callable[..., Running]) -> None:
    hs = start(rate_limit=3, rate_window=60.0)
    statuses = [hs.http("GET", "/crm/v3/objects/companies/9001").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    with pytest.raises(CompaniesError) as raised:
        hs.sdk.crm.companies.basic_api.get_by_id("9001")
    body = str(raised.value.body)
    assert '"policyName": "TEN_SECONDLY_ROLLING"' in body and '"errorType": "RATE_LIMIT"' in body
    assert raised.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"


def test_faults_set_at_run_time_hit_only_their_route(hs: Running) -> None:
    hs.http("POST", "/_sandbox/faults", body={"rules": [{"kind": "error", "status": 502, "route": "companies"}]})

    assert hs.http("GET", "/crm/v3/objects/companies/9001").status_code == 502
    assert hs.http("GET", "/crm/v3/objects/contacts/3001").status_code == 200


def test_a_dropped_connection_reaches_the_sdk_as_a_network_error(hs: Running) -> None:
    hs.app.faults.set([FaultRule("drop_before", route="companies")])
    sdk = HubSpot(access_token=TOKEN, host=hs.server.url, retry=Retry(total=0, read=False))

    with pytest.raises(urllib3.exceptions.HTTPError):
        sdk.crm.companies.basic_api.get_by_id("9001")
    assert [e["fault"] for e in hs.app.requests()] == ["drop_before"]


def test_a_share_of_faults_is_reproducible_from_the_seed(start: Callable[..., Running]) -> None:
    def run(seed: int) -> list[int]:
        hs = start(faults=FaultPlan([FaultRule("error", rate=0.5, status=503)], seed=seed))
        return [hs.http("GET", "/crm/v3/objects/companies/9001").status_code for _ in range(12)]

    first, again = run(7), run(7)
    assert first == again
    assert {200, 503} == set(first)


def test_the_request_log_records_requests_and_reset_restores_the_seed(hs: Running) -> None:
    hs.sdk.crm.companies.basic_api.update("9001", {"properties": {"nedjustering": "3"}})

    log = hs.http("GET", "/_sandbox/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [("PATCH", "/crm/v3/objects/companies/9001", 200)]
    assert log[0]["body"] == {"properties": {"nedjustering": "3"}}

    hs.http("POST", "/_sandbox/reset")
    assert hs.app.requests() == []
    assert hs.app.object("companies", "9001")["properties"].get("nedjustering") is None  # type: ignore[index]
