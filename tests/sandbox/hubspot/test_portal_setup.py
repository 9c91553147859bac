"""Pipelines, owners and properties through the SDK: the portal as the customer configured it."""

from __future__ import annotations

from config.settings import IntakeSettings, RoutineSettings
from tests.sandbox.hubspot.conftest import Running

ROUTINE = RoutineSettings()
INTAKE = IntakeSettings()


def test_the_deal_pipelines_include_assist_with_its_decision_stage(hs: Running) -> None:
    pipelines = {p.label: p for p in hs.sdk.crm.pipelines.pipelines_api.get_all("deals").results}

    assert set(pipelines) == {"Sales Pipeline", ROUTINE.deal_pipeline}
    assert ROUTINE.deal_stage in [s.label for s in pipelines[ROUTINE.deal_pipeline].stages]
    assert pipelines["Sales Pipeline"].id == "default"


def test_the_assist_pipeline_closes_in_a_won_and_a_lost_stage(hs: Running) -> None:
    [assist] = [p for p in hs.sdk.crm.pipelines.pipelines_api.get_all("deals").results if p.label == "Assist"]
    stages = {s.label: s.metadata for s in assist.stages}

    assert stages[ROUTINE.deal_stage_won] == {"isClosed": "true", "probability": "1.0"}
    assert stages[ROUTINE.deal_stage_lost] == {"isClosed": "true", "probability": "0.0"}
    assert stages[ROUTINE.deal_stage]["isClosed"] == "false"


def test_the_ticket_pipeline_has_the_routines_stages(hs: Running) -> None:
    pipelines = {p.label: p for p in hs.sdk.crm.pipelines.pipelines_api.get_all("tickets").results}
    kundesenter = pipelines[ROUTINE.ticket_pipeline]

    assert [s.label for s in kundesenter.stages] == [
        "Ny",
        "Under arbeid",
        INTAKE.ready_stage,
        INTAKE.needs_fixing_stage,
        ROUTINE.ticket_stage_sent,
        "Lukket",
    ]
    one = hs.sdk.crm.pipelines.pipelines_api.get_by_id("tickets", kundesenter.id)
    assert one.stages[-1].metadata == {"ticketState": "CLOSED"}


def test_owners_can_be_filtered_by_email_and_paged(hs: Running) -> None:
    api = hs.sdk.crm.owners.owners_api
    agent = api.get_page(email="agent@avonova.example").results
    first = api.get_page(limit=2)
    second = api.get_page(limit=2, after=first.paging.next.after)

    assert [(o.id, o.first_name) for o in agent] == [("7001", "Ola")]
    assert [o.id for o in first.results + second.results] == ["7001", "7002", "7003", "7004"]
    assert api.get_by_id("7004").email == "csc@avonova.example"


def test_the_deal_properties_carry_the_routines_options(hs: Running) -> None:
    api = hs.sdk.crm.properties.core_api
    deal_type = api.get_by_name("deals", ROUTINE.deal_type_property)
    booker = api.get_by_name("deals", ROUTINE.meeting_booker_property)
    case_key = api.get_by_name("deals", ROUTINE.case_key_property)
    delivery = api.get_by_name("deals", ROUTINE.delivery_start_property)

    assert ROUTINE.deal_type in [o.label for o in deal_type.options]
    assert ("7001", "Ola Kundeservice") in [(o.value, o.label) for o in booker.options]
    assert case_key.has_unique_value and case_key.type == "string"
    assert delivery.type == "date"


def test_the_company_properties_include_nedjustering_and_the_org_number(hs: Running) -> None:
    names = {p.name: p for p in hs.sdk.crm.properties.core_api.get_all("companies").results}

    assert names[ROUTINE.downward_property].type == "number"
    assert ROUTINE.org_number_property in names


def test_the_ticket_properties_show_a_case_with_norwegian_labels_and_refuse_an_unknown_status(hs: Running) -> None:
    api = hs.sdk.crm.properties.core_api
    status = api.get_by_name("tickets", ROUTINE.ticket_status_property)
    link = api.get_by_name("tickets", ROUTINE.ticket_link_property)

    assert (status.label, status.type, status.field_type) == ("Reforhandlingsstatus", "enumeration", "select")
    assert [(o.value, o.label) for o in status.options][:2] == [
        ("Startet", "Startet"),
        ("Venter på godkjenning", "Venter på godkjenning"),
    ]
    assert [o.label for o in status.options][-1] == "Trenger oppfølging"
    assert (link.label, link.type, status.hubspot_defined) == ("Reforhandling i Prefect", "string", False)
    refused = hs.http("PATCH", "/crm/v3/objects/tickets/5001", body={"properties": {status.name: "Ferdig"}})
    assert refused.status_code == 400 and "INVALID_OPTION" in refused.text


def test_the_seeded_tickets_are_not_yet_enriched_except_the_one_from_email(hs: Running) -> None:
    tickets = [f"500{n}" for n in range(1, 10)]
    linked = {
        t: hs.app.associations("tickets", t, "contacts") + hs.app.associations("tickets", t, "companies")
        for t in tickets
    }

    assert linked == {t: ["3005"] if t == "5005" else [] for t in tickets}
    assert hs.app.associations("contacts", "3002", "companies") == ["9002"]


def test_the_ticket_carries_the_renegotiation_properties_with_norwegian_labels(hs: Running) -> None:
    api = hs.sdk.crm.properties.core_api
    found = {name: api.get_by_name("tickets", name) for name in INTAKE.properties}

    assert {name: (p.type, p.label) for name, p in found.items()} == {
        INTAKE.licences_property: ("number", "Nytt antall lisenser"),
        INTAKE.price_property: ("number", "Ny pris per lisens (NOK)"),
        INTAKE.start_date_property: ("date", "Avtalt oppstartsdato"),
        INTAKE.signer_property: ("string", "Signatar (e-post)"),
        INTAKE.signer_name_property: ("string", "Signatarens navn (ny kontakt)"),
    }
    assert {p.group_name for p in found.values()} == {"reforhandling"}
