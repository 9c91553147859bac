"""The one place that builds the adapters and the case store from settings (bootstrap)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from pydantic import SecretStr

from adapters.ports import ContractService, Crm, LicenceAdmin, Mailer
from reforhandling.settings import Settings, get_settings
from store.case_store import CaseStore

# A secret given as "prefect-secret:<block name>" is read from that Prefect Secret block (deployed runs).
SECRET_BLOCK_PREFIX = "prefect-secret:"


@dataclass
class Runtime:
    """What a flow run works with: settings, the four ports, and the case store."""

    settings: Settings
    crm: Crm
    contracts: ContractService
    licences: LicenceAdmin
    mailer: Mailer
    store: CaseStore


def resolve_secret(secret: SecretStr) -> SecretStr:
    """The secret itself, or the value of the Prefect Secret block it names."""
    value = secret.get_secret_value()
    if not value.startswith(SECRET_BLOCK_PREFIX):
        return secret
    from prefect.blocks.system import Secret

    block = cast("Secret[str]", Secret.load(value.removeprefix(SECRET_BLOCK_PREFIX)))
    return SecretStr(str(block.get()))


def with_resolved_secrets(settings: Settings) -> Settings:
    hubspot = settings.hubspot.model_copy(update={"token": resolve_secret(settings.hubspot.token)})
    dealbuilder = settings.dealbuilder.model_copy(
        update={
            "api_key": resolve_secret(settings.dealbuilder.api_key),
            "webhook_key": resolve_secret(settings.dealbuilder.webhook_key),
        }
    )
    licences = settings.licences.model_copy(update={"token": resolve_secret(settings.licences.token)})
    mail = settings.mail
    if mail.password is not None:
        mail = mail.model_copy(update={"password": resolve_secret(mail.password)})
    return settings.model_copy(
        update={"hubspot": hubspot, "dealbuilder": dealbuilder, "licences": licences, "mail": mail}
    )


def build_runtime(settings: Settings) -> Runtime:
    """Real adapters for the configured endpoints (the local sandboxes by default)."""
    from adapters.dealbuilder_contracts import DealbuilderContracts
    from adapters.hubspot_crm import HubSpotCrm
    from adapters.licence_admin import HttpLicenceAdmin, ManualLicenceAdmin
    from adapters.smtp_mailer import SmtpMailer

    settings = with_resolved_secrets(settings)
    licences: LicenceAdmin = (
        HttpLicenceAdmin(settings.licences) if settings.licence_mode == "http" else ManualLicenceAdmin()
    )
    return Runtime(
        settings=settings,
        crm=HubSpotCrm(settings.hubspot, settings.routine),
        contracts=DealbuilderContracts(settings.dealbuilder, settings.routine),
        licences=licences,
        mailer=SmtpMailer(settings.mail),
        store=CaseStore(settings.effective_database_url),
    )


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The process's runtime, built once (SDK clients and pools are reused across tasks)."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(get_settings())
    return _runtime


@contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """Run flows in this process against the given runtime (tests and the in-process demo pass their own)."""
    global _runtime
    previous, _runtime = _runtime, runtime
    try:
        yield runtime
    finally:
        _runtime = previous
