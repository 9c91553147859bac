"""The data dir holds customers' names and figures, the logs and the Prefect password: private to its user (issue 22).
(`tests/e2e/test_up.py` checks the whole data dir of a running stack, the Prefect server's database included.)"""

from __future__ import annotations

import stat
from decimal import Decimal
from pathlib import Path

from config.private_files import make_private
from config.settings import Settings
from models.renegotiation import RenegotiationRequest
from reforhandling.prefect_auth import AUTH_FILE, auth_string
from store.case_store import CaseStore


def modes(root: Path) -> dict[str, int]:
    return {str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode) for path in [root, *root.rglob("*")]}


def test_the_case_store_and_the_prefect_password_are_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = CaseStore(f"sqlite:///{data / 'cases.db'}")
    request = RenegotiationRequest(
        ticket_id="5001",
        signer_email="signer@fjordkraft.example",
        licences=55,
        price_per_licence=Decimal("450"),
        agent_email="agent@avonova.example",
    )
    store.open_case(request, actor="test")
    auth_string(Settings(data_dir=data), create=True)

    found = modes(data)

    assert {"cases.db", "cases.db-wal", AUTH_FILE} <= set(found)
    assert found == {name: 0o700 if (data / name).is_dir() else 0o600 for name in found}


def test_an_older_data_dir_is_tightened_whole(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    (data / "logs" / "serve.log").write_text("case RF-5001 Fjordkraft Bygg AS")
    (data / "cases.db").write_bytes(b"")
    for path, mode in ((data, 0o755), (data / "logs", 0o755), (data / "logs" / "serve.log", 0o644)):
        path.chmod(mode)

    make_private(data)

    assert modes(data) == {".": 0o700, "logs": 0o700, "logs/serve.log": 0o600, "cases.db": 0o600}
