"""The request engine's events (portal.requests) and the legacy system's decisions (legacy.decisions)."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from extranet_contracts import lookup
from extranet_contracts.decisions import DECISIONS, RequestRefused
from extranet_contracts.requests import PORTAL_REQUESTS, AdvisorDecisionRecorded, EmployeeTerminationRequested
from extranet_contracts.testing import employee_termination_requested, request_decided

REQUEST_ID = uuid.UUID("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")


def test_a_termination_request_is_keyed_by_the_company_and_round_trips():
    request = employee_termination_requested()
    assert request.key() == "12345678" and request.STREAM == PORTAL_REQUESTS
    assert EmployeeTerminationRequested.model_validate_json(request.model_dump_json()) == request
    assert lookup("EmployeeTerminationRequested", 1) is EmployeeTerminationRequested


@pytest.mark.parametrize(
    "change",
    [
        {"reason": "démission"},  # a code of the list, upper case
        {"member_number": "7300004"},
        {"requested_by": {"portal": "backoffice", "account": "x", "reference": "12345678"}},
        {"unexpected": 1},
    ],
)
def test_a_malformed_termination_request_is_refused(change):
    with pytest.raises(ValidationError):
        employee_termination_requested(**change)


def test_a_refusal_by_an_advisor_needs_its_reason():
    with pytest.raises(ValidationError, match="reason"):
        AdvisorDecisionRecorded(request_id=REQUEST_ID, requester_reference="12345678", operator="op-1", accepted=False)
    accepted = AdvisorDecisionRecorded(request_id=REQUEST_ID, requester_reference="12345678", operator="op-1", accepted=True)
    assert accepted.key() == "12345678"


@pytest.mark.parametrize("outcome", ["accepted", "refused", "advisor"])
def test_decisions_are_keyed_by_the_request(outcome):
    decision = request_decided(outcome, REQUEST_ID)
    assert decision.key() == str(REQUEST_ID) and decision.STREAM == DECISIONS
    assert type(decision).model_validate_json(decision.model_dump_json()) == decision


def test_a_refusal_says_why():
    with pytest.raises(ValidationError):
        RequestRefused(request_id=REQUEST_ID, decided_at="2026-12-01T09:30:00Z", reason="")


def test_an_affiliation_request_checks_the_nir_and_iban():
    from extranet_contracts.testing import affiliation_requested

    request = affiliation_requested()
    assert request.key() == "12345678" and request.STREAM == PORTAL_REQUESTS
    assert type(request).model_validate_json(request.model_dump_json()) == request
    with pytest.raises(ValidationError, match="NIR"):
        affiliation_requested(primary={**request.primary.model_dump(mode="json"), "nir": "184056912345691"})
    with pytest.raises(ValidationError, match="IBAN"):
        affiliation_requested(bank={**request.bank.model_dump(mode="json"), "iban": "FR7630006000011234567890188"})


def test_a_tp_card_order_is_keyed_by_whoever_asked():
    from extranet_contracts.requests import TpCardOrdered

    by_member = TpCardOrdered(
        request_id=REQUEST_ID, requested_by={"portal": "member", "account": "a-1", "reference": "73000042"}, member_number="73000042"
    )
    assert by_member.key() == "73000042" and by_member.contract_number is None
    by_employer = TpCardOrdered(
        request_id=REQUEST_ID,
        requested_by={"portal": "employer", "account": "c-1", "reference": "12345678"},
        member_number="73000042",
        contract_number="W1-000123",
    )
    assert by_employer.key() == "12345678" and TpCardOrdered.model_validate_json(by_employer.model_dump_json()) == by_employer
