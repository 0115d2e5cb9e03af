"""Event models, their envelope, and their committed JSON Schemas."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from extranet_contracts import CATALOGUE, Envelope, EnvelopeError, UnknownEventType, lookup
from extranet_contracts.legacy import MemberAffiliated
from extranet_contracts.schemas import differences, render_all

PRIMARY = {"civility": "MME", "last_name": "Durand", "first_name": "Léa", "birth_date": "1985-05-12", "nir": "285057800608441"}


def affiliation(**changes) -> dict:
    event = {
        "membership_id": "ADH-0000001",
        "member_number": "73000001",
        "contract_number": "W1-000123",
        "company_code": "12345678",
        "primary": PRIMARY,
        "address": {"line1": "12 route de Paris", "postal_code": "38040", "city": "Grenoble"},
        "effective_date": "2026-10-01",
        "recorded_on": "2026-10-08",
        "revision": 1,
    }
    event.update(changes)
    return event


def test_committed_schemas_match_the_models():
    assert differences() == []


def test_a_changed_model_is_detected_by_the_schema_check(tmp_path):
    for name, content in render_all().items():
        (tmp_path / name).write_text(content.replace('"member_number"', '"member_no"') if name.startswith("MemberAffiliated") else content)
    assert differences(tmp_path) == ["differs from its model: MemberAffiliated.v1.schema.json"]


def test_envelope_round_trips_through_kafka_headers():
    envelope = Envelope(
        type="MemberAffiliated",
        version=1,
        source="urn:test",
        tenant="mbtp",
        key="73000001",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    headers = envelope.to_headers()
    assert ("ce_specversion", b"1.0") in headers and ("content-type", b"application/json") in headers
    assert Envelope.from_headers(headers) == envelope


def test_envelope_with_a_missing_attribute_is_refused():
    headers = [h for h in Envelope(type="X", version=1, source="s", tenant="mbtp", key="k").to_headers() if h[0] != "ce_tenant"]
    with pytest.raises(EnvelopeError, match="ce_tenant"):
        Envelope.from_headers(headers)


def test_versions_are_looked_up_exactly():
    assert lookup("MemberAffiliated", 1) is MemberAffiliated
    with pytest.raises(UnknownEventType):
        lookup("MemberAffiliated", 2)
    assert {model.STREAM.split(".")[0] for model in CATALOGUE.values()} == {"identity", "legacy", "notifications", "portal"}


def test_french_numbers_are_validated():
    assert MemberAffiliated.model_validate(affiliation()).primary.nir == "285057800608441"
    with pytest.raises(ValidationError, match="NIR"):
        MemberAffiliated.model_validate(affiliation(primary={**PRIMARY, "nir": "285057800608442"}))
    with pytest.raises(ValidationError, match="IBAN"):
        MemberAffiliated.model_validate(
            affiliation(benefits_bank_details={"iban": "FR7630006000011234567890188", "bic": "AGRIFRPP", "holder": "L. Durand"})
        )
    with pytest.raises(ValidationError, match="member_number"):
        MemberAffiliated.model_validate(affiliation(member_number="7300001"))
    assert MemberAffiliated.model_validate(affiliation()).effective_date == date(2026, 10, 1)


def test_the_mutuelle_of_a_member_within_a_union_is_optional():
    assert MemberAffiliated.model_validate(affiliation()).mutuelle_code is None  # events without it stay valid
    assert MemberAffiliated.model_validate(affiliation(mutuelle_code="700")).mutuelle_code == "700"
    with pytest.raises(ValidationError, match="mutuelle_code"):
        MemberAffiliated.model_validate(affiliation(mutuelle_code="MFPLUS"))


def test_phone_numbers_have_one_form_for_every_service():
    from extranet_contracts.phones import can_receive_sms, mobile_e164

    assert {mobile_e164(n) for n in ("06 09 26 78 12", "+33 6 09 26 78 12", "0033 6 09 26 78 12")} == {"+33609267812"}
    assert not can_receive_sms("04 91 00 00 00") and not can_receive_sms(None)


def test_a_contact_change_request_names_what_changes():
    from extranet_contracts.requests import ContactChangeRequested

    change = ContactChangeRequested(requester_kind="broker", reference="M12345", email="claire@cabinet-martin.fr")
    assert change.key() == "M12345" and change.STREAM == "portal.requests"
    with pytest.raises(ValidationError, match="new email"):
        ContactChangeRequested(requester_kind="member", reference="73000042")
    with pytest.raises(ValidationError, match="phone"):
        ContactChangeRequested(requester_kind="member", reference="73000042", phone="06 09 26 78 12")  # E.164 only


def test_a_broker_address_change_carries_the_kbis_reference_never_its_bytes():
    from extranet_contracts.requests import BrokerAddressChangeRequested
    from extranet_contracts.testing import broker_address_change_requested

    change = broker_address_change_requested()
    assert change.key() == "M12345" and change.STREAM == "portal.requests"
    assert set(change.kbis.model_dump()) == {"file_id", "media_type", "size", "sha256"}
    assert BrokerAddressChangeRequested.model_validate_json(change.model_dump_json()) == change
    with pytest.raises(ValidationError, match="media_type"):
        broker_address_change_requested(kbis={**change.kbis.model_dump(), "media_type": "application/x-msdownload"})
    with pytest.raises(ValidationError, match="size"):
        broker_address_change_requested(kbis={**change.kbis.model_dump(), "size": 5 * 1024 * 1024})
    with pytest.raises(ValidationError, match="postal_code"):
        broker_address_change_requested(address={"line1": "8 place Bellecour", "postal_code": "6902", "city": "Lyon"})
