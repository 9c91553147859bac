"""The Dealbuilder sandbox's webhook deliveries: each event is posted to every URL registered for it, from a
background thread, and a failed attempt (no answer, or anything but 2xx) is tried again after a growing pause, a
bounded number of times, as a provider does. Every attempt is recorded for tests and the demo; the owner keeps a
durable copy of each delivery under its key until `on_settled` says it was taken or given up. The HubSpot sandbox
uses the same sender with its own `prepare` (each attempt numbered and signed afresh) and `describe`."""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from sandbox.kit import utc_now_iso

# (body, attempt number) -> the bytes to post and the headers to post them with.
Prepare = Callable[[Any, int], tuple[bytes, dict[str, str]]]

# Pauses before the 2nd, 3rd, ... attempt: five attempts within about 15 s, then the event is given up.
DEFAULT_BACKOFF = (1.0, 2.0, 4.0, 8.0)


@dataclass(order=True)
class _Delivery:
    due: float
    order: int
    url: str = field(compare=False)
    body: Any = field(compare=False)
    attempt: int = field(compare=False, default=1)
    generation: int = field(compare=False, default=0)
    key: str = field(compare=False, default="")


class WebhookSender:
    """Posts events to webhook URLs with retries, in one daemon thread started on the first event."""

    def __init__(
        self,
        *,
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
        timeout: float = 5.0,
        on_settled: Callable[[str], None] | None = None,
        prepare: Prepare | None = None,
        describe: Callable[[Any], dict[str, Any]] | None = None,
        name: str = "dealbuilder-webhooks",
    ) -> None:
        self.backoff = backoff
        self._prepare = prepare or _as_json
        self._describe = describe or _dealbuilder_event
        self._name = name
        self.timeout = timeout
        self.on_settled = on_settled
        self._attempts: list[dict[str, Any]] = []
        self._queue: list[_Delivery] = []
        self._order = itertools.count()
        self._busy = 0
        # A reset drops what is queued; an attempt already under way is not tried again after it.
        self._generation = 0
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def send(self, url: str, body: Any, *, key: str = "") -> None:
        """Queue the event for `url`; the first attempt is made at once. `key` names the delivery to `on_settled`."""
        with self._wake:
            order = next(self._order)
            delivery = _Delivery(time.monotonic(), order, url, body, generation=self._generation, key=key)
            heapq.heappush(self._queue, delivery)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def attempts(self) -> list[dict[str, Any]]:
        """Every attempt so far: url, eventId, eventType, documentId, attempt, status (0: no answer), error, at."""
        with self._wake:
            return [dict(attempt) for attempt in self._attempts]

    def clear(self) -> None:
        """Forget the queue and the attempts (the sandbox's reset)."""
        with self._wake:
            self._queue.clear()
            self._attempts.clear()
            self._generation += 1

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or under way; False if that took longer than `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.1))
        return True

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                delivery = self._next()
                status, error = _post(client, delivery, *self._prepare(delivery.body, delivery.attempt))
                with self._wake:
                    self._busy -= 1
                    self._attempts.append(
                        {
                            "url": delivery.url,
                            **self._describe(delivery.body),
                            "attempt": delivery.attempt,
                            "status": status,
                            "error": error,
                            "at": utc_now_iso(),
                        }
                    )
                    retry = not 200 <= status < 300 and delivery.attempt <= len(self.backoff)
                    if retry and delivery.generation == self._generation:
                        delivery.due = time.monotonic() + self.backoff[delivery.attempt - 1]
                        delivery.attempt += 1
                        delivery.order = next(self._order)
                        heapq.heappush(self._queue, delivery)
                    self._wake.notify_all()
                # Outside our lock: the owner takes its own lock to forget the delivery, and holds it when it sends.
                if not retry and delivery.key and self.on_settled is not None:
                    self.on_settled(delivery.key)

    def _next(self) -> _Delivery:
        with self._wake:
            while True:
                now = time.monotonic()
                if self._queue and self._queue[0].due <= now:
                    self._busy += 1
                    return heapq.heappop(self._queue)
                self._wake.wait(self._queue[0].due - now if self._queue else None)


def _as_json(body: Any, attempt: int) -> tuple[bytes, dict[str, str]]:
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


def _dealbuilder_event(body: Any) -> dict[str, Any]:
    return {name: body.get(name) for name in ("eventId", "eventType", "documentId")}


def _post(client: httpx.Client, delivery: _Delivery, content: bytes, headers: dict[str, str]) -> tuple[int, str]:
    try:
        response = client.post(delivery.url, content=content, headers=headers)
    except httpx.HTTPError as error:
        return 0, type(error).__name__
    return response.status_code, ""
