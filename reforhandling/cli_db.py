"""`reforhandling db ...`: the case store's schema, owned by the Alembic migrations in `store/migrations`."""

from __future__ import annotations

import typer

from config.settings import get_settings

db_app = typer.Typer(help="The case store's database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the case store to the newest schema, printing its revision before and after."""
    from sqlalchemy.engine import make_url

    from store.database import FIRST_REVISION, upgrade_to_head

    url = get_settings().effective_database_url
    # A database URL may carry a password.
    typer.echo(f"case store: {make_url(url).render_as_string(hide_password=True)}")
    done = upgrade_to_head(url)
    before = done.before or "none"
    if done.adopted:
        before += f" (tables made before migrations; stamped {FIRST_REVISION})"
    typer.echo(f"before: {before}")
    typer.echo(f"after:  {done.after}" + (" (already the newest)" if done.after == done.before else ""))
