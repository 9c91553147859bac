"""Dealbuilder writes whose request outlives the read timeout: the document lands (or is sent, or updated) after
the adapter gave up on the request, and still there is exactly one document, one sending, one revocation, one
update, and a change someone else made meanwhile is kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from adapters import dealbuilder_api as api
from adapters.dealbuilder_contracts import DealbuilderContracts
from config.settings import DealbuilderSettings
from models.contract import Contract, ContractState
from models.field_history import WriteOutcome
from sandbox.dealbuilder import DealbuilderSandbox, documents
from sandbox.kit import FaultRule, SandboxServer
from sandbox.world import CUSTOMERS
from tests.adapters.dealbuilder.conftest import ROUTINE, make_draft
from tests.waiting import wait_until

FJORDKRAFT = CUSTOMERS[0]
# The sandbox holds the first write past the read timeout; the adapter waits longer than that before it looks.
READ_TIMEOUT, DELAY, SETTLE = 0.3, 0.8, 1.2


@pytest.fixture
def slow_tolerant(settings: DealbuilderSettings) -> Iterator[DealbuilderContracts]:
    """The adapter with a short read timeout and a settle time past the sandbox's delay."""
    update = {"read_timeout": READ_TIMEOUT, "settle_seconds": SETTLE, "backoff_seconds": 0.01}
    adapter = DealbuilderContracts(settings.model_copy(update=update), ROUTINE)
    yield adapter
    adapter.close()


def _draft(contracts: DealbuilderContracts, app: DealbuilderSandbox) -> Contract:
    agreement = max(contracts.signed_agreements(org_number=FJORDKRAFT.org_number), key=lambda a: a.signed_on)
    return contracts.find_or_create_draft(draft=make_draft(agreement, today=app.today))


def _of_case(app: DealbuilderSandbox, case_key: str = "case-5001") -> list[dict[str, object]]:
    return [
        d
        for d in app.documents()
        if any(f[api.F_NAME] == api.CF_CASE_KEY and f[api.F_VALUE] == case_key for f in d[api.D_CUSTOM_FIELDS])
    ]


def _wait_until_the_slow_request_landed(app: DealbuilderSandbox, path: str) -> None:
    _wait_until_the_slow_request_landed_with(app, "POST", path)


def _wait_until_the_slow_request_landed_with(app: DealbuilderSandbox, method: str, path: str) -> None:
    wait_until(lambda: any(entry["fault"] == "slow" for entry in app.requests(method, path)), "the slow request")


def test_a_draft_create_that_outlives_the_read_timeout_leaves_one_document(
    slow_tolerant: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route=r"^POST /v1/Documents$", count=1)])

    contract = _draft(slow_tolerant, app)

    _wait_until_the_slow_request_landed(app, r"^/v1/Documents$")
    assert [d[api.D_ID] for d in _of_case(app)] == [contract.id]


def test_a_send_that_outlives_the_read_timeout_sends_once(
    slow_tolerant: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    draft = _draft(slow_tolerant, app)
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route=r"/send$", count=1)])

    sent = slow_tolerant.send(contract_id=draft.id, signing_deadline=app.today + timedelta(days=7))

    _wait_until_the_slow_request_landed(app, r"/send$")
    assert sent.state == ContractState.SENT
    assert [(d["kind"], d["channel"]) for d in app.deliveries(draft.id)] == [("send", "email"), ("send", "sms")]


def test_a_resend_that_outlives_the_read_timeout_resends_once(
    slow_tolerant: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    draft = _draft(slow_tolerant, app)
    slow_tolerant.send(contract_id=draft.id, signing_deadline=app.today + timedelta(days=7))
    app.decline(draft.id)
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route=r"/resend$", count=1)])

    resent = slow_tolerant.extend_and_resend(contract_id=draft.id, signing_deadline=app.today + timedelta(days=14))

    _wait_until_the_slow_request_landed(app, r"/resend$")
    assert resent.state == ContractState.SENT
    assert [d["kind"] for d in app.deliveries(draft.id)] == ["send", "send", "resend", "resend"]


def test_a_revocation_that_outlives_the_read_timeout_is_not_an_error(
    slow_tolerant: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    draft = _draft(slow_tolerant, app)
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route=r"/revoke$", count=1)])

    canceled = slow_tolerant.cancel(contract_id=draft.id)

    _wait_until_the_slow_request_landed(app, r"/revoke$")
    assert canceled.state == ContractState.CANCELED
    assert app.document(draft.id)[api.D_STATUS] == api.STATUS_REVOKED


def _copy_past_the_adapter(server: SandboxServer, app: DealbuilderSandbox, document_id: str) -> str:
    """A second draft of the same case written past the adapter, as a create that landed late leaves it."""
    original = app.document(document_id)
    body = {key: value for key, value in original.items() if key in documents.EDITABLE_IN_DRAFT}
    body[api.D_TEMPLATE_ID] = original[api.D_TEMPLATE_ID]
    response = httpx.post(f"{server.url}{api.DOCUMENTS}", json=body, headers={api.API_KEY_HEADER: app.api_key})
    response.raise_for_status()
    return str(response.json()[api.D_ID])


def test_two_drafts_of_one_case_are_reduced_to_the_first_and_the_extra_is_revoked(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    first = _draft(contracts, app).id
    extra = _copy_past_the_adapter(server, app, first)

    found = _draft(contracts, app)

    assert found.id == first
    assert app.document(first)[api.D_STATUS] == api.STATUS_DRAFT
    assert app.document(extra)[api.D_STATUS] == api.STATUS_REVOKED
    assert len(app.requests("POST", r"^/v1/Documents$")) == 2  # the adapter's create and the copy, nothing more


def test_a_sent_contract_is_kept_over_an_older_stray_draft_of_the_same_case(
    contracts: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    stray = _draft(contracts, app).id
    sent = _copy_past_the_adapter(server, app, stray)
    contracts.send(contract_id=sent, signing_deadline=app.today + timedelta(days=7))

    found = _draft(contracts, app)

    assert found.id == sent
    assert app.document(stray)[api.D_STATUS] == api.STATUS_REVOKED
    assert app.document(sent)[api.D_STATUS] == api.STATUS_SENT


def _update_in_background(
    contracts: DealbuilderContracts, contract_id: str, licences: int
) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def update() -> None:
        try:
            result["outcome"] = contracts.update_draft(
                contract_id=contract_id,
                licences=licences,
                price_per_licence=Decimal("475"),
                signing_deadline=date(2030, 1, 31),
            )
        except BaseException as error:  # the assertions show it
            result["error"] = error

    writer = threading.Thread(target=update)
    writer.start()
    return writer, result


def _licences(app: DealbuilderSandbox, contract_id: str) -> int:
    return int(app.document(contract_id)[api.D_PRODUCTS][0][api.PR_QUANTITY])


def _puts(app: DealbuilderSandbox, contract_id: str, licences: int) -> int:
    """PUTs of the draft that carried `licences`, answered or not."""
    return sum(
        1
        for entry in app.requests("PUT", f"^{api.document_path(contract_id)}$")
        if (entry["body"] or {})[api.D_PRODUCTS][0][api.PR_QUANTITY] == licences
    )


def test_a_draft_update_whose_answer_was_lost_is_read_back_not_repeated_over_someone_elses_change(
    slow_tolerant: DealbuilderContracts, app: DealbuilderSandbox, server: SandboxServer
) -> None:
    draft = _draft(slow_tolerant, app)
    app.faults.set([FaultRule(kind="slow_after", delay=DELAY, route=r"^PUT /v1/Documents/", count=1)])
    writer, result = _update_in_background(slow_tolerant, draft.id, 30)
    # Dealbuilder has our update, its answer is held; someone edits the draft in Dealbuilder meanwhile.
    wait_until(lambda: _licences(app, draft.id) == 30, "our update to land", every=0.01)
    products = app.document(draft.id)[api.D_PRODUCTS]
    products[0][api.PR_QUANTITY] = 31
    response = httpx.put(
        f"{server.url}{api.document_path(draft.id)}",
        json={api.D_PRODUCTS: products},
        headers={api.API_KEY_HEADER: app.api_key},
    )
    response.raise_for_status()

    writer.join()

    outcome = result.get("outcome")
    assert isinstance(outcome, WriteOutcome), result
    assert outcome.kept == {api.PR_QUANTITY: "31"}
    assert _licences(app, draft.id) == 31
    assert _puts(app, draft.id, 30) == 1


def test_a_held_draft_update_nobody_else_touches_is_made_once(
    slow_tolerant: DealbuilderContracts, app: DealbuilderSandbox
) -> None:
    draft = _draft(slow_tolerant, app)
    app.faults.set([FaultRule(kind="slow", delay=DELAY, route=r"^PUT /v1/Documents/", count=1)])
    writer, result = _update_in_background(slow_tolerant, draft.id, 30)

    writer.join()
    _wait_until_the_slow_request_landed_with(app, "PUT", f"^{api.document_path(draft.id)}$")

    outcome = result.get("outcome")
    assert isinstance(outcome, WriteOutcome) and outcome.kept == {}, result
    assert _licences(app, draft.id) == 30
    assert _puts(app, draft.id, 30) == 1
