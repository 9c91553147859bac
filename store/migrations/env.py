"""Alembic's entry point: run the migrations on the connection `store.database` hands over, in its transaction."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models.case  # noqa: F401  (the tables, for comparing the models with the migrated schema)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the case store's migrations with `reforhandling db upgrade` (store.database), not alembic")
# Batch mode lets a later migration alter a column on SQLite, which has no ALTER COLUMN.
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
