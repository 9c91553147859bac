"""The one place that builds the adapters and the case store from settings (bootstrap).

The entry points (CLI, deployments, webhook, tests) build a Runtime and hand it down: flows are built from a
runtime factory, and tasks take the runtime as a parameter; nothing looks it up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cached_property
from typing import cast

from pydantic import SecretStr

from adapters.ports import ContractService, Crm, LicenceAdmin, Mailer, RateBudget
from config.clock import local_today, utc_now
from config.settings import RoutineSettings, Settings, get_settings
from store.case_store import CaseStore

# A secret given as "prefect-secret:<block name>" is read from that Prefect Secret block (deployed runs).
SECRET_BLOCK_PREFIX = "prefect-secret:"


class Runtime:
    """What a flow run works with: settings, the four ports and the case store, each built on first use (a phase
    that only reads the routine settings builds no client)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # The time now; a test moves it (e.g. a retry on a later day than the failure).
        self.clock: Callable[[], datetime] = utc_now

    @property
    def routine(self) -> RoutineSettings:
        return self.settings.routine

    def today(self) -> date:
        """Today where the routine runs, by this runtime's clock: the `today` of every rule."""
        return local_today(self.settings.routine.timezone, self.clock())

    @cached_property
    def crm(self) -> Crm:
        from adapters.hubspot_crm import HubSpotCrm

        hubspot = self._resolved.hubspot
        # The portal's labels and owners come from the case store, fetched once for every phase and process.
        return HubSpotCrm(hubspot, self.settings.routine, cache=self.store.portal_cache, budget=self.hubspot_budget)

    @cached_property
    def hubspot_budget(self) -> RateBudget:
        """The rate budget every HubSpot request takes one from (`hubspot.rate_budget`); none without a name."""
        hubspot = self.settings.hubspot
        where = self.settings.hubspot_rate_budget
        if where == "file":
            from adapters.rate_budget import FileRateBudget

            return FileRateBudget(
                self.settings.hubspot_budget_file,
                burst=hubspot.rate_limit_burst,
                per_second=hubspot.slot_decay_per_second,
                max_wait=hubspot.rate_limit_max_wait_seconds,
            )
        if where == "prefect":
            from adapters.prefect_rate_budget import PrefectRateBudget

            return PrefectRateBudget(hubspot)
        from adapters.rate_budget import Unlimited

        return Unlimited()

    @cached_property
    def contracts(self) -> ContractService:
        from adapters.dealbuilder_contracts import DealbuilderContracts

        return DealbuilderContracts(self._resolved.dealbuilder, self.settings.routine)

    @cached_property
    def licences(self) -> LicenceAdmin:
        from adapters.licence_admin import HttpLicenceAdmin, ManualLicenceAdmin

        if self.settings.licence_mode == "http":
            return HttpLicenceAdmin(self._resolved.licences)
        return ManualLicenceAdmin()

    @cached_property
    def mailer(self) -> Mailer:
        from adapters.smtp_mailer import SmtpMailer

        return SmtpMailer(self._resolved.mail)

    @cached_property
    def store(self) -> CaseStore:
        return CaseStore(self.settings.effective_database_url)

    @cached_property
    def _resolved(self) -> Settings:
        # Secrets in Prefect Secret blocks are read once, when the first client needs them.
        return with_resolved_secrets(self.settings)


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
    """The adapters for the configured endpoints (the local sandboxes by default), built when first used."""
    return Runtime(settings)


def runtime_from_settings() -> Runtime:
    """The runtime of a deployed run: the adapters for the settings of this process's environment."""
    return build_runtime(get_settings())
