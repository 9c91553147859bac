"""The portal cache in the case store: what a CRM portal's labels and owners resolved to, for every process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel


class PortalCacheEntry(SQLModel, table=True):
    """One cached answer of a portal (its pipelines of one object type, its enumeration options, its owners)."""

    __tablename__ = "portal_cache"

    key: str = Field(primary_key=True)
    value: str  # JSON
    fetched_at: datetime


class StorePortalCache:
    """The PortalCache port on the case store's database: shared by every run phase, process and worker."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, key: str) -> tuple[Any, datetime] | None:
        """The value stored under `key` and when it was fetched, or None."""
        with Session(self._engine) as session:
            entry = session.get(PortalCacheEntry, key)
            if entry is None:
                return None
            fetched_at = entry.fetched_at
            # SQLite hands back naive datetimes; they were written in UTC.
            return json.loads(entry.value), fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC)

    def put(self, key: str, value: Any) -> None:
        """Store a freshly fetched value under `key` (the last writer wins: both fetched the same portal)."""
        entry = PortalCacheEntry(key=key, value=json.dumps(value, sort_keys=True), fetched_at=datetime.now(UTC))
        for _ in range(2):
            with Session(self._engine) as session:
                session.merge(entry)
                try:
                    session.commit()
                    return
                except IntegrityError:
                    # Another process inserted the key between our look and our insert: update it instead.
                    session.rollback()

    def clear(self) -> None:
        """Forget every portal's labels: the next request of each kind fetches them again (a cold start)."""
        with Session(self._engine) as session:
            session.execute(delete(PortalCacheEntry))
            session.commit()
