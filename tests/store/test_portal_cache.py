"""The portal cache in the case store: one value per key, the newest write wins, and when it was fetched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.case_store import CaseStore


def test_a_cached_value_comes_back_with_when_it_was_fetched_and_a_new_fetch_replaces_it(database_url: str) -> None:
    cache = CaseStore(database_url).portal_cache
    assert cache.get("hubspot|portal|owners") is None

    cache.put("hubspot|portal|owners", {"agent@avonova.example": "7001"})
    cache.put("hubspot|portal|owners", {"agent@avonova.example": "7001", "ny@avonova.example": "7999"})

    found = CaseStore(database_url).portal_cache.get("hubspot|portal|owners")  # as another process sees it
    assert found is not None
    value, fetched_at = found
    assert value == {"agent@avonova.example": "7001", "ny@avonova.example": "7999"}
    assert timedelta(0) <= datetime.now(UTC) - fetched_at < timedelta(minutes=5)
