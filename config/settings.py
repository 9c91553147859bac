"""The one settings class: every label, property name, threshold, endpoint and recipient of the routine."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Values a secret may hold only on the local stack; production refuses to start with any of them.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "sandbox-token", "sandbox-key", "sandbox-webhook-key", "sandbox-client-secret"}
)


class HttpSystemSettings(BaseModel):
    """How we talk to one system over HTTP: its address, the timeouts and the retries."""

    base_url: str
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    # After a write went unanswered (read timeout, dropped connection, 502/504), wait this long before looking
    # whether it happened: longer than the system can still be working on a request we gave up on.
    settle_seconds: float = 30.0
    # How far the system's clock may be from ours: a checked write reads back what changed since it began, moved
    # back by this much, so a change of someone else's near our write is kept rather than written over.
    clock_skew_seconds: float = 2.0


class HubSpotSettings(HttpSystemSettings):
    """HubSpot; creates HubSpot cannot refuse as duplicates (notes) and unanswered updates wait `settle_seconds`
    before they look: contacts and deals carry a unique value, and a second create is answered 409."""

    base_url: str = "http://127.0.0.1:8781"
    token: SecretStr = SecretStr("sandbox-token")
    portal_id: str = "1234567"
    # HubSpot's app, where people open a record (e.g. https://app-eu1.hubspot.com); unset: the HubSpot sandbox's own
    # record pages (the local stack). Production must set it.
    app_url: str | None = None
    # The app whose webhook subscriptions deliver ticket changes to our receiver, and its client secret, which signs
    # every delivery (X-HubSpot-Signature-v3). A private app's subscriptions are set in its settings in HubSpot; the
    # local stack subscribes in the sandbox through the Webhooks API v3 with the developer key.
    app_id: str = "2345678"
    client_secret: SecretStr = SecretStr("sandbox-client-secret")
    developer_api_key: SecretStr = SecretStr("sandbox-key")
    max_attempts: int = 5
    # Pipelines, enumeration options and owners, cached in the case store for every process and run phase; a label
    # missing from the cache is fetched once more before it fails, so a new stage or owner needs no wait.
    cache_ttl_seconds: float = 3600.0
    # Every HubSpot request first takes one from a rate budget shared by every process, so all of them together
    # stay within the portal's budget (`requests_per_10s`: 100 on Starter, 190 on Pro/Enterprise). The budget holds
    # `rate_limit_burst` requests and frees (requests_per_10s - burst) / 10 per second: at most requests_per_10s
    # requests in any 10 seconds. An empty name: no shared budget (each process on its own).
    rate_limit_name: str = "hubspot-requests"
    requests_per_10s: int = Field(default=100, ge=2)
    rate_limit_burst: int = Field(default=10, ge=1)
    # Where the budget is kept. "file": a token bucket in `<data_dir>/<rate_limit_name>.budget`, shared by every
    # process on this host (a lock and a 16-byte write per request). "prefect": the Prefect global concurrency limit
    # `rate_limit_name`, shared by every worker on every machine (a write to the Prefect server per request: on
    # PostgreSQL; on the embedded SQLite server those writes lock out the runs' and people's own). None: "file" on
    # the local profile, "prefect" in production.
    rate_budget: Literal["file", "prefect"] | None = None
    # A request that found no room in the budget for this long fails its step with a clear error, not wait for ever.
    rate_limit_max_wait_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _burst_within_budget(self) -> HubSpotSettings:
        if self.rate_limit_burst >= self.requests_per_10s:
            raise ValueError("hubspot.rate_limit_burst must be less than hubspot.requests_per_10s")
        return self

    @property
    def records_url(self) -> str:
        """Where links to a record point: HubSpot's app, or the sandbox's pages of the same shape."""
        return self.app_url or f"{self.base_url.rstrip('/')}/_sandbox"

    @property
    def slot_decay_per_second(self) -> float:
        """The rate at which the limit frees slots: with the burst, exactly the budget in any 10-second window."""
        return (self.requests_per_10s - self.rate_limit_burst) / 10


class TicketStatusOptions(BaseModel):
    """The options of the ticket's status property, one per stage of a case; each is written as the option's
    internal value, which HubSpot makes equal to its label unless an admin changes it."""

    started: str = "Startet"
    awaiting_approval: str = "Venter på godkjenning"
    sent: str = "Sendt til kunde"
    signed: str = "Signert"
    completed: str = "Fullført"
    rejected: str = "Avvist"
    cancelled: str = "Avbrutt"
    needs_attention: str = "Trenger oppfølging"


class RoutineSettings(BaseModel):
    """Labels and property names as configured in the customer's HubSpot and Dealbuilder."""

    deal_pipeline: str = "Assist"
    deal_stage: str = "Venter på beslutning"
    # Where the deal goes when the customer decides: signed, or rejected, cancelled, declined or expired for good.
    deal_stage_won: str = "Lukket vunnet"
    deal_stage_lost: str = "Lukket tapt"
    ticket_pipeline: str = "Kundesenter"
    ticket_stage_sent: str = "Sendt kontrakt"
    deal_type: str = "Tilleggslisenser / reforhandling"
    currency: str = "NOK"
    # Internal property names (not labels) in HubSpot.
    deal_type_property: str = "dealtype"
    meeting_booker_property: str = "motebooker"
    delivery_start_property: str = "delivery_start_date"
    case_key_property: str = "reforhandling_case_key"
    downward_property: str = "nedjustering"
    org_number_property: str = "orgnr"
    # Where the ticket shows its case: the stage it stands at (an enumeration) and the run's page in the Prefect UI.
    ticket_status_property: str = "reforhandling_status"
    ticket_link_property: str = "reforhandling_lenke"
    ticket_statuses: TicketStatusOptions = Field(default_factory=TicketStatusOptions)
    # Dealbuilder.
    contract_template: str = "Reforhandling av avtale om Avonova Assist"
    contract_sender: str = "user non human"
    contract_booker: str = "kundesenter"
    licence_line: str = "Avonova Assist lisens"
    onboarding_line: str = "digital oppstart"
    onboarding_price: Decimal = Decimal("2500.00")
    # Thresholds (DOMAIN.md, "Decisions").
    min_reduction: int = 10
    max_share: Decimal = Decimal("0.20")
    # "reduction": under/over 10 licences is the size of the reduction; "customer_size": the customer's current count.
    routing_basis: Literal["reduction", "customer_size"] = "reduction"
    sales_registration_months: int = 36
    # Upper bounds of a request and of an approval form's corrections.
    max_licences: int = 100_000
    max_price_per_licence: Decimal = Decimal("100000")
    max_start_days_ahead: int = 366
    # Who may approve, correct, reject or decide (e-mails or names, compared without case); empty: anyone.
    # The defaults are the local stack's seeded agents; production sets its own.
    approvers: list[str] = Field(
        default_factory=lambda: [
            "Ola",
            "Ola Kundeservice",
            "agent@avonova.example",
            "Ingrid",
            "Ingrid Kundeservice",
            "agent2@avonova.example",
        ]
    )
    # Recipients and targets.
    sales_registration_recipient: str = "salgsregistrering@avonova.example"
    invoice_service_owner: str = "invoice.service@avonova.example"
    csc_owner: str = "csc@avonova.example"
    csc_recipient: str = "csc@avonova.example"
    # Ops: a case that needs attention, the reconciliation's findings.
    ops_recipient: str = "drift@avonova.example"
    # How often a year the price per licence is charged (1: a yearly price, 12: monthly), for the yearly value.
    price_periods_per_year: int = Field(default=1, ge=1)
    # The daily reconciliation looks at every open case and at the cases closed in the last this many days.
    reconcile_days: int = Field(default=30, ge=1)
    # Stages a ticket may move on to after `ticket_stage_sent` (order/invoice closing it) without being drift.
    ticket_stages_after_sent: list[str] = Field(default_factory=lambda: ["Lukket"])
    timezone: str = "Europe/Oslo"


class IntakeSettings(BaseModel):
    """A case starts from its ticket: the properties the agent fills, the stages that start it or send it back, and
    how the webhook and the scheduled intake find it."""

    # Internal property names (not labels) on the ticket.
    licences_property: str = "reforhandling_lisenser"
    price_property: str = "reforhandling_pris"
    start_date_property: str = "reforhandling_oppstartsdato"
    signer_property: str = "reforhandling_signatar"
    signer_name_property: str = "reforhandling_signatar_navn"
    # Stage labels in routine.ticket_pipeline: moving a ticket to `ready_stage` starts its case; a refused ticket is
    # moved to `needs_fixing_stage` with a note that says what to fix.
    ready_stage: str = "Klar for reforhandling"
    needs_fixing_stage: str = "Trenger retting"
    # The scheduled `intake` deployment, the backstop of the webhook: one HubSpot search per run.
    interval_seconds: int = Field(default=60, ge=5)
    deployment: str = "intake/intake"
    # A signed delivery older than this (or this far in the future) is refused, and its signature is remembered for
    # as long, so a replay within the window is refused too.
    webhook_max_age_seconds: float = Field(default=300.0, gt=0)

    @property
    def properties(self) -> list[str]:
        """Every ticket property the intake reads."""
        return [
            self.licences_property,
            self.price_property,
            self.start_date_property,
            self.signer_property,
            self.signer_name_property,
        ]


class NotificationSettings(BaseModel):
    """When the scheduled poller reminds, escalates and warns, and whom it escalates to (mail goes through `mail`)."""

    # An approval form unanswered this long gets one reminder to the agent, then one escalation.
    approval_reminder_hours: float = 24.0
    approval_escalation_hours: float = 72.0
    # The same for a decision on a declined or expired contract, and for a licence count to confirm (manual routine).
    decision_reminder_hours: float = 24.0
    decision_escalation_hours: float = 72.0
    licence_reminder_hours: float = 24.0
    licence_escalation_hours: float = 72.0
    escalation_recipient: str = "kundesenter.leder@avonova.example"
    # A contract out for signature gets one heads-up to the agent this many days before its deadline.
    deadline_heads_up_days: int = 2
    # A notification claimed but not marked sent this long ago (its sender died) may be claimed and sent again:
    # longer than `mail.data_timeout`, so a claim whose message is still being answered is never taken over.
    stale_claim_seconds: float = 900.0


class DealbuilderSettings(HttpSystemSettings):
    base_url: str = "http://127.0.0.1:8782"
    api_key: SecretStr = SecretStr("sandbox-key")
    webhook_key: SecretStr = SecretStr("sandbox-webhook-key")
    # Our receiver of Dealbuilder's document events (`reforhandling up` runs it), and the address Dealbuilder is
    # given for it: a public HTTPS URL in production (behind a proxy); None: the receiver's own address.
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8785
    webhook_public_url: str | None = None
    # A delivery's body must arrive whole within this many seconds (a slow sender holds a connection, not us).
    webhook_body_timeout: float = 10.0
    read_timeout: float = 15.0

    @property
    def receiver_url(self) -> str:
        """Where the receiver is reached (the public URL's origin, else its own address); it also serves the links
        that open the newest version of an artifact."""
        if self.webhook_public_url:
            public = urlsplit(self.webhook_public_url)
            return f"{public.scheme}://{public.netloc}"
        return f"http://{self.webhook_host}:{self.webhook_port}"

    # Dealbuilder's raw statuses -> our neutral states; anything else is logged and treated as waiting.
    status_map: dict[str, str] = Field(
        default_factory=lambda: {
            "Draft": "DRAFT",
            "Sent": "SENT",
            "Viewed": "VIEWED",
            "Opened": "VIEWED",
            "Signed": "SIGNED",
            "Accepted": "SIGNED",
            "Declined": "DECLINED",
            "Rejected": "DECLINED",
            "Expired": "EXPIRED",
            "Revoked": "CANCELED",
            "Canceled": "CANCELED",
        }
    )


class LicenceSettings(HttpSystemSettings):
    # None: the HTTP sandbox on the local profile, the manual routine in production.
    mode: Literal["manual", "http"] | None = None
    base_url: str = "http://127.0.0.1:8783"
    token: SecretStr = SecretStr("sandbox-token")


class MailSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8025
    starttls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "kundesenter@avonova.example"
    timeout: float = 10.0  # for the answer to each command
    # The answer to a whole message may take longer: the server checks and stores it first. A client that gives up
    # sooner is how a message gets delivered twice (RFC 1047); RFC 5321 4.5.3.2.6 suggests 10 minutes.
    data_timeout: float = 600.0
    max_attempts: int = 3
    backoff_seconds: float = 0.5
    # The SMTP sandbox's HTTP listing of what it received.
    sandbox_http_port: int = 8784


class PrefectSettings(BaseModel):
    # The API of a Prefect server elsewhere (e.g. https://prefect.example/api); default: the local one below.
    api: str | None = None
    host: str = "127.0.0.1"
    port: int = 4200
    # How often the signature poller runs, at most: each poll is a new process and the deployment runs one at a time,
    # so below about 15 s polls come less often than this (5 s gave one every 12 s on 2 cores; README, Settings).
    poll_interval_seconds: int = 300
    # HTTP basic auth for the whole Prefect API and UI (PREFECT_SERVER_API_AUTH_STRING / PREFECT_API_AUTH_STRING).
    # Unset on the local stack: `up` makes one and keeps it under the data dir.
    auth_string: SecretStr | None = None
    work_pool: str = "reforhandling-process"
    flow_deployment: str = "renegotiate-agreement/renegotiate-agreement"
    poller_deployment: str = "poll-signatures/poll-signatures"
    # When the `reconcile` deployment runs (cron, in routine.timezone); daily by default.
    reconcile_cron: str = "0 6 * * *"

    @property
    def api_url(self) -> str:
        return self.api or f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/").removesuffix("/api")


class Settings(BaseSettings):
    """Effective configuration, from REFORHANDLING_* variables (nested with __) over the local defaults."""

    model_config = SettingsConfigDict(env_prefix="REFORHANDLING_", env_nested_delimiter="__", extra="ignore")

    profile: Literal["local", "production"] = "local"
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str | None = None
    hubspot: HubSpotSettings = HubSpotSettings()
    dealbuilder: DealbuilderSettings = DealbuilderSettings()
    licences: LicenceSettings = LicenceSettings()
    mail: MailSettings = MailSettings()
    routine: RoutineSettings = RoutineSettings()
    intake: IntakeSettings = IntakeSettings()
    notifications: NotificationSettings = NotificationSettings()
    prefect: PrefectSettings = PrefectSettings()

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.profile != "production":
            return self
        problems = [
            f"REFORHANDLING_{name.upper().replace('.', '__')} holds a placeholder"
            for name, secret in self.secrets().items()
            if secret is None or secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
        ]
        problems += [
            f"REFORHANDLING_ROUTINE__{name.upper()} is still the example address {value!r}"
            for name, value in self.routine.model_dump().items()
            if isinstance(value, str) and value.endswith(".example")
        ]
        if self.notifications.escalation_recipient.endswith(".example"):
            problems.append("REFORHANDLING_NOTIFICATIONS__ESCALATION_RECIPIENT is still an example address")
        if not self.hubspot.app_url:
            problems.append("REFORHANDLING_HUBSPOT__APP_URL must be HubSpot's app (e.g. https://app-eu1.hubspot.com)")
        if not self.routine.approvers or any(person.endswith(".example") for person in self.routine.approvers):
            # An empty list lets anyone decide; the local defaults are the sandbox's agents.
            problems.append("REFORHANDLING_ROUTINE__APPROVERS must list the real approvers (a JSON list)")
        if problems:
            raise ValueError("production profile refused: " + "; ".join(problems) + ". Set real values and restart.")
        return self

    def secrets(self) -> dict[str, SecretStr | None]:
        """Every secret by its dotted name, for checks and masking."""
        found: dict[str, SecretStr | None] = {
            "hubspot.token": self.hubspot.token,
            "hubspot.client_secret": self.hubspot.client_secret,
            "dealbuilder.api_key": self.dealbuilder.api_key,
            "dealbuilder.webhook_key": self.dealbuilder.webhook_key,
        }
        if self.licence_mode == "http":
            found["licences.token"] = self.licences.token
        if self.mail.username:
            found["mail.password"] = self.mail.password
        if self.prefect.auth_string is not None:
            found["prefect.auth_string"] = self.prefect.auth_string
        return found

    @property
    def licence_mode(self) -> Literal["manual", "http"]:
        if self.licences.mode is not None:
            return self.licences.mode
        return "http" if self.profile == "local" else "manual"

    @property
    def hubspot_rate_budget(self) -> Literal["file", "prefect"] | None:
        """Where the shared HubSpot budget is kept; None: no shared budget."""
        if not self.hubspot.rate_limit_name:
            return None
        if self.hubspot.rate_budget is not None:
            return self.hubspot.rate_budget
        return "file" if self.profile == "local" else "prefect"

    @property
    def hubspot_budget_file(self) -> Path:
        return self.data_dir / f"{self.hubspot.rate_limit_name}.budget"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cases.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
