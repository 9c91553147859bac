"""Dealbuilder's webhook resumes a waiting case at once, through the poller's own resume: the receiver served on a
free port against the flow tests' Prefect server and sandboxes. No test here polls unless it says so, so only the
webhook can have resumed a run."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

from adapters import dealbuilder_api as api
from adapters.dealbuilder_contracts import DealbuilderContracts
from models.case import CaseState
from models.contract import ContractState
from reforhandling.webhook import MAX_BODY, WEBHOOK_PATH, DealbuilderWebhook
from sandbox.kit import SandboxServer
from tasks.resuming import resume_signature_wait
from tests.flows.conftest import FJORDKRAFT, CaseDriver
from tests.waiting import wait_until

KEY = "sandbox-webhook-key"


@pytest.fixture
def receiver(driver: CaseDriver, prefect_api: str) -> Iterator[str]:
    """The receiver, served but not registered with Dealbuilder: the test posts the events. Yields its URL."""
    with SandboxServer(DealbuilderWebhook(driver.runtime, {PREFECT_API_URL: prefect_api})) as server:
        yield f"{server.url}{WEBHOOK_PATH}"


@pytest.fixture
def registered(driver: CaseDriver, receiver: str) -> Iterator[str]:
    """The receiver, registered with the Dealbuilder sandbox through the adapter, as `up` does."""
    settings = driver.runtime.settings
    contracts = DealbuilderContracts(settings.dealbuilder, settings.routine)
    contracts.register_webhook(url=receiver)
    contracts.close()
    webhooks = driver.sandboxes.dealbuilder.webhooks
    backoff, webhooks.backoff = webhooks.backoff, (0.2, 0.5)
    yield receiver
    webhooks.backoff = backoff


def waiting_for_signature(driver: CaseDriver) -> tuple[str, str]:
    """A case approved and sent, its run suspended at `signature`: (case key, contract id)."""
    case = driver.start(**FJORDKRAFT, licences=55, price="450")
    driver.resume(case, approved=True, approver="Ola Kundeservice")
    case = driver.case(case.case_key)
    assert (case.state, driver.pause_key(case)) == (CaseState.AWAITING_SIGNATURE, "signature")
    assert case.contract_id
    return case.case_key, case.contract_id


def event(document_id: str, *, event_type: str = api.EVENT_SIGNED, key: str | None = KEY) -> dict[str, Any]:
    body: dict[str, Any] = {
        api.EV_ID: f"evt-{uuid.uuid4().hex}",
        api.EV_TYPE: event_type,
        api.EV_DOCUMENT_ID: document_id,
        api.EV_STATUS: api.STATUS_SIGNED,
        api.EV_OCCURRED: "2026-12-04T12:00:00.000Z",
    }
    if key is not None:
        body[api.EV_KEY] = key
    return body


def post(url: str, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=30)
    return httpx.post(url, json=body, timeout=30)


def wait_until_resumed(driver: CaseDriver, case_key: str) -> None:
    run_id = driver.case(case_key).flow_run_id
    assert run_id

    def resumed() -> bool:
        state = driver.client.read_flow_run(UUID(run_id)).state
        return state is None or not state.is_paused()

    wait_until(resumed, "the run to be resumed")


def test_a_signature_completes_the_case_through_the_webhook_without_a_poll(driver: CaseDriver, registered: str) -> None:
    case_key, contract_id = waiting_for_signature(driver)

    signed_at = time.monotonic()
    driver.sandboxes.dealbuilder.sign(contract_id)
    wait_until_resumed(driver, case_key)
    print(f"signature -> run resumed by the webhook in {time.monotonic() - signed_at:.2f}s")
    driver.run(driver.case(case_key))

    assert driver.case(case_key).state == CaseState.COMPLETED
    [resumed] = driver.runtime.store.event_details(case_key, "resumed")
    assert (resumed["state"], resumed["reported_by"]) == ("SIGNED", "dealbuilder-webhook")
    [seen] = driver.runtime.store.event_details(case_key, "webhook")
    assert (seen["event_type"], seen["document_id"], seen["outcome"]) == (api.EVENT_SIGNED, contract_id, "resumed")
    # Answered 2xx in the end (a slow first answer may be retried, and is then taken for the replay it is).
    assert driver.sandboxes.dealbuilder.webhook_attempts(contract_id)[-1]["status"] == 200
    assert driver.sandboxes.licences.licences("912345610") == 55


def test_events_with_a_bad_key_a_bad_body_an_unknown_document_or_a_claim_dealbuilder_denies_resume_nothing(
    driver: CaseDriver, receiver: str
) -> None:
    case_key, contract_id = waiting_for_signature(driver)
    # Still Sent in Dealbuilder: a valid, well-formed "signed" is a claim the contract does not bear out yet.
    early = post(receiver, event(contract_id))
    assert (early.status_code, early.json()["outcome"]) == (409, "retry")
    driver.sandboxes.dealbuilder.sign(contract_id)

    answers = {
        "not JSON": post(receiver, b"{not json"),
        "too large": post(receiver, b" " * (MAX_BODY + 1)),
        "not an object": post(receiver, [event(contract_id)]),
        "no key": post(receiver, event(contract_id, key=None)),
        "wrong key": post(receiver, event(contract_id, key="sandbox-webhook-kez")),
        "no event id": post(receiver, event(contract_id) | {api.EV_ID: ""}),
        "no document": post(receiver, event(contract_id) | {api.EV_DOCUMENT_ID: None}),
        "unknown document": post(receiver, event("DB-9999")),
        "an event we do not act on": post(receiver, event(contract_id, event_type=api.EVENT_SENT)),
    }

    assert {name: (r.status_code, r.json()["outcome"]) for name, r in answers.items()} == {
        "not JSON": (400, "refused"),
        "too large": (413, "refused"),
        "not an object": (400, "refused"),
        "no key": (401, "refused"),
        "wrong key": (403, "refused"),
        "no event id": (422, "refused"),
        "no document": (422, "refused"),
        "unknown document": (200, "ignored"),
        "an event we do not act on": (200, "ignored"),
    }
    assert KEY not in "".join(r.text for r in answers.values())
    assert driver.pause_key(driver.case(case_key)) == "signature"
    assert driver.runtime.store.events(case_key, kind="resumed") == []
    assert driver.runtime.store.events(case_key, kind="webhook") == []


def test_a_replayed_event_is_ignored_without_reading_dealbuilder_and_the_case_is_resumed_once(
    driver: CaseDriver, receiver: str
) -> None:
    case_key, contract_id = waiting_for_signature(driver)
    driver.sandboxes.dealbuilder.sign(contract_id)
    signed = event(contract_id)

    first = post(receiver, signed)
    reads = len(driver.sandboxes.dealbuilder.requests("GET", rf"/v1/Documents/{contract_id}$"))
    replay = post(receiver, signed)

    assert (first.status_code, first.json()["outcome"]) == (200, "resumed")
    assert (replay.status_code, replay.json()) == (200, {"outcome": "ignored", "reason": "event seen before"})
    assert len(driver.sandboxes.dealbuilder.requests("GET", rf"/v1/Documents/{contract_id}$")) == reads
    assert len(driver.runtime.store.events(case_key, kind="resumed")) == 1
    assert len(driver.runtime.store.events(case_key, kind="webhook")) == 1
    driver.run(driver.case(case_key))
    assert driver.case(case_key).state == CaseState.COMPLETED


def test_the_webhook_and_the_poller_racing_resume_the_run_once(driver: CaseDriver, receiver: str) -> None:
    case_key, contract_id = waiting_for_signature(driver)
    driver.sandboxes.dealbuilder.sign(contract_id)
    start = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def deliver() -> None:
        start.wait()
        answers.append(post(receiver, event(contract_id)))

    webhook = threading.Thread(target=contextvars.copy_context().run, args=(deliver,))
    webhook.start()
    start.wait()
    polled = driver.poll()
    webhook.join()

    [answer] = answers
    assert answer.status_code == 200
    webhook_resumed = answer.json()["outcome"] == "resumed"
    assert polled + webhook_resumed == 1
    [resumed] = driver.runtime.store.event_details(case_key, "resumed")
    assert resumed["reported_by"] == ("dealbuilder-webhook" if webhook_resumed else "poll-signatures")
    driver.run(driver.case(case_key))
    assert driver.case(case_key).state == CaseState.COMPLETED


def test_the_poller_and_the_webhook_resuming_at_the_same_instant_get_one_resume_through(driver: CaseDriver) -> None:
    case_key, contract_id = waiting_for_signature(driver)
    driver.sandboxes.dealbuilder.sign(contract_id)
    run_id = driver.case(case_key).flow_run_id
    assert run_id
    contract = driver.runtime.contracts.read_status(contract_id=contract_id)
    start = threading.Barrier(2)
    results: dict[str, bool] = {}

    def resume(who: str) -> None:
        with get_client(sync_client=True) as client:
            start.wait()
            results[who] = resume_signature_wait(
                case_key=case_key,
                flow_run_id=run_id,
                outcome=ContractState.SIGNED,
                contract=contract,
                today=date.today(),
                reported_by=who,
                client=client,
                store=driver.runtime.store,
                logger=logging.getLogger(__name__),
            )

    racers = [
        threading.Thread(target=contextvars.copy_context().run, args=(resume, who))
        for who in ("poll-signatures", "dealbuilder-webhook")
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()

    assert sorted(results.values()) == [False, True]
    [resumed] = driver.runtime.store.event_details(case_key, "resumed")
    assert results[resumed["reported_by"]] is True


def test_the_receiver_links_to_the_newest_version_of_an_artifact(driver: CaseDriver, receiver: str) -> None:
    from prefect.artifacts import create_table_artifact

    key = f"board-{uuid.uuid4().hex[:8]}"
    create_table_artifact(table=[{"case": "old"}], key=key)
    newest = create_table_artifact(table=[{"case": "new"}], key=key)
    base = receiver.removesuffix(WEBHOOK_PATH)

    found = httpx.get(f"{base}/artifacts/{key}", timeout=30)
    missing = httpx.get(f"{base}/artifacts/no-such-artifact", timeout=30)
    odd = httpx.get(f"{base}/artifacts/Not_A..Key", timeout=30)

    assert found.status_code == 307, found.text
    ui_url = driver.runtime.settings.prefect.ui_url
    assert found.headers["location"] == f"{ui_url}/artifacts/artifact/{newest}"
    assert (missing.status_code, odd.status_code) == (404, 404)
