"""Phase 3's basis: the customer's current and sold agreements, and the refusal of a request that changes nothing."""

from __future__ import annotations

from typing import Any

from adapters.ports import ContractService
from config.settings import RoutineSettings
from models.agreement import AgreementBasis, agreement_basis
from models.crm import Company
from models.org_number import customer_org_number
from models.renegotiation import Terms, check_something_changes


def find_agreements(contracts: ContractService, routine: RoutineSettings, company: Company) -> AgreementBasis:
    """The customer's current and sold agreements, found by the company card's org number (9 digits, MOD11);
    raises InvalidOrgNumber or NoAgreement with what to fix."""
    org_number = customer_org_number(
        company.org_number,
        company=f"{company.name} (HubSpot company {company.id})",
        property_name=routine.org_number_property,
    )
    return agreement_basis(
        contracts.signed_agreements(org_number=org_number),
        org_number=org_number,
        template=routine.contract_template,
        sender=routine.contract_sender,
        customer=f"{company.name} (org {org_number})",
    )


def refuse_if_unchanged(basis: AgreementBasis, terms: Terms) -> None:
    """NothingToRenegotiate when the request asks for what the customer has already."""
    check_something_changes(
        licences_before=basis.current.licences,
        paid_before=basis.current.paid_per_licence,
        licences_after=terms.licences,
        price_after=terms.price_per_licence,
    )


def agreement_details(basis: AgreementBasis) -> dict[str, Any]:
    """What the case's log keeps of the agreements found."""
    return {
        "contract_id": basis.current.contract_id,
        "signed_on": basis.current.signed_on.isoformat(),
        "sold_contract_id": basis.sold.contract_id,
        "sold_signed_on": basis.sold.signed_on.isoformat(),
        "sold_is_fallback": basis.sold_is_fallback,
    }
