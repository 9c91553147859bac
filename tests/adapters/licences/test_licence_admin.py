"""HttpLicenceAdmin against the Avonova Digital sandbox, and the manual routine."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from adapters.errors import AuthenticationError, NotFoundError, TransientError, ValidationRejected
from adapters.licence_admin import HttpLicenceAdmin, ManualLicenceAdmin, ManualStepRequired
from adapters.ports import LicenceAdmin
from config.settings import LicenceSettings
from sandbox.kit import FaultRule, SandboxServer
from sandbox.licences import LicenceSandbox
from sandbox.world import CUSTOMERS

FJORDKRAFT = CUSTOMERS[0]


@pytest.fixture
def settings(server: SandboxServer) -> LicenceSettings:
    return LicenceSettings(base_url=server.url, backoff_seconds=0.0, max_attempts=3, settle_seconds=0.05)


@pytest.fixture
def admin(settings: LicenceSettings) -> Iterator[HttpLicenceAdmin]:
    adapter = HttpLicenceAdmin(settings)
    yield adapter
    adapter.close()


def test_the_sandbox_is_seeded_with_each_customers_current_licence_count(admin: HttpLicenceAdmin) -> None:
    for customer in CUSTOMERS:
        if customer.licence_system_count is None:
            with pytest.raises(NotFoundError):
                admin.read_licences(customer_id=customer.org_number)
        else:
            assert admin.read_licences(customer_id=customer.org_number) == customer.licence_system_count


def test_licences_set_are_read_back_and_recorded_with_the_case_key(
    admin: HttpLicenceAdmin, app: LicenceSandbox
) -> None:
    stored = admin.set_licences(customer_id=FJORDKRAFT.org_number, licences=55, case_key="case-5001")

    assert stored == 55
    assert admin.read_licences(customer_id=FJORDKRAFT.org_number) == 55
    assert app.licences(FJORDKRAFT.org_number) == 55
    (change,) = app.changes()
    assert (change["before"], change["after"], change["reference"]) == (40, 55, "case-5001")
    (put,) = app.requests("PUT")
    assert put["path"] == f"/api/v1/customers/{FJORDKRAFT.org_number}/licences"
    assert put["body"] == {"licences": 55, "reference": "case-5001"}


def test_setting_the_same_count_twice_leaves_the_same_count(admin: HttpLicenceAdmin, app: LicenceSandbox) -> None:
    admin.set_licences(customer_id=FJORDKRAFT.org_number, licences=30, case_key="case-5001")
    admin.set_licences(customer_id=FJORDKRAFT.org_number, licences=30, case_key="case-5001")

    assert app.licences(FJORDKRAFT.org_number) == 30


def test_a_dropped_put_is_retried_and_lands_once_as_the_same_count(
    admin: HttpLicenceAdmin, app: LicenceSandbox
) -> None:
    app.faults.set([FaultRule(kind="drop_after", route="^PUT ", count=1)])

    assert admin.set_licences(customer_id=FJORDKRAFT.org_number, licences=12, case_key="case-5001") == 12
    assert app.licences(FJORDKRAFT.org_number) == 12


def test_server_errors_outliving_the_retries_are_transient(admin: HttpLicenceAdmin, app: LicenceSandbox) -> None:
    app.faults.set([FaultRule(kind="error", status=503)])

    with pytest.raises(TransientError):
        admin.read_licences(customer_id=FJORDKRAFT.org_number)
    assert len(app.requests("GET")) == 3


def test_an_unknown_customer_is_not_found(admin: HttpLicenceAdmin) -> None:
    with pytest.raises(NotFoundError):
        admin.read_licences(customer_id="000000000")


def test_a_negative_count_is_refused_before_any_request(admin: HttpLicenceAdmin, app: LicenceSandbox) -> None:
    with pytest.raises(ValidationRejected):
        admin.set_licences(customer_id=FJORDKRAFT.org_number, licences=-1, case_key="case-5001")
    assert app.requests() == []


def test_the_sandbox_refuses_a_count_that_is_not_an_integer(server: SandboxServer) -> None:
    answer = httpx.put(
        f"{server.url}/api/v1/customers/{FJORDKRAFT.org_number}/licences",
        json={"licences": "many"},
        headers={"Authorization": "Bearer sandbox-token"},
    )
    assert answer.status_code == 400


def test_a_wrong_token_is_an_authentication_error_without_the_token_in_it(settings: LicenceSettings) -> None:
    adapter = HttpLicenceAdmin(settings.model_copy(update={"token": SecretStr("wrong-token-42")}))

    with pytest.raises(AuthenticationError) as raised:
        adapter.read_licences(customer_id=FJORDKRAFT.org_number)
    assert "wrong-token-42" not in str(raised.value)


def test_the_http_adapter_needs_no_confirmation_and_the_manual_one_does() -> None:
    http: LicenceAdmin = HttpLicenceAdmin(LicenceSettings())
    manual: LicenceAdmin = ManualLicenceAdmin()

    assert http.requires_confirmation is False
    assert manual.requires_confirmation is True


def test_the_manual_adapter_tells_the_person_what_to_set_where() -> None:
    with pytest.raises(ManualStepRequired) as raised:
        ManualLicenceAdmin().set_licences(customer_id="912345610", licences=55, case_key="case-5001")

    message = str(raised.value)
    assert "912345610" in message and "55" in message and "Avonova Digital" in message and "case-5001" in message
    assert (raised.value.customer_id, raised.value.licences, raised.value.case_key) == ("912345610", 55, "case-5001")
    assert raised.value.retryable is False


def test_the_manual_adapter_cannot_read_the_count_either() -> None:
    with pytest.raises(ManualStepRequired, match="Avonova Digital"):
        ManualLicenceAdmin().read_licences(customer_id="912345610")
