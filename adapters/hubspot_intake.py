"""HubSpotTicketIntake: the TicketIntake port on HubSpot: the tickets standing at the ready stage (one search), and one
ticket with its renegotiation properties, its owner and when it entered its stage (one read)."""

from __future__ import annotations

import time
from collections.abc import Callable

from hubspot import HubSpot
from hubspot.crm.tickets import Filter, FilterGroup, PublicObjectSearchRequest

from adapters.hubspot_labels import portal_labels
from adapters.hubspot_records import TICKET_ASSOCIATIONS, TICKET_PROPERTIES, ticket_from_record
from adapters.hubspot_transport import HubSpotTransport, sdk_crm
from adapters.ports import PortalCache, RateBudget
from adapters.rate_budget import Unlimited
from config.settings import HubSpotSettings, IntakeSettings, RoutineSettings
from models.intake import IntakeTicket

STAGE = "hs_pipeline_stage"
# One search answers at most this many tickets; more wait for the next run (a minute later).
SEARCH_LIMIT = 100


class HubSpotTicketIntake:
    """Reads for the intake, through the same transport, rate budget and portal cache as HubSpotCrm."""

    def __init__(
        self,
        settings: HubSpotSettings,
        routine: RoutineSettings,
        intake: IntakeSettings,
        *,
        cache: PortalCache | None = None,
        budget: RateBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._routine = routine
        self._intake = intake
        self._transport = HubSpotTransport(settings, budget=budget or Unlimited(), sleep=sleep)
        crm = sdk_crm(settings)
        self._tickets = crm.tickets.basic_api
        self._search = crm.tickets.search_api
        self._labels = portal_labels(crm, self._transport, settings, cache)

    @property
    def calls(self) -> int:
        """HTTP requests made so far, retries included."""
        return self._transport.calls

    def ready_stage_id(self) -> str:
        pipeline = self._labels.pipeline("tickets", self._routine.ticket_pipeline)
        return self._labels.stage_id(pipeline, self._intake.ready_stage, "tickets")

    def ready_tickets(self) -> list[str]:
        """Ids of the tickets at the ready stage of the routine's pipeline, oldest move first (one search)."""
        stage_id = self.ready_stage_id()
        search = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[Filter(property_name=STAGE, operator="EQ", value=stage_id)])],
            properties=[STAGE],
            sorts=["hs_lastmodifieddate"],
            limit=SEARCH_LIMIT,
        )
        found = self._transport.call(self._search.do_search, search, object_type="ticket")
        return [str(record.id) for record in found.results or []]

    def read_ticket(self, *, ticket_id: str) -> IntakeTicket:
        """The ticket's stage and since when, its owner's e-mail and the renegotiation properties, and the ticket as
        the CRM reads it (one read)."""
        record = self._transport.call(
            self._tickets.get_by_id,
            ticket_id,
            object_type="ticket",
            properties=[*TICKET_PROPERTIES, *self._intake.properties],
            properties_with_history=[STAGE],
            associations=list(TICKET_ASSOCIATIONS),
        )
        values = record.properties or {}
        history = (record.properties_with_history or {}).get(STAGE) or []
        # Newest first, as HubSpot lists a property's history: the first entry is the move to the current stage.
        entered = history[0].timestamp if history else None
        owner_id = values.get("hubspot_owner_id") or None
        return IntakeTicket(
            id=str(record.id),
            pipeline=self._labels.pipeline_label("tickets", values.get("hs_pipeline")),
            stage=self._labels.stage_label("tickets", values.get("hs_pipeline"), values.get(STAGE)),
            entered_stage_at=entered.isoformat() if entered is not None else "",
            owner_email=self._labels.owner_email(owner_id) if owner_id else None,
            values={name: values.get(name) for name in self._intake.properties},
            ticket=ticket_from_record(record, self._labels, self._settings),
        )


def subscribe_to_stage_changes(settings: HubSpotSettings, *, url: str) -> None:
    """Point the app's webhooks at `url` and subscribe it to tickets' stage changes, once (Webhooks API v3 with the
    developer key; the local stack's sandbox: a private app's subscriptions are set in its settings in HubSpot)."""
    from hubspot.webhooks import SettingsChangeRequest, SubscriptionCreateRequest

    client = HubSpot(api_key=settings.developer_api_key.get_secret_value(), host=settings.base_url.rstrip("/"))
    webhooks = client.webhooks
    timeout = (settings.connect_timeout, settings.read_timeout)
    webhooks.settings_api.configure(settings.app_id, SettingsChangeRequest(target_url=url), _request_timeout=timeout)
    existing = webhooks.subscriptions_api.get_all(settings.app_id, _request_timeout=timeout).results or []
    wanted = ("ticket.propertyChange", STAGE)
    if not any((s.event_type, s.property_name) == wanted and s.active for s in existing):
        webhooks.subscriptions_api.create(
            settings.app_id,
            SubscriptionCreateRequest(event_type=wanted[0], property_name=STAGE, active=True),
            _request_timeout=timeout,
        )
