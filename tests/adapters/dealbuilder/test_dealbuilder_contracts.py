"""DealbuilderContracts driven against the Dealbuilder sandbox over HTTP."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from pydantic import SecretStr

from adapters import dealbuilder_api as api
from adapters.dealbuilder_contracts import DealbuilderContracts
from adapters.errors import AuthenticationError, ConfigurationError, TransientError, ValidationRejected
from config.settings import DealbuilderSettings
from models.contract import ContractState
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.kit import CONTROL_HEADERS, FaultRule, SandboxServer
from sandbox.world import CUSTOMERS
from tests.adapters.dealbuilder.conftest import ROUTINE, current_agreement, make_draft

FJORDKRAFT = CUSTOMERS[0]


def _field(document: dict[str, object], name: str) -> object:
    fields = document[api.D_CUSTOM_FIELDS]
    assert isinstance(fields, list)
    return next(f[api.F_VALUE] for f in fields if f[api.F_NAME] == name)


def _sent(contracts: DealbuilderContracts, app: DealbuilderSandbox, case_key: str = "case-5001") -> str:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, case_key=case_key, today=app.today))
    contracts.send(contract_id=draft.id, signing_deadline=app.today + timedelta(days=7))
    return draft.id


def test_the_original_agreement_is_read_with_licences_price_signing_date_address_and_terms(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)

    assert agreement.contract_id == FJORDKRAFT.contract_id
    assert agreement.licences == 40
    assert agreement.price_per_licence == Decimal("450.00")
    assert agreement.signed_on == app.today - relativedelta(months=14)
    assert (agreement.customer_name, agreement.org_number) == (FJORDKRAFT.name, FJORDKRAFT.org_number)
    assert (agreement.address, agreement.postal_code, agreement.city) == ("Strandkaien 12", "5013", "Bergen")
    assert agreement.terms["betalingsbetingelser"] == "30 dager netto"
    assert api.CF_CASE_KEY not in agreement.terms


def test_the_seeded_originals_include_one_signed_under_and_one_over_36_months_ago(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    limit = app.today - relativedelta(months=36)
    signed = [current_agreement(contracts, c.org_number).signed_on for c in CUSTOMERS if c.documents]

    assert any(day > limit for day in signed)
    assert any(day < limit for day in signed)


def test_a_draft_carries_every_routine_field_in_the_sandbox_record(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = make_draft(agreement, licences=55, price=Decimal("1234.50"), today=app.today)

    contract = contracts.find_or_create_draft(draft=draft)
    record = app.document(contract.id)

    assert (contract.state, contract.raw_status, contract.case_key) == (ContractState.DRAFT, "Draft", "case-5001")
    assert (contract.licences, contract.price_per_licence) == (55, Decimal("1234.50"))
    assert record[api.D_TEMPLATE_NAME] == "Reforhandling av avtale om Avonova Assist"
    assert record[api.D_TITLE] == draft.title
    assert record[api.D_CUSTOMER] == {
        api.C_NAME: FJORDKRAFT.name,
        api.C_ORG_NUMBER: FJORDKRAFT.org_number,
        api.C_ADDRESS: FJORDKRAFT.address,
        api.C_POSTAL_CODE: FJORDKRAFT.postal_code,
        api.C_CITY: FJORDKRAFT.city,
    }
    assert record[api.D_SIGNATORIES] == [
        {
            api.S_NAME: "Kari Nordmann",
            api.S_EMAIL: FJORDKRAFT.signer_email,
            api.S_PHONE: FJORDKRAFT.signer_phone,
            api.S_COMPANY: FJORDKRAFT.name,
            api.S_ORG_NUMBER: FJORDKRAFT.org_number,
        }
    ]
    assert record[api.D_VALID_UNTIL] == (app.today + timedelta(days=7)).isoformat()
    assert record[api.D_START_DATE] == app.today.isoformat()
    assert (record[api.D_SENDER], record[api.D_BOOKER]) == ("user non human", "kundesenter")
    assert record[api.D_PRODUCTS] == [
        {api.PR_NAME: ROUTINE.licence_line, api.PR_QUANTITY: 55, api.PR_UNIT_PRICE: "1234.50", api.PR_DISCOUNT: "0"},
        {api.PR_NAME: "digital oppstart", api.PR_QUANTITY: 1, api.PR_UNIT_PRICE: "2500.00", api.PR_DISCOUNT: "100"},
    ]
    assert _field(record, api.CF_CASE_KEY) == "case-5001"
    assert _field(record, api.CF_ORIGINAL_DOCUMENT) == FJORDKRAFT.contract_id
    assert _field(record, api.CF_DEAL_ID) == "8001"
    for name, value in agreement.terms.items():
        assert _field(record, name) == value


def test_asking_twice_for_the_draft_of_a_case_creates_it_once(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    first = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))
    second = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))

    assert first.id == second.id
    assert len(app.requests("POST", r"^/v1/Documents$")) == 1


def test_a_create_whose_answer_is_lost_is_found_by_case_key_instead_of_created_again(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    app.faults.set([FaultRule(kind="drop_after", route=r"^POST /v1/Documents$", count=1)])

    contract = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))

    drafts = [d for d in app.documents() if d[api.D_STATUS] == api.STATUS_DRAFT]
    assert [d[api.D_ID] for d in drafts] == [contract.id]


def test_updating_a_draft_changes_licences_price_and_deadline(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))
    deadline = app.today + timedelta(days=10)

    outcome = contracts.update_draft(
        contract_id=draft.id, licences=30, price_per_licence=Decimal("475.25"), signing_deadline=deadline
    )

    updated = contracts.read_status(contract_id=draft.id)
    assert outcome.kept == {}
    assert (updated.licences, updated.price_per_licence, updated.signing_deadline) == (30, Decimal("475.25"), deadline)
    products = app.document(draft.id)[api.D_PRODUCTS]
    assert products[0][api.PR_QUANTITY] == 30
    assert products[0][api.PR_UNIT_PRICE] == "475.25"
    assert products[1][api.PR_DISCOUNT] == "100"


def test_a_sent_contract_can_no_longer_be_updated(contracts: DealbuilderContracts, app: DealbuilderSandbox) -> None:
    contract_id = _sent(contracts, app)

    with pytest.raises(ValidationRejected):
        contracts.update_draft(
            contract_id=contract_id, licences=1, price_per_licence=Decimal("1"), signing_deadline=app.today
        )


def test_the_preview_reads_the_draft_back_as_dealbuilder_holds_it(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))
    app.set_product(draft.id, "Kursmodul", quantity=2, unit_price="990.00", discount="10")

    preview = contracts.preview(contract_id=draft.id)

    assert preview.url == app.preview_url(draft.id)
    assert [(line.name, line.quantity, line.unit_price, line.discount_percent) for line in preview.lines] == [
        (ROUTINE.licence_line, 55, Decimal("1234.50"), Decimal("0")),
        (ROUTINE.onboarding_line, 1, Decimal("2500.00"), Decimal("100")),
        ("Kursmodul", 2, Decimal("990.00"), Decimal("10")),
    ]
    assert preview.signer is not None and preview.signer.email == FJORDKRAFT.signer_email
    assert preview.signing_deadline == app.today + timedelta(days=7)
    assert (preview.sender, preview.booker) == ("user non human", "kundesenter")


def test_only_signed_documents_with_the_licence_line_of_this_org_number_count_as_agreements(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    havbris = next(c for c in CUSTOMERS if c.company_id == "9006")

    agreements = contracts.signed_agreements(org_number=havbris.org_number)

    # The newer occupational-health agreement (no licence line) is skipped, not an error.
    assert [a.contract_id for a in agreements] == ["DB-ORIG-1006"]
    [current] = agreements
    assert (current.licences, current.price_per_licence, current.licence_discount_percent) == (
        30,
        Decimal("500.00"),
        Decimal("20"),
    )
    assert current.paid_per_licence == Decimal("400.00")
    assert [line.name for line in current.lines] == [ROUTINE.licence_line, "Avonova Assist kursmodul"]


def test_an_empty_org_number_finds_no_agreement(contracts: DealbuilderContracts) -> None:
    assert contracts.signed_agreements(org_number="") == []


def test_sending_records_one_email_and_one_sms_and_refreshes_the_deadline(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))
    deadline = app.today + timedelta(days=8)

    sent = contracts.send(contract_id=draft.id, signing_deadline=deadline)

    assert (sent.state, sent.raw_status, sent.signing_deadline) == (ContractState.SENT, "Sent", deadline)
    deliveries = app.deliveries(draft.id)
    assert sorted((d["channel"], d["to"]) for d in deliveries) == [
        ("email", FJORDKRAFT.signer_email),
        ("sms", FJORDKRAFT.signer_phone),
    ]
    assert all(d["signingUrl"] == app.signing_url(draft.id) for d in deliveries)


def test_sending_an_already_sent_contract_does_not_send_it_again(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    contract_id = _sent(contracts, app)

    again = contracts.send(contract_id=contract_id, signing_deadline=app.today + timedelta(days=7))

    assert again.state == ContractState.SENT
    assert len(app.deliveries(contract_id)) == 2
    assert len(app.requests("POST", r"/send$")) == 1


@pytest.mark.parametrize(
    ("fault", "send_requests"),
    [
        # The sandbox sent the contract, then the connection dropped before the answer.
        (FaultRule(kind="drop_after", route=r"/send$", count=1), 1),
        # The sandbox sent the contract, then a gateway answered 503 on the way back.
        (FaultRule(kind="error_after", route=r"/send$", count=1, status=503), 1),
        # The sandbox answered 503 without sending: the retry sends.
        (FaultRule(kind="error", route=r"/send$", count=1, status=503), 2),
    ],
)
def test_a_failure_during_send_does_not_send_twice(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, fault: FaultRule, send_requests: int
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))
    app.faults.set([fault])

    sent = contracts.send(contract_id=draft.id, signing_deadline=app.today + timedelta(days=7))

    assert sent.state == ContractState.SENT
    assert len(app.deliveries(draft.id)) == 2
    assert len(app.requests("POST", r"/send$")) == send_requests


def test_a_contract_signed_in_the_sandbox_reads_as_signed_with_its_date(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    contract_id = _sent(contracts, app)

    httpx.post(f"{server.url}/_sandbox/documents/{contract_id}/sign", headers=CONTROL_HEADERS).raise_for_status()
    contract = contracts.read_status(contract_id=contract_id)

    assert (contract.state, contract.raw_status, contract.signed_on) == (ContractState.SIGNED, "Signed", app.today)


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        pytest.param("2026-03-31T22:30:00Z", date(2026, 4, 1), id="22:30 UTC is 00:30 the next day in Oslo (summer)"),
        pytest.param("2026-12-31T23:15:00+00:00", date(2027, 1, 1), id="23:15 UTC is 00:15 the next day (winter)"),
        pytest.param("2026-03-31T21:59:59Z", date(2026, 3, 31), id="23:59:59 in Oslo is still the same day"),
        pytest.param("2026-04-01T00:30:00+02:00", date(2026, 4, 1), id="an Oslo time with its zone"),
        pytest.param("2026-04-01", date(2026, 4, 1), id="a plain date stands as it is"),
    ],
)
def test_the_signing_day_is_the_day_in_oslo_whatever_zone_dealbuilder_reports_it_in(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, stamp: str, day: date
) -> None:
    contract_id = _sent(contracts, app)
    app.sign(contract_id)
    with app.lock:
        app.state["documents"][contract_id][api.D_SIGNED_DATE] = stamp

    assert contracts.read_status(contract_id=contract_id).signed_on == day


def test_an_agreement_signed_just_after_midnight_in_oslo_counts_from_that_day(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    customer = CUSTOMERS[0]
    seeded = customer.current
    assert seeded is not None
    with app.lock:
        app.state["documents"][seeded.id][api.D_SIGNED_DATE] = "2026-03-31T22:30:00Z"

    [agreement] = [a for a in contracts.signed_agreements(org_number=customer.org_number) if a.contract_id == seeded.id]

    assert agreement.signed_on == date(2026, 4, 1)
    assert agreement.booker == seeded.booker


def test_a_contract_declined_in_the_sandbox_reads_as_declined(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    contract_id = _sent(contracts, app)

    httpx.post(f"{server.url}/_sandbox/documents/{contract_id}/decline", headers=CONTROL_HEADERS).raise_for_status()

    assert contracts.read_status(contract_id=contract_id).state == ContractState.DECLINED


def test_opening_the_signing_page_marks_it_viewed_and_its_sign_button_signs(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    contract_id = _sent(contracts, app)
    (url,) = contracts.read_status(contract_id=contract_id).signing_urls

    page = httpx.get(url)
    assert page.status_code == 200
    assert FJORDKRAFT.name in page.text and 'value="sign"' in page.text and 'value="decline"' in page.text
    assert contracts.read_status(contract_id=contract_id).state == ContractState.VIEWED

    outcome = httpx.post(url, data={"action": "sign"})
    assert "Kontrakten er signert" in outcome.text
    assert contracts.read_status(contract_id=contract_id).state == ContractState.SIGNED


def test_the_sent_contracts_page_links_each_emailed_contract_to_its_signing_page(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    assert "Ingen kontrakter er sendt" in httpx.get(f"{server.url}/sign/").text
    contract_id = _sent(contracts, app)

    inbox = httpx.get(f"{server.url}/sign/")

    assert inbox.status_code == 200
    assert f'href="{app.signing_url(contract_id)}"' in inbox.text
    assert inbox.text.count("Åpne og signer") == 1


def test_a_declined_contract_can_be_resent_and_then_signed(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    contract_id = _sent(contracts, app)
    app.decline(contract_id)

    resent = contracts.extend_and_resend(contract_id=contract_id, signing_deadline=app.today + timedelta(days=7))
    app.sign(contract_id)

    assert resent.state == ContractState.SENT
    assert contracts.read_status(contract_id=contract_id).state == ContractState.SIGNED


def test_the_decline_button_on_the_signing_page_declines(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    contract_id = _sent(contracts, app)

    outcome = httpx.post(app.signing_url(contract_id), data={"action": "decline"})

    assert "Kontrakten er avvist" in outcome.text
    assert contracts.read_status(contract_id=contract_id).state == ContractState.DECLINED


def test_a_sent_contract_expires_once_the_sandbox_clock_passes_its_deadline(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    contract_id = _sent(contracts, app)
    deadline = app.today + timedelta(days=7)

    httpx.post(
        f"{server.url}/_sandbox/clock", json={"today": deadline.isoformat()}, headers=CONTROL_HEADERS
    ).raise_for_status()
    assert contracts.read_status(contract_id=contract_id).state == ContractState.SENT

    app.set_today(deadline + timedelta(days=1))
    expired = contracts.read_status(contract_id=contract_id)
    assert (expired.state, expired.raw_status) == (ContractState.EXPIRED, "Expired")
    with pytest.raises(ValueError):
        app.sign(contract_id)


def test_an_expired_contract_is_extended_and_resent_once(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    contract_id = _sent(contracts, app)
    app.set_today(app.today + timedelta(days=8))
    new_deadline = app.today + timedelta(days=7)

    resent = contracts.extend_and_resend(contract_id=contract_id, signing_deadline=new_deadline)
    again = contracts.extend_and_resend(contract_id=contract_id, signing_deadline=new_deadline)

    assert (resent.state, resent.signing_deadline) == (ContractState.SENT, new_deadline)
    assert again.state == ContractState.SENT
    assert [d["kind"] for d in app.deliveries(contract_id)] == ["send", "send", "resend", "resend"]
    assert app.sign(contract_id)[api.D_STATUS] == "Signed"


def test_canceling_revokes_the_contract_and_can_be_repeated(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    contract_id = _sent(contracts, app)

    canceled = contracts.cancel(contract_id=contract_id)
    again = contracts.cancel(contract_id=contract_id)

    assert (canceled.state, canceled.raw_status) == (ContractState.CANCELED, "Revoked")
    assert again.state == ContractState.CANCELED
    assert len(app.requests("POST", r"/revoke$")) == 1


def test_a_batch_status_read_of_100_contracts_is_one_request(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    ids = [
        contracts.find_or_create_draft(draft=make_draft(agreement, case_key=f"case-{n}", today=app.today)).id
        for n in range(100)
    ]
    contracts.send(contract_id=ids[0], signing_deadline=app.today + timedelta(days=7))
    app.sign(ids[0])
    app.log.clear()

    statuses = contracts.read_statuses(contract_ids=ids)

    assert len(app.requests()) == 1
    (request,) = app.requests("GET", r"^/v1/Documents$")
    assert request["query"][api.Q_PAGE_SIZE] == ["100"]
    assert set(statuses) == set(ids)
    assert statuses[ids[0]].state == ContractState.SIGNED
    assert {statuses[i].state for i in ids[1:]} == {ContractState.DRAFT}


def test_a_batch_of_150_contracts_takes_two_requests(contracts: DealbuilderContracts, app: DealbuilderSandbox) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    ids = [
        contracts.find_or_create_draft(draft=make_draft(agreement, case_key=f"case-{n}", today=app.today)).id
        for n in range(150)
    ]
    app.log.clear()

    statuses = contracts.read_statuses(contract_ids=[*ids, "DB-missing"])

    assert len(statuses) == 150
    assert len(app.requests("GET", r"^/v1/Documents$")) == 2


def test_an_unknown_raw_status_is_logged_and_treated_as_waiting(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    contract_id = _sent(contracts, app)
    app.state["documents"][contract_id][api.D_STATUS] = "AwaitingCounterSignature"

    with caplog.at_level(logging.WARNING, logger="adapters.dealbuilder_contracts"):
        contract = contracts.read_status(contract_id=contract_id)

    assert (contract.state, contract.raw_status) == (ContractState.SENT, "AwaitingCounterSignature")
    assert "AwaitingCounterSignature" in caplog.text


def test_the_status_map_is_configuration(settings: DealbuilderSettings, app: DealbuilderSandbox) -> None:
    custom = settings.model_copy(update={"status_map": {**settings.status_map, "Sent": "VIEWED"}})
    adapter = DealbuilderContracts(custom, ROUTINE)
    contract_id = _sent(adapter, app)

    assert adapter.read_status(contract_id=contract_id).state == ContractState.VIEWED


def test_server_errors_are_retried_then_raised_as_transient(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    app.faults.set([FaultRule(kind="error", route=r"^GET /v1/Documents/", status=503, count=2)])
    assert contracts.read_status(contract_id=FJORDKRAFT.contract_id).state == ContractState.SIGNED

    app.faults.set([FaultRule(kind="error", route=r"^GET /v1/Documents/", status=429)])
    with pytest.raises(TransientError) as raised:
        contracts.read_status(contract_id=FJORDKRAFT.contract_id)
    assert raised.value.status == 429
    assert len(app.requests("GET", r"^/v1/Documents/")) == 2 + 1 + 3


def test_a_slow_answer_times_out_as_a_transient_error(settings: DealbuilderSettings, app: DealbuilderSandbox) -> None:
    adapter = DealbuilderContracts(settings.model_copy(update={"read_timeout": 0.2, "max_attempts": 1}), ROUTINE)
    app.faults.set([FaultRule(kind="slow", delay=0.6)])

    with pytest.raises(TransientError):
        adapter.read_status(contract_id=FJORDKRAFT.contract_id)


def test_a_wrong_api_key_is_an_authentication_error_without_the_key_in_it(
    settings: DealbuilderSettings,
) -> None:
    adapter = DealbuilderContracts(settings.model_copy(update={"api_key": SecretStr("wrong-key-123")}), ROUTINE)

    with pytest.raises(AuthenticationError) as raised:
        adapter.read_status(contract_id=FJORDKRAFT.contract_id)
    assert "wrong-key-123" not in str(raised.value)


def test_an_unknown_template_is_a_configuration_error(contracts: DealbuilderContracts, app: DealbuilderSandbox) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number)
    draft = make_draft(agreement, today=app.today).model_copy(update={"template": "Finnes ikke"})

    with pytest.raises(ConfigurationError):
        contracts.find_or_create_draft(draft=draft)


def test_the_sandbox_requires_the_api_key_and_lists_its_templates(server: SandboxServer) -> None:
    assert httpx.get(f"{server.url}{api.TEMPLATES}").status_code == 401
    listed = httpx.get(f"{server.url}{api.TEMPLATES}", headers={api.API_KEY_HEADER: "sandbox-key"}).json()
    assert "Reforhandling av avtale om Avonova Assist" in [t[api.T_NAME] for t in listed[api.L_ITEMS]]


def test_the_signing_and_preview_pages_show_html_in_a_name_as_text(
    contracts: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    agreement = current_agreement(contracts, FJORDKRAFT.org_number).model_copy(
        update={"customer_name": '<img src="http://evil.example/x.png"> & Co'}
    )
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))
    contracts.send(contract_id=draft.id, signing_deadline=app.today + timedelta(days=7))

    for url in (app.signing_url(draft.id), app.preview_url(draft.id)):
        page = httpx.get(url, timeout=10).text
        assert "<img" not in page and "&lt;img src=&quot;http://evil.example/x.png&quot;&gt; &amp; Co" in page
