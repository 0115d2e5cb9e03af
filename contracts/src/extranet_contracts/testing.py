"""Builders of test events, shared by every package's tests: a valid event of each type with
plausible French data, where a test names only what it is about (`member_affiliated(email=None)`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from extranet_contracts.legacy import (
    BrokerPortfolioCompanyAssigned,
    BrokerPortfolioCompanyWithdrawn,
    BrokerRegistered,
    CollectiveContractSigned,
    CompanyRegistered,
    ContributionPaid,
    ContributionPayerRecorded,
    ContributionScheduled,
    GuaranteeAttached,
    MemberAffiliated,
    MemberRadiated,
)

ADDRESS = {"line1": "12 route de Paris", "postal_code": "38040", "city": "Grenoble"}
PRIMARY = {"civility": "MME", "last_name": "Durand", "first_name": "Léa", "birth_date": "1985-05-12", "nir": "285057800608441"}
CHILD = {
    "role": "ENFANT",
    "civility": "M",
    "last_name": "Durand",
    "first_name": "Hugo",
    "birth_date": "2015-03-02",
    "nir": "115037800608494",
}


def broker_registered(**overrides: Any) -> BrokerRegistered:
    values = {
        "broker_code": "M12345",
        "name": "Cabinet Martin Courtage",
        "orias_number": "07012345",
        "contact_last_name": "Martin",
        "contact_first_name": "Claire",
        "email": "claire.martin@cabinet-martin.fr",
        "address": ADDRESS,
        "revision": 1,
    }
    return BrokerRegistered(**{**values, **overrides})


def company_assigned(**overrides: Any) -> BrokerPortfolioCompanyAssigned:
    values = {"broker_code": "M12345", "company_code": "12345678", "assigned_on": date(2026, 1, 1)}
    return BrokerPortfolioCompanyAssigned(**{**values, **overrides})


def company_withdrawn(**overrides: Any) -> BrokerPortfolioCompanyWithdrawn:
    values = {"broker_code": "M12345", "company_code": "12345678", "withdrawn_on": date(2026, 6, 30)}
    return BrokerPortfolioCompanyWithdrawn(**{**values, **overrides})


def company_registered(**overrides: Any) -> CompanyRegistered:
    values = {
        "company_code": "12345678",
        "legal_name": "BTP Rhône Construction SAS",
        "siret": "73282932000074",
        "address": ADDRESS,
        "membership_date": date(2021, 9, 18),
        "revision": 1,
    }
    return CompanyRegistered(**{**values, **overrides})


def contract_signed(**overrides: Any) -> CollectiveContractSigned:
    values = {
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "product": "SANTE",
        "category": "NON CADRES",
        "effective_date": date(2021, 10, 1),
        "insured_groups": ["A"],
        "revision": 1,
    }
    return CollectiveContractSigned(**{**values, **overrides})


def guarantee_attached(**overrides: Any) -> GuaranteeAttached:
    values = {
        "contract_number": "W1-000123",
        "guarantee_code": "SANTE-B2",
        "name": "Santé base niveau 2",
        "start_date": date(2021, 10, 1),
        "revision": 1,
    }
    return GuaranteeAttached(**{**values, **overrides})


def member_affiliated(**overrides: Any) -> MemberAffiliated:
    values = {
        "membership_id": "ADH-0000042",
        "member_number": "73000042",
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "primary": PRIMARY,
        "dependants": [CHILD],
        "email": "lea.durand@orange.fr",
        "mobile_phone": "06 12 34 56 78",
        "address": ADDRESS,
        "effective_date": date(2026, 1, 1),
        "recorded_on": date(2026, 1, 5),
        "revision": 1,
    }
    return MemberAffiliated(**{**values, **overrides})


def colleague_affiliated(**overrides: Any) -> MemberAffiliated:
    """Léa's colleague on the same contract, in insured group P (Portabilité), alone: Jean Le Gall, 73000043."""
    values: dict[str, Any] = {
        "membership_id": "ADH-0000043",
        "member_number": "73000043",
        "insured_group": "P",
        "primary": {"civility": "M", "last_name": "Le Gall", "first_name": "Jean", "birth_date": "1985-12-01", "nir": "185127800608409"},
        "dependants": [],
    }
    return member_affiliated(**{**values, **overrides})


def member_radiated(**overrides: Any) -> MemberRadiated:
    values = {
        "membership_id": "ADH-0000042",
        "member_number": "73000042",
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "effective_date": date(2026, 10, 31),
        "reason": "DEMISSION",
        "recorded_on": date(2026, 11, 3),
        "revision": 2,
    }
    return MemberRadiated(**{**values, **overrides})


def contribution_payer_recorded(**overrides: Any) -> ContributionPayerRecorded:
    values = {
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "insured_group": "A",
        "payer_id": "PAY-000123-A",
        "share": "EMPLOYEUR",
        "frequency": "MENSUELLE",
        "payment_mode": "CHEQUE",
        "revision": 1,
    }
    return ContributionPayerRecorded(**{**values, **overrides})


def contribution_scheduled(**overrides: Any) -> ContributionScheduled:
    values = {
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "insured_group": "A",
        "schedule_id": "ECH-000123-2601",
        "payer_id": "PAY-000123-A",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 1, 31),
        "due_date": date(2026, 1, 10),
        "amount_due": "1250.40",
        "amount_paid": "1250.40",
        "revision": 1,
    }
    return ContributionScheduled(**{**values, **overrides})


def contribution_paid(**overrides: Any) -> ContributionPaid:
    values = {
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "insured_group": "A",
        "payment_id": "REG-000123-2601",
        "schedule_id": "ECH-000123-2601",
        "paid_on": date(2026, 1, 8),
        "amount": "1250.40",
        "payment_mode": "CHEQUE",
        "revision": 1,
    }
    return ContributionPaid(**{**values, **overrides})


def company_document_issued(**overrides: Any):
    """The benefits table of contract W1-000123 of company 12345678, deposited under a storage key (legacy.companies)."""
    import uuid

    from extranet_contracts.legacy import CompanyDocumentIssued

    values = {
        "document_id": uuid.UUID("0d6a1e52-3b7c-4f2e-9a10-5c4b3a2d1e0f"),
        "company_code": "12345678",
        "contract_number": "W1-000123",
        "kind": "BENEFITS_TABLE",
        "name": "TABLEAU_DE_PRESTATIONS_W1-000123.pdf",
        "media_type": "application/pdf",
        "size": 1024,
        "sha256": "0" * 64,
        "storage_key": uuid.UUID("6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"),
        "issued_on": date(2026, 1, 2),
        "revision": 1,
    }
    return CompanyDocumentIssued(**{**values, **overrides})


def broker_address_change_requested(**overrides: Any):
    """A broker's address change with its Kbis reference (portal.requests)."""
    import uuid

    from extranet_contracts.requests import BrokerAddressChangeRequested

    values = {
        "request_id": uuid.UUID("5f0c2a34-8d1e-4f6b-9a7c-2e3d4b5a6c7d"),
        "broker_code": "M12345",
        "address": {"line1": "8 place Bellecour", "line2": "Bâtiment B", "postal_code": "69002", "city": "Lyon"},
        "effective_date": date(2026, 9, 1),
        "kbis": {
            "file_id": uuid.UUID("0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"),
            "media_type": "application/pdf",
            "size": 48213,
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        },
    }
    return BrokerAddressChangeRequested(**{**values, **overrides})


def reimbursement_paid(**overrides: Any):
    """A payment to the member (Léa Durand's household, as `member_affiliated`): a consultation of Léa's
    in the coordinated care pathway (30 € at 70 % less the 2 € flat-rate contribution, 30 % by the mutuelle)
    and a pharmacy act of her son Hugo's."""
    from extranet_contracts.claims import ReimbursementPaid

    values = {
        "reference": "35507436",
        "member_number": "73000042",
        "received_on": date(2026, 9, 21),
        "paid_on": date(2026, 9, 17),
        "amount": "15.60",
        "payee": "ASSURE",
        "masked_iban": "FR76 **** **** **** **** ***1 189",
        "acts": [
            {
                "beneficiary": {"role": "ASSURE", "last_name": "Durand", "first_name": "Léa", "birth_date": "1985-05-12"},
                "nature": "Consultation médecin généraliste",
                "act_date": date(2026, 9, 8),
                "expense": "30.00",
                "mandatory_base": "30.00",
                "mandatory_rate": "70.00",
                "mandatory_amount": "19.00",
                "mandatory_deductible": "2.00",
                "mutuelle_base": "30.00",
                "mutuelle_rate": "30.00",
                "mutuelle_amount": "9.00",
                "care_pathway": "COORDONNE",
                "guarantee_code": "SANTE-SOCLE",
                "guarantee_name": "SANTE SOCLE",
            },
            {
                "beneficiary": {"role": "ENFANT", "last_name": "Durand", "first_name": "Hugo", "birth_date": "2015-03-02"},
                "nature": "Pharmacie remboursée à 65 %",
                "act_date": date(2026, 9, 10),
                "quantity": "2",
                "expense": "18.86",
                "mandatory_base": "18.86",
                "mandatory_rate": "65.00",
                "mandatory_amount": "12.26",
                "mutuelle_base": "18.86",
                "mutuelle_rate": "35.00",
                "mutuelle_amount": "6.60",
                "guarantee_code": "SANTE-SOCLE",
                "guarantee_name": "SANTE SOCLE",
            },
        ],
        "revision": 1,
    }
    return ReimbursementPaid(**{**values, **overrides})


def employee_termination_requested(**overrides: Any):
    """A correspondent of company 12345678 asks to terminate Léa Durand's membership (`member_affiliated`) (portal.requests)."""
    import uuid

    from extranet_contracts.requests import EmployeeTerminationRequested

    values = {
        "request_id": uuid.UUID("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
        "requested_by": {"portal": "employer", "account": "c0ffee00-0000-4000-8000-000000000001", "reference": "12345678"},
        "company_code": "12345678",
        "contract_number": "W1-000123",
        "membership_id": "ADH-0000042",
        "member_number": "73000042",
        "effective_date": date(2026, 12, 31),
        "reason": "DEMISSION",
    }
    return EmployeeTerminationRequested(**{**values, **overrides})


def request_decided(outcome: str, request_id: Any, **overrides: Any):
    """A decision of the legacy system on a request (legacy.decisions): `accepted`, `refused` or `advisor`."""
    from datetime import UTC, datetime

    from extranet_contracts.decisions import RequestAccepted, RequestReferredToAdvisor, RequestRefused

    model = {"accepted": RequestAccepted, "refused": RequestRefused, "advisor": RequestReferredToAdvisor}[outcome]
    values: dict[str, Any] = {"request_id": request_id, "decided_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC)}
    if outcome == "refused":
        values["reason"] = "Le salarié est déjà radié à cette date."
    return model(**{**values, **overrides})


def member_contract_recorded(**overrides: Any):
    """Léa Durand's collective health contract through company 12345678 (`member_affiliated`): the base
    guarantee replaced on 1 January 2026, contributions taken from her salary, net of the employer's share."""
    from extranet_contracts.households import MemberContractRecorded

    values = {
        "member_number": "73000042",
        "contract_number": "W1-000123",
        "kind": "COLLECTIF",
        "company_code": "12345678",
        "company_name": "BTP Isère Construction SARL",
        "subscription_date": date(2024, 1, 1),
        "guarantees": [
            {"guarantee_code": "SANTE-SOCLE", "name": "SANTE SOCLE", "start_date": date(2024, 1, 1), "end_date": date(2025, 12, 31)},
            {
                "guarantee_code": "SANTE-SOCLE-2026",
                "name": "SANTE SOCLE 2026",
                "start_date": date(2026, 1, 1),
                "brochure_url": "https://www.mutuelle-mbtp.com/plaquettes/sante-socle-2026.pdf",
                "benefits": [
                    {"category": "Soins courants", "label": "Consultation médecin généraliste", "level": "100 % BR"},
                    {"category": "Optique", "label": "Équipement à tarif libre", "level": "200 € par an"},
                ],
            },
        ],
        "contribution": {
            "payment_mode": "PRELEVEMENT_SALAIRE",
            "frequency": "MENSUELLE",
            "employer_share": True,
            "last_payment": {"paid_on": date(2026, 10, 31), "amount": "38.50"},
        },
        "revision": 1,
    }
    return MemberContractRecorded(**{**values, **overrides})


def household_beneficiaries_recorded(**overrides: Any):
    """Léa Durand and her son Hugo (`member_affiliated`), their details and Léa's IBAN for benefits."""
    from extranet_contracts.households import HouseholdBeneficiariesRecorded

    primary = {
        **PRIMARY,
        "role": "ASSURE",
        "home_address": ADDRESS,
        "mobile_phone": "06 12 34 56 78",
        "home_phone": "04 76 12 34 56",
        "email": "lea.durand@orange.fr",
        "benefits_account": {
            "iban": "FR7630006000011234567890189",
            "bic": "AGRIFRPP882",
            "bank_name": "Crédit Agricole",
            "holder": "Léa DURAND",
        },
    }
    child = {**CHILD, "home_address": ADDRESS}
    values = {"member_number": "73000042", "beneficiaries": [primary, child], "revision": 1}
    return HouseholdBeneficiariesRecorded(**{**values, **overrides})


def communication_preferences_recorded(**overrides: Any):
    """Léa Durand's choices as guide 004 shows them (nothing defined, SMS refused), paper statements."""
    from extranet_contracts.households import CommunicationPreferencesRecorded

    refused_sms = {"email": "NON_DEFINI", "post": "NON_DEFINI", "sms": "REFUSE"}
    values = {
        "member_number": "73000042",
        "technical": refused_sms,
        "commercial": refused_sms,
        "partners": refused_sms,
        "other": refused_sms,
        "paperless": False,
        "revision": 1,
    }
    return CommunicationPreferencesRecorded(**{**values, **overrides})


def affiliation_requested(**overrides: Any):
    """A correspondent of company 12345678 affiliates Marc Petit (born May 1984) and his son to W1-000123 (portal.requests)."""
    import uuid

    from extranet_contracts.requests import AffiliationRequested

    values = {
        "request_id": uuid.UUID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"),
        "requested_by": {"portal": "employer", "account": "c0ffee00-0000-4000-8000-000000000001", "reference": "12345678"},
        "company_code": "12345678",
        "contract_number": "W1-000123",
        "guarantee_code": "SANTE-B2",
        "effective_date": date(2027, 1, 1),
        "primary": {"civility": "M", "last_name": "Petit", "first_name": "Marc", "birth_date": "1984-05-20", "nir": "184056912345690"},
        "social_scheme": "GENERAL",
        "dependants": [
            {
                "role": "ENFANT",
                "civility": "M",
                "last_name": "Petit",
                "first_name": "Hugo",
                "birth_date": "2015-03-02",
                "nir": "115037505604275",
            }
        ],
        "address": ADDRESS,
        "email": "marc.petit@example.org",
        "bank": {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "holder": "Marc Petit", "frequency": "MENSUEL", "debit_day": 5},
    }
    return AffiliationRequested(**{**values, **overrides})
