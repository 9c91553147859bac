"""The portal cache of one process, for adapters built without the case store (adapter tests, one-off scripts)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any


class MemoryPortalCache:
    """The PortalCache port in this process's memory."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Any, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[Any, datetime] | None:
        """The value stored under `key` and when it was fetched, or None."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, value: Any) -> None:
        """Store a freshly fetched value under `key`."""
        with self._lock:
            self._entries[key] = (value, datetime.now(UTC))
