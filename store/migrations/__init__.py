"""The case store's Alembic migrations; `store.database.upgrade_to_head` runs them."""
