"""The shared test-event builders give valid events and take overrides."""

from extranet_contracts import CATALOGUE, testing


def test_every_legacy_event_type_has_a_valid_builder():
    built = [
        testing.broker_registered(),
        testing.company_assigned(),
        testing.company_withdrawn(),
        testing.company_registered(),
        testing.company_document_issued(),
        testing.contract_signed(),
        testing.guarantee_attached(),
        testing.member_affiliated(),
        testing.member_radiated(),
        testing.contribution_payer_recorded(),
        testing.contribution_scheduled(),
        testing.contribution_paid(),
        testing.reimbursement_paid(),
        testing.member_contract_recorded(),
        testing.household_beneficiaries_recorded(),
        testing.communication_preferences_recorded(),
        *(testing.request_decided(outcome, "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d") for outcome in ("accepted", "refused", "advisor")),
    ]
    legacy_types = {key for key, model in CATALOGUE.items() if model.STREAM.startswith("legacy.")}
    assert {(e.TYPE, e.VERSION) for e in built} == legacy_types


def test_overrides_replace_the_defaults():
    event = testing.member_affiliated(email=None, member_number="73000099")
    assert event.email is None and event.member_number == "73000099" and event.primary.last_name == "Durand"
