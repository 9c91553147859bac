"""What every sandbox has from the kit: its state kept in a file survives a restart; its control routes refuse
cross-site requests."""

from __future__ import annotations

from pathlib import Path

import httpx

from adapters.licence_api import F_LICENCES, F_REFERENCE, LICENCES_PATH
from sandbox.kit import CONTROL_HEADERS, SandboxServer
from sandbox.licences import LicenceSandbox

BEARER = {"Authorization": "Bearer sandbox-token"}


def test_a_sandboxs_state_in_a_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "licences.sqlite"
    with SandboxServer(LicenceSandbox(state_file=state)) as server:
        written = httpx.put(
            server.url + LICENCES_PATH.format(customer_id="912345610"),
            headers=BEARER,
            json={F_LICENCES: 77, F_REFERENCE: "RF-1"},
            timeout=10,
        )
        assert written.status_code == 200, written.text

    restarted = LicenceSandbox(state_file=state)

    assert restarted.licences("912345610") == 77
    assert [change["after"] for change in restarted.changes()] == [77]


def test_control_routes_refuse_a_cross_site_request_without_the_control_header() -> None:
    app = LicenceSandbox()
    with SandboxServer(app) as server:
        licences = server.url + LICENCES_PATH.format(customer_id="912345610")
        httpx.put(licences, headers=BEARER, json={F_LICENCES: 77, F_REFERENCE: "RF-1"}, timeout=10).raise_for_status()
        # What any page open in the operator's browser can send to 127.0.0.1 without a CORS preflight.
        cross_site = {"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}
        faults = '{"rules": [{"kind": "error", "status": 500}]}'
        refused = [
            httpx.post(f"{server.url}/_sandbox/reset", headers=cross_site, content="x=1", timeout=10),
            httpx.post(f"{server.url}/_sandbox/faults", headers=cross_site, content=faults, timeout=10),
        ]
        preflight = httpx.options(
            f"{server.url}/_sandbox/reset",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Headers": "x-sandbox-control"},
            timeout=10,
        )

        assert [answer.status_code for answer in refused] == [403, 403]
        assert "access-control-allow-headers" not in preflight.headers
        assert "access-control-allow-origin" not in preflight.headers
        assert app.licences("912345610") == 77
        assert httpx.get(licences, headers=BEARER, timeout=10).status_code == 200  # no fault was set

        httpx.post(f"{server.url}/_sandbox/reset", headers=CONTROL_HEADERS, timeout=10).raise_for_status()
        assert app.licences("912345610") != 77
