"""Reimbursements as the legacy system publishes them: amounts to the cent, masked IBAN only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from extranet_contracts.claims import ReimbursementPaid
from extranet_contracts.testing import reimbursement_paid

PAID = reimbursement_paid()


def act(**changes) -> dict:
    return {**PAID.acts[0].model_dump(mode="json"), **changes}


def test_amounts_are_decimals_to_the_cent_and_add_up():
    consultation, pharmacy = PAID.acts
    assert consultation.expense == consultation.mandatory_amount + consultation.mutuelle_amount + consultation.remaining
    assert (consultation.remaining, pharmacy.remaining) == (Decimal("2.00"), Decimal("0.00"))
    assert PAID.amount == Decimal("15.60") and str(PAID.amount) == "15.60"
    assert str(pharmacy.quantity) == "2.00"
    again = ReimbursementPaid.model_validate_json(PAID.model_dump_json())
    assert again == PAID and '"amount":"15.60"' in PAID.model_dump_json()


def test_a_number_on_the_wire_is_read_exactly():
    document = PAID.model_dump(mode="json")
    document["amount"] = 15.6
    document["acts"][0]["mutuelle_amount"] = 9
    assert ReimbursementPaid.model_validate(document).amount == Decimal("15.60")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mutuelle_amount": "11.01"}, "paid more than the expense"),
        ({"expense": "30.001"}, "decimal places"),
        ({"mandatory_amount": "-1.00"}, "greater than or equal to 0"),
        ({"quantity": "0"}, "greater than 0"),
    ],
)
def test_an_act_that_does_not_add_up_is_refused(changes, message):
    with pytest.raises(ValidationError, match=message):
        reimbursement_paid(acts=[act(**changes)], amount=changes.get("mutuelle_amount", "9.00"))


def test_the_amount_is_what_the_mutuelle_paid_for_the_acts():
    with pytest.raises(ValidationError, match="sum of its acts"):
        reimbursement_paid(amount="15.61")


def test_a_full_iban_is_refused():
    with pytest.raises(ValidationError, match="masked IBAN"):
        reimbursement_paid(masked_iban="FR7630006000011234567890189")
    with pytest.raises(ValidationError, match="masked IBAN"):
        reimbursement_paid(masked_iban="FR76 3000 6000 0112 3456 7890 189")
    assert reimbursement_paid(masked_iban="fr76 **** **** **** **** ***1 189").masked_iban == "FR76*******************1189"


def test_a_third_party_payment_names_the_professional_and_carries_no_iban():
    paid = reimbursement_paid(payee="TIERS", professional_name="Pharmacie du Centre", masked_iban=None)
    assert paid.professional_name == "Pharmacie du Centre"
    with pytest.raises(ValidationError, match="names them"):
        reimbursement_paid(payee="TIERS", masked_iban=None)
    with pytest.raises(ValidationError, match="no IBAN"):
        reimbursement_paid(payee="TIERS", professional_name="Pharmacie du Centre")
    with pytest.raises(ValidationError, match="names them"):
        reimbursement_paid(professional_name="Pharmacie du Centre")


def test_keyed_by_its_reference():
    assert PAID.key() == "35507436" and ReimbursementPaid.STREAM == "legacy.claims"
