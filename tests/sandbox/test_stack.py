"""The whole sandbox stack: started on free ports, configured settings pointing at it, every system reachable."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from adapters.dealbuilder_contracts import DealbuilderContracts
from adapters.licence_admin import HttpLicenceAdmin
from adapters.smtp_mailer import SmtpMailer
from config.settings import Settings
from models.contract import ContractState
from models.mail import MailMessage
from sandbox.kit import free_port
from sandbox.stack import SandboxStack
from sandbox.world import CUSTOMERS
from tests.adapters.dealbuilder.conftest import current_agreement, make_draft
from tests.processes import stop_process

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack() -> Iterator[SandboxStack]:
    with SandboxStack.start(Settings(), free_ports=True) as running:
        yield running


def test_configured_settings_point_every_adapter_at_the_running_sandboxes(stack: SandboxStack) -> None:
    settings = stack.configure(Settings())
    customer = CUSTOMERS[0]

    assert settings.hubspot.base_url == stack.urls["hubspot"]
    assert settings.licence_mode == "http"
    assert Settings().hubspot.base_url == "http://127.0.0.1:8781"  # the original is left alone

    contracts = DealbuilderContracts(settings.dealbuilder, settings.routine)
    agreement = current_agreement(contracts, customer.org_number)
    draft = contracts.find_or_create_draft(draft=make_draft(agreement, today=stack.dealbuilder.today))
    sent = contracts.send(contract_id=draft.id, signing_deadline=stack.dealbuilder.today + timedelta(days=7))
    assert sent.signing_urls[0].startswith(stack.urls["signing"])
    stack.dealbuilder.sign(draft.id)
    assert contracts.read_status(contract_id=draft.id).state == ContractState.SIGNED

    licences = HttpLicenceAdmin(settings.licences)
    assert licences.set_licences(customer_id=customer.org_number, licences=55, case_key="case-5001") == 55

    SmtpMailer(settings.mail).send(
        message=MailMessage(message_id="<a@b>", to=("x@y.example",), subject="Hei", text="t", html="<p>t</p>")
    )
    assert [m["subject"] for m in httpx.get(stack.urls["smtp_messages"]).json()["messages"]] == ["Hei"]

    hubspot = httpx.get(
        f"{stack.urls['hubspot']}/crm/v3/objects/companies/{customer.company_id}",
        headers={"Authorization": f"Bearer {settings.hubspot.token.get_secret_value()}"},
    )
    assert hubspot.status_code == 200


def test_reset_returns_every_sandbox_to_the_seeded_world(stack: SandboxStack) -> None:
    stack.licences.state["customers"][CUSTOMERS[0].org_number]["licences"] = 1
    stack.dealbuilder.set_today(stack.dealbuilder.today + timedelta(days=3))

    stack.reset()

    assert stack.licences.licences(CUSTOMERS[0].org_number) == CUSTOMERS[0].licences
    assert Decimal(stack.dealbuilder.document(CUSTOMERS[0].contract_id)["products"][0]["unitPrice"]) == Decimal("450")


def test_state_survives_a_restart_with_a_state_dir(tmp_path: Path) -> None:
    with SandboxStack.start(Settings(), free_ports=True, state_dir=tmp_path) as first:
        settings = first.configure(Settings())
        HttpLicenceAdmin(settings.licences).set_licences(
            customer_id=CUSTOMERS[1].org_number, licences=62, case_key="case-5002"
        )

    with SandboxStack.start(Settings(), free_ports=True, state_dir=tmp_path) as second:
        assert second.licences.licences(CUSTOMERS[1].org_number) == 62


def test_sandbox_all_starts_every_sandbox_and_prints_their_addresses(tmp_path: Path) -> None:
    ports = {"HUBSPOT__BASE_URL": 0, "DEALBUILDER__BASE_URL": 0, "LICENCES__BASE_URL": 0, "MAIL__PORT": 0}
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT)}
    for name in ports:
        port = free_port()
        env[f"REFORHANDLING_{name}"] = str(port) if name == "MAIL__PORT" else f"http://127.0.0.1:{port}"
        ports[name] = port
    env["REFORHANDLING_MAIL__SANDBOX_HTTP_PORT"] = str(free_port())
    process = subprocess.Popen(
        [sys.executable, "-c", "from reforhandling.cli import app; app()", "sandbox", "all"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        while True:  # until it has printed everything or ended
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{ports['HUBSPOT__BASE_URL']}" in output
        assert f"http://127.0.0.1:{ports['DEALBUILDER__BASE_URL']}/sign/" in output
        assert f"http://127.0.0.1:{ports['LICENCES__BASE_URL']}" in output
        assert f"smtp://127.0.0.1:{ports['MAIL__PORT']}" in output
        assert f"127.0.0.1:{env['REFORHANDLING_MAIL__SANDBOX_HTTP_PORT']}/messages" in output
        assert httpx.get(f"http://127.0.0.1:{env['REFORHANDLING_MAIL__SANDBOX_HTTP_PORT']}/messages").status_code == 200
    finally:
        stop_process(process)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
