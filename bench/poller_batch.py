"""Benchmark: the poller's status read for N waiting contracts, batched (100 per request) against one by one.

Run: .venv/bin/python bench/poller_batch.py [N]. Prints requests and seconds for both, and their ratios, from one run
(the machine is small and noisy: compare the ratios, not the seconds)."""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal

from adapters.dealbuilder_contracts import DealbuilderContracts
from config.settings import DealbuilderSettings, RoutineSettings
from models.agreement import Agreement
from models.contract import ContractDraft, ContractLine, Signer
from sandbox.dealbuilder import DealbuilderSandbox
from sandbox.server import SandboxServer


def main(count: int) -> None:
    app = DealbuilderSandbox()
    with SandboxServer(app) as server:
        contracts = DealbuilderContracts(DealbuilderSettings(base_url=server.url), RoutineSettings())
        agreement = Agreement(
            contract_id="DB-ORIG-1001",
            licences=40,
            price_per_licence=Decimal("450"),
            signed_on=date(2025, 9, 1),
            customer_name="Fjordkraft Bygg AS",
            org_number="912345610",
        )
        ids = []
        for number in range(count):
            draft = ContractDraft(
                case_key=f"BENCH-{number}",
                template=RoutineSettings().contract_template,
                title="bench",
                agreement=agreement,
                signer=Signer(name="Kari Nordmann", email="kari@example.no", phone="+4791234567"),
                licences=55,
                price_per_licence=Decimal("450"),
                start_date=app.today,
                signing_deadline=app.today,
                sender="user non human",
                booker="kundesenter",
                lines=(ContractLine(name="Avonova Assist lisens", quantity=55, unit_price=Decimal("450")),),
            )
            ids.append(contracts.find_or_create_draft(draft=draft).id)
        app.log.clear()

        started = time.perf_counter()
        batched = {}
        for start in range(0, len(ids), 100):
            batched.update(contracts.read_statuses(contract_ids=ids[start : start + 100]))
        batched_seconds, batched_requests = time.perf_counter() - started, len(app.requests())
        app.log.clear()

        started = time.perf_counter()
        single = {contract_id: contracts.read_status(contract_id=contract_id) for contract_id in ids}
        single_seconds, single_requests = time.perf_counter() - started, len(app.requests())

    assert batched.keys() == single.keys() == set(ids)
    print(f"contracts: {count}")
    print(f"batched:    {batched_requests:>5} requests {batched_seconds:8.3f} s")
    print(f"one by one: {single_requests:>5} requests {single_seconds:8.3f} s")
    print(
        f"ratio one-by-one / batched: requests {single_requests / batched_requests:.0f}x, "
        f"time {single_seconds / batched_seconds:.1f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
