"""What every sandbox has from the kit: its state kept in a file survives a restart."""

from __future__ import annotations

from pathlib import Path

import httpx

from adapters.licence_api import F_LICENCES, F_REFERENCE, LICENCES_PATH
from sandbox.kit import SandboxServer
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
