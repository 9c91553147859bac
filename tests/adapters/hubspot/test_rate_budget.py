"""Two processes sharing one HubSpot rate budget stay, together, within it in every window; a request that finds no
room within the longest wait fails with a clear error.

Both budgets are token buckets: `burst` requests, refilled at `decay` per second (the Prefect limit floors its decay
on every update, so never faster). Whatever the processes do, the requests granted in any window of W seconds number
at most burst + decay * W: the bucket holds at most `burst` at the window's start and gains at most decay * W within
it. The settings pick decay = (budget - burst) / W, so that bound is the budget. The sandbox stamps a request when
it answers, up to a few tens of milliseconds after it was granted: allow decay * 0.25 s for that."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from adapters.prefect_rate_budget import SLOTS_PER_REQUEST, PrefectRateBudget, ensure_rate_limit
from adapters.rate_budget import FileRateBudget, RateBudgetExhausted, seconds_spent
from config.settings import PROJECT_ROOT, HubSpotSettings, Settings
from tests.adapters.hubspot.conftest import Portal

WINDOW = 2.0  # seconds: a small stand-in for HubSpot's ten
BURST, DECAY = 4, 8.0  # at most 4 + 8 * 2 = 20 requests in any 2 s
BUDGET = BURST + int(DECAY * WINDOW)
ARRIVAL_JITTER = 0.25  # seconds between a granted request and the sandbox's stamp, at the most
REQUESTS_EACH = 20


def busiest_window(stamps: list[datetime], window: float) -> int:
    """The most requests within any `window` seconds (a window starting at each request)."""
    times = sorted(stamp.timestamp() for stamp in stamps)
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


def run_workers(portal: Portal, api: str, data_dir: Path, name: str, budget: str) -> None:
    """Two worker processes, released together once both are ready; fails the test if either fails."""
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # requests_per_10s is the setting's unit: the same decay per second as BUDGET per WINDOW.
    args = [portal.server.url, str(data_dir), name, str(BURST), str(int(BURST + DECAY * 10)), str(REQUESTS_EACH)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.adapters.hubspot.rate_worker", *args, budget],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read() if worker.stderr else ""
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            _, errors = worker.communicate(timeout=120)
            assert worker.returncode == 0, errors
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


@pytest.mark.parametrize("budget", ["file", "prefect"])
def test_two_processes_sharing_the_rate_budget_never_exceed_it_in_any_window(
    portal_factory: Callable[..., Portal], prefect_api: str, tmp_path: Path, budget: str
) -> None:
    portal = portal_factory(rate_limit=10_000)
    name = f"hubspot-test-{uuid4().hex[:8]}"

    # Nobody created the budget: the workers' first requests create it rather than run unlimited.
    run_workers(portal, prefect_api, tmp_path, name, budget)

    if budget == "prefect":
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(name)
        assert (limit.limit, limit.slot_decay_per_second) == (BURST * SLOTS_PER_REQUEST, DECAY * SLOTS_PER_REQUEST)
    else:
        assert [path.name for path in tmp_path.iterdir()] == [f"{name}.budget"]
    requests = portal.app.requests("GET", "/companies/9001")
    assert len(requests) == 2 * REQUESTS_EACH
    stamps = [datetime.fromisoformat(entry["at"].replace("Z", "+00:00")) for entry in requests]
    assert busiest_window(stamps, WINDOW) <= BUDGET + int(DECAY * ARRIVAL_JITTER)


@pytest.mark.parametrize(
    ("offsets", "busiest"),
    [
        ([0.0, 0.5, 1.0, 1.5, 2.0], 4),
        ([0.0, 1.99, 2.0, 3.98], 3),
        ([0.0, 0.1, 0.2, 5.0], 3),
    ],
)
def test_the_busiest_window_counts_requests_less_than_a_window_apart(offsets: list[float], busiest: int) -> None:
    start = datetime(2026, 1, 1).timestamp()
    stamps = [datetime.fromtimestamp(start + offset) for offset in offsets]
    assert busiest_window(stamps, 2.0) == busiest


class Clock:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_file_budget_grants_its_burst_at_once_then_waits_for_the_refill_and_counts_the_wait(
    tmp_path: Path,
) -> None:
    clock = Clock()
    budget = FileRateBudget(tmp_path / "b.budget", burst=3, per_second=2.0, max_wait=10, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        budget.take()

    assert clock.slept == [0.5, 0.5]
    assert seconds_spent(tmp_path / "b.budget") == 1.0


def test_a_file_budget_with_no_room_within_the_longest_wait_fails_with_a_clear_error(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "hubspot-requests.budget"
    FileRateBudget(path, burst=1, per_second=0.01, max_wait=5, clock=clock, sleep=clock.sleep).take()
    other_process = FileRateBudget(path, burst=1, per_second=0.01, max_wait=5, clock=clock, sleep=clock.sleep)

    with pytest.raises(RateBudgetExhausted, match="'hubspot-requests' gave no request within 0s") as refused:
        other_process.take()

    assert (refused.value.system, refused.value.retryable, clock.slept) == ("hubspot", False, [])


def test_a_prefect_budget_with_no_room_within_the_longest_wait_fails_with_a_clear_error(prefect_api: str) -> None:
    name = f"hubspot-test-{uuid4().hex[:8]}"
    # One request's slots, freed in 10 s: the second request cannot fit within a second.
    settings = HubSpotSettings(
        rate_limit_name=name, rate_limit_burst=1, requests_per_10s=2, rate_limit_max_wait_seconds=1.0
    )
    with temporary_settings({PREFECT_API_URL: prefect_api}):
        budget = PrefectRateBudget(settings)
        budget.take()
        began = time.monotonic()
        with pytest.raises(RateBudgetExhausted, match=f"{name!r} gave no request within"):
            budget.take()
    assert time.monotonic() - began < 5.0


def test_the_local_stack_keeps_the_budget_in_a_file_and_an_empty_name_means_none(tmp_path: Path) -> None:
    local = Settings(data_dir=tmp_path)
    assert (local.hubspot_rate_budget, local.hubspot_budget_file) == ("file", tmp_path / "hubspot-requests.budget")
    chosen = Settings(hubspot=HubSpotSettings(rate_budget="prefect"))
    assert chosen.hubspot_rate_budget == "prefect"
    assert Settings(hubspot=HubSpotSettings(rate_limit_name="")).hubspot_rate_budget is None


def test_no_shared_limit_is_made_when_its_name_is_empty(prefect_api: str) -> None:
    with temporary_settings({PREFECT_API_URL: prefect_api}), get_client(sync_client=True) as client:
        # Names only: other tests' limits decay between the two reads.
        before = {limit.name for limit in client.read_global_concurrency_limits(limit=200)}
        ensure_rate_limit(HubSpotSettings(rate_limit_name=""))
        assert {limit.name for limit in client.read_global_concurrency_limits(limit=200)} == before
