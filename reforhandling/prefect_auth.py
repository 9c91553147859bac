"""Who may talk to the Prefect API: the auth string every client of ours, the serve process and the UI use."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from config.private_files import DIR_MODE, private_file
from config.settings import Settings

AUTH_FILE = "prefect-auth"


def auth_string(settings: Settings, *, create: bool = False) -> tuple[str | None, bool]:
    """The configured auth string, else the local stack's one under the data dir (made when `create`); the flag
    says it was made just now, so the caller can show it once."""
    if settings.prefect.auth_string is not None:
        return settings.prefect.auth_string.get_secret_value(), False
    if settings.prefect.api is not None:
        # A server elsewhere: protected by its own auth string or a proxy in front of it, not by a local file.
        return None, False
    path = settings.data_dir / AUTH_FILE
    if path.exists():
        return path.read_text().strip(), False
    if not create:
        return None, False
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    made = f"reforhandling:{secrets.token_urlsafe(18)}"
    private_file(path).write_text(made + "\n")
    return made, True


def basic_auth_header(auth: str | None) -> dict[str, str]:
    """The header Prefect's API checks (`Basic <base64 of the auth string>`), or none."""
    if not auth:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def client_settings(settings: Settings) -> dict[Any, Any]:
    """Prefect settings for this process's client: the API and, where there is one, its auth string."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    auth, _ = auth_string(settings)
    values: dict[Any, Any] = {PREFECT_API_URL: settings.prefect.api_url}
    if auth:
        values[PREFECT_API_AUTH_STRING] = auth
    return values
