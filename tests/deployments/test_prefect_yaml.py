"""deployments/prefect.yaml, deployed with Prefect's own CLI to a server, declares what production runs."""

from __future__ import annotations

import os
from datetime import timedelta

from prefect.client.orchestration import get_client

from config.settings import PROJECT_ROOT, IntakeSettings, PrefectSettings, RoutineSettings
from deployments import definitions
from tests.conftest import prefect_cli

# The scheduled deployments: one run at a time, and a run due while one runs is dropped (not queued).
ONE_AT_A_TIME = {"limit": 1, "collision_strategy": "CANCEL_NEW"}


def prefect_cli_on(api_url: str, *args: str) -> None:
    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "REFORHANDLING_CHECKOUT": str(PROJECT_ROOT),
        "REFORHANDLING_RESULT_STORAGE_BLOCK": "local-file-system/reforhandling-results",
    }
    prefect_cli(env, *args)


def test_prefect_deploy_creates_both_deployments_on_the_process_pool_with_the_poller_on_its_schedule(
    prefect_api: str,
) -> None:
    prefect_cli_on(prefect_api, "work-pool", "create", "reforhandling-process", "--type", "process")

    prefect_cli_on(prefect_api, "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")

    with get_client(sync_client=True) as client:
        flow = client.read_deployment_by_name("renegotiate-agreement/renegotiate-agreement")
        poller = client.read_deployment_by_name("poll-signatures/poll-signatures")
    assert (flow.entrypoint, flow.work_pool_name) == (
        "flows/renegotiation.py:renegotiate_agreement",
        "reforhandling-process",
    )
    assert flow.schedules == []
    assert (poller.entrypoint, poller.work_queue_name) == ("flows/poll_signatures.py:poll_signatures", "poller")
    [schedule] = poller.schedules
    assert schedule.schedule.interval.total_seconds() == 300  # type: ignore[union-attr]
    assert poller.global_concurrency_limit is not None and poller.global_concurrency_limit.limit == 1
    # A poll due while one runs is dropped: queued ones would pile up (every poll interval) and starve the cases.
    assert poller.concurrency_options is not None and poller.concurrency_options.collision_strategy == "CANCEL_NEW"
    env = flow.job_variables["env"]
    assert env["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"
    assert env["PREFECT_DEFAULT_RESULT_STORAGE_BLOCK"] == "local-file-system/reforhandling-results"


def test_the_local_stack_serves_what_prefect_yaml_declares() -> None:
    served = {deployment.name: deployment for deployment in definitions.served(timedelta(seconds=7))}

    assert sorted(served) == sorted(declaration["name"] for declaration in definitions.declared())
    poller = served["poll-signatures"]
    assert poller.entrypoint == "flows/poll_signatures.py:poll_signatures"
    assert [schedule.schedule.interval for schedule in poller.schedules] == [timedelta(seconds=7)]  # type: ignore[union-attr]
    assert served["renegotiate-agreement"].schedules == []


def test_the_local_stack_serves_reconcile_daily_on_the_cron_setting_in_the_routines_time_zone() -> None:
    served = {deployment.name: deployment for deployment in definitions.served(timedelta(seconds=7), cron="30 5 * * *")}

    reconcile = served["reconcile"]
    assert reconcile.entrypoint == "flows/reconcile.py:reconcile"
    [schedule] = [entry.schedule for entry in reconcile.schedules or []]
    assert (schedule.cron, schedule.timezone) == ("30 5 * * *", "Europe/Oslo")  # type: ignore[union-attr]
    assert reconcile.concurrency_limit == 1
    assert reconcile.concurrency_options is not None
    assert reconcile.concurrency_options.collision_strategy == "CANCEL_NEW"


def test_prefect_yaml_declares_reconcile_daily_by_default_as_the_setting_does() -> None:
    [declaration] = [entry for entry in definitions.declared() if entry["name"] == "reconcile"]

    assert declaration["entrypoint"] == "flows/reconcile.py:reconcile"
    assert declaration["concurrency_limit"] == ONE_AT_A_TIME
    assert declaration["schedules"] == [{"cron": PrefectSettings().reconcile_cron, "timezone": "Europe/Oslo"}]
    assert RoutineSettings().timezone == "Europe/Oslo"


def test_the_start_form_asks_for_the_start_commands_fields_typed_and_in_norwegian() -> None:
    served = {deployment.name: deployment for deployment in definitions.served(timedelta(seconds=7))}
    form = served["start-renegotiation"]
    schema = form._parameter_openapi_schema.model_dump()  # what Run -> Custom run renders

    assert form.entrypoint == "reforhandling/start_form.py:start_renegotiation"
    fields = schema["properties"]
    assert [(name, fields[name]["title"]) for name in sorted(fields, key=lambda n: fields[n]["position"])] == [
        ("ticket_id", "Ticket-ID"),
        ("signer_email", "Signatarens e-post"),
        ("licences", "Nytt antall lisenser"),
        ("price_per_licence", "Ny pris per lisens (kr)"),
        ("agent_email", "Din e-post"),
        ("start_date", "Avtalt oppstartsdato"),
        ("signer_name", "Signatarens navn"),
    ]
    assert [fields[name].get("type") for name in ("ticket_id", "licences", "price_per_licence")] == [
        "string",
        "integer",
        "number",
    ]
    assert {"format": "date", "type": "string"} in fields["start_date"]["anyOf"]
    assert sorted(schema["required"]) == ["agent_email", "licences", "price_per_licence", "signer_email", "ticket_id"]
    assert all(fields[name]["description"] for name in fields)
    assert "Valgfri" in fields["signer_name"]["description"]


def test_the_intake_is_declared_every_minute_one_at_a_time_and_served_on_its_own_interval() -> None:
    [declared] = [d for d in definitions.declared() if d["name"] == "intake"]
    assert (declared["entrypoint"], declared["concurrency_limit"]) == ("reforhandling/intake.py:intake", ONE_AT_A_TIME)
    assert declared["schedules"] == [{"interval": IntakeSettings().interval_seconds}]

    served = {d.name: d for d in definitions.served(timedelta(seconds=7), intervals={"intake": timedelta(seconds=3)})}

    assert [s.schedule.interval for s in served["intake"].schedules] == [timedelta(seconds=3)]  # type: ignore[union-attr]
    assert [s.schedule.interval for s in served["poll-signatures"].schedules] == [timedelta(seconds=7)]  # type: ignore[union-attr]
