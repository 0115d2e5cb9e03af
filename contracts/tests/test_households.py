"""A household's file as the legacy system publishes it: contract, beneficiaries, preferences."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from extranet_contracts.households import CommunicationPreferencesRecorded, HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_contracts.testing import communication_preferences_recorded, household_beneficiaries_recorded, member_contract_recorded


def test_the_builders_round_trip_and_are_keyed_by_the_member_number():
    for event, model in (
        (member_contract_recorded(), MemberContractRecorded),
        (household_beneficiaries_recorded(), HouseholdBeneficiariesRecorded),
        (communication_preferences_recorded(), CommunicationPreferencesRecorded),
    ):
        assert model.model_validate_json(event.model_dump_json()) == event
        assert event.key() == "73000042" and event.STREAM == "legacy.households"
    contract = member_contract_recorded()
    assert str(contract.contribution.last_payment.amount) == "38.50"


@pytest.mark.parametrize(
    ("build", "changes", "message"),
    [
        (member_contract_recorded, {"kind": "INDIVIDUEL"}, "names its company"),
        (member_contract_recorded, {"kind": "COLLECTIF", "company_code": None}, "names its company"),
        (member_contract_recorded, {"guarantees": []}, "at least 1"),
        (
            member_contract_recorded,
            {"guarantees": [{"guarantee_code": "X1", "name": "X", "start_date": "2026-01-01", "end_date": "2025-01-01"}]},
            "before start_date",
        ),
        (communication_preferences_recorded, {"paperless_since": "2026-01-01"}, "paperless option is on"),
        (communication_preferences_recorded, {"technical": {"email": "OUI"}}, "ACCEPTE"),
    ],
)
def test_what_cannot_be_right_is_refused(build, changes, message):
    with pytest.raises(ValidationError, match=message):
        build(**changes)


def test_a_household_has_one_primary_insured_and_valid_numbers():
    beneficiaries = household_beneficiaries_recorded().model_dump(mode="json")["beneficiaries"]
    with pytest.raises(ValidationError, match="exactly one primary"):
        household_beneficiaries_recorded(beneficiaries=[{**b, "role": "ASSURE"} for b in beneficiaries])
    wrong_iban = {**beneficiaries[0], "benefits_account": {**beneficiaries[0]["benefits_account"], "iban": "FR7630006000011234567890188"}}
    with pytest.raises(ValidationError, match="IBAN"):
        household_beneficiaries_recorded(beneficiaries=[wrong_iban, beneficiaries[1]])
    with pytest.raises(ValidationError, match="NIR"):
        household_beneficiaries_recorded(beneficiaries=[{**beneficiaries[0], "nir": "285057800608442"}, beneficiaries[1]])
