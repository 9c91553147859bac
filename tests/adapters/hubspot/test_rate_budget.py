"""Two processes sharing one Prefect rate limit stay, together, within the HubSpot budget in every window.

The limit is a token bucket on the Prefect server: `burst` slots, freed at `decay` per second (floored on every
update, so never faster). Whatever the processes do, the requests granted in any window of W seconds number at most
burst + decay * W: the bucket holds at most `burst` at the window's start and gains at most decay * W within it. The
settings pick decay = (budget - burst) / W, so that bound is the budget. The sandbox stamps a request when it
answers, up to a few tens of milliseconds after the slot was granted: allow decay * 0.25 s for that."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

import pytest
from prefect.client.orchestration import get_client

from config.settings import PROJECT_ROOT
from tasks.rate_budget import SLOTS_PER_REQUEST
from tests.adapters.hubspot.conftest import Portal

WINDOW = 2.0  # seconds: a small stand-in for HubSpot's ten
BURST, DECAY = 4, 8.0  # at most 4 + 8 * 2 = 20 requests in any 2 s
BUDGET = BURST + int(DECAY * WINDOW)
ARRIVAL_JITTER = 0.25  # seconds between a granted slot and the sandbox's stamp, at the most
REQUESTS_EACH = 20


def busiest_window(stamps: list[datetime], window: float) -> int:
    """The most requests within any `window` seconds (a window starting at each request)."""
    times = sorted(stamp.timestamp() for stamp in stamps)
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


def run_workers(portal: Portal, api: str, name: str, *mode: str) -> None:
    """Two worker processes, released together once both are ready; fails the test if either fails."""
    import os

    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # requests_per_10s is the setting's unit: the same decay per second as BUDGET per WINDOW.
    args = [portal.server.url, name, str(BURST), str(int(BURST + DECAY * 10)), str(REQUESTS_EACH), *mode]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.adapters.hubspot.rate_worker", *args],
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


def test_two_processes_sharing_the_rate_limit_never_exceed_the_budget_in_any_window(
    portal_factory: Callable[..., Portal], prefect_api: str
) -> None:
    portal = portal_factory(rate_limit=10_000)
    name = f"hubspot-test-{uuid4().hex[:8]}"

    # Nobody created the limit: the workers' first requests create it rather than run unlimited.
    run_workers(portal, prefect_api, name)

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(name)
    assert (limit.limit, limit.slot_decay_per_second) == (BURST * SLOTS_PER_REQUEST, DECAY * SLOTS_PER_REQUEST)
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


def test_no_shared_limit_is_made_when_its_name_is_empty(prefect_api: str) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from config.settings import HubSpotSettings
    from tasks.rate_budget import ensure_rate_limit

    with temporary_settings({PREFECT_API_URL: prefect_api}), get_client(sync_client=True) as client:
        # Names only: other tests' limits decay between the two reads.
        before = {limit.name for limit in client.read_global_concurrency_limits(limit=200)}
        ensure_rate_limit(HubSpotSettings(rate_limit_name=""))
        assert {limit.name for limit in client.read_global_concurrency_limits(limit=200)} == before
