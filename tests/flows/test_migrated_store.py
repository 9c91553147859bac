from __future__ import annotations

from adapters import dealbuilder_api as api
from models.case import CaseState
from sandbox import records
from store.database import current_revision, head_revision
from tests.flows.conftest import CaseDriver
from tests.old_case_store import OLD_CASE_KEY, create_old_case_store


def test_a_case_store_made_before_migrations_is_upgraded_on_start_and_runs_a_case_to_approval(
    driver: CaseDriver,
) -> None:
    # The runtime builds its store on first use: the old tables are there before it starts (SQLite, or PostgreSQL
    # with --postgres).
    url = driver.runtime.settings.effective_database_url
    create_old_case_store(url)
    email = "ny.signatar@fjordkraftbygg.example"

    case = driver.start(ticket="5001", signer=email, licences=45, price="450", signer_name="Nora Ny", company_id="9001")

    assert current_revision(url) == head_revision()
    assert case.state == CaseState.AWAITING_APPROVAL
    # The new contact is named from the case's signer_name column, which the upgrade added.
    [draft] = records.documents(driver.sandboxes, case.case_key)
    assert (draft[api.D_SIGNATORIES][0][api.S_NAME], draft[api.D_SIGNATORIES][0][api.S_EMAIL]) == ("Nora Ny", email)
    assert driver.case(OLD_CASE_KEY).state == CaseState.STARTED
