"""The start form in the Prefect UI (deployment `start-renegotiation`, Run -> Custom run): the fields of
`reforhandling start`, with Norwegian titles, checked and started by the same code."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from pydantic import Field, ValidationError

from models.renegotiation import RenegotiationRequest, describe_errors, request_limits
from reforhandling.starting import preflight, request_from_options, run_url, start_case
from tasks.runtime import get_runtime, local_date

NOTHING_STARTED = "Nothing was started; fix these and run again:"


def _field(title: str, description: str, default: Any = ...) -> Any:
    # Prefect titles a parameter by its name; a title in json_schema_extra is what the form shows instead.
    return Field(default, description=description, json_schema_extra={"title": title})


class StartRefused(ValueError):
    """The form's values were refused, with every problem `reforhandling start` names; nothing was written."""


@flow(name="start-renegotiation")
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
    rt = get_runtime()
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
        request = RenegotiationRequest.parse(options, today=local_date(), limits=request_limits(rt.settings.routine))
    except ValidationError as error:
        raise StartRefused(f"{NOTHING_STARTED}\n{describe_errors(error)}") from None
    if problems := preflight(request, runtime=rt):
        raise StartRefused(f"{NOTHING_STARTED}\n" + "\n".join(problems))
    with get_client(sync_client=True) as client:
        case = start_case(request, settings=rt.settings, store=rt.store, client=client, actor=request.agent_email)
    assert case.flow_run_id is not None
    get_run_logger().info("Case %s started: %s", case.case_key, run_url(rt.settings, case.flow_run_id))
    return case.case_key
