"""The start form in the Prefect UI (deployment `start-renegotiation`, Run -> Custom run): the fields of
`reforhandling start`, with Norwegian titles, checked and started by the same code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from prefect import Flow, flow, get_run_logger
from prefect.client.orchestration import get_client
from pydantic import Field, ValidationError

from bootstrap.runtime import Runtime, runtime_from_settings
from models.renegotiation import RenegotiationRequest, describe_errors, request_limits
from reforhandling.starting import preflight, request_from_options, run_url, start_case

NOTHING_STARTED = "Nothing was started; fix these and run again:"


def _field(title: str, description: str, default: Any = ...) -> Any:
    # Prefect titles a parameter by its name; a title in json_schema_extra is what the form shows instead.
    return Field(default, description=description, json_schema_extra={"title": title})


class StartRefused(ValueError):
    """The form's values were refused, with every problem `reforhandling start` names; nothing was written."""


def start_form_flow(make_runtime: Callable[[], Runtime]) -> Flow[..., str]:
    """The `start-renegotiation` flow on the runtime `make_runtime` builds (once per process)."""
    runtime_once = cache(make_runtime)

    def start_renegotiation(
        ticket_id: str = _field("Ticket-ID", "HubSpot-ticketen saken starter fra: tallet i ticketens adresse."),
        signer_email: str = _field("Signatarens e-post", "E-postadressen til kundens kontakt med signaturrett."),
        licences: int = _field("Nytt antall lisenser", "Antall lisenser i den nye avtalen, minst 1."),
        price_per_licence: float = _field(
            "Ny pris per lisens (kr)", "Pris per lisens i NOK, med høyst to desimaler, f.eks. 450 eller 449.50."
        ),
        agent_email: str = _field("Din e-post", "Du blir eier av dealen og møtebooker."),
        start_date: date | None = _field("Avtalt oppstartsdato", "Valgfri. Tom: datoen kontrakten sendes.", None),
        signer_name: str | None = _field(
            "Signatarens navn",
            "Valgfri. Bare når signataren ikke er kontakt i HubSpot ennå: kontakten opprettes med dette navnet.",
            None,
        ),
    ) -> str:
        """Check the form's values as `reforhandling start` does, then open the case and start its run."""
        rt = runtime_once()
        options = request_from_options(
            ticket_id=ticket_id,
            signer_email=signer_email,
            licences=licences,
            # As typed: a price with three decimals is refused, not rounded.
            price_per_licence=str(price_per_licence),
            agent_email=agent_email,
            start_date=start_date,
            signer_name=signer_name,
        )
        try:
            request = RenegotiationRequest.parse(options, today=rt.today(), limits=request_limits(rt.settings.routine))
        except ValidationError as error:
            raise StartRefused(f"{NOTHING_STARTED}\n{describe_errors(error)}") from None
        if problems := preflight(request, runtime=rt):
            raise StartRefused(f"{NOTHING_STARTED}\n" + "\n".join(problems))
        with get_client(sync_client=True) as client:
            case = start_case(request, settings=rt.settings, store=rt.store, client=client, actor=request.agent_email)
        assert case.flow_run_id is not None
        get_run_logger().info("Case %s started: %s", case.case_key, run_url(rt.settings, case.flow_run_id))
        return case.case_key

    start_renegotiation.__qualname__ = "start_renegotiation"
    return flow(name="start-renegotiation")(start_renegotiation)


start_renegotiation = start_form_flow(runtime_from_settings)
