"""A payment as the read model keeps it and reads it back: exact Decimals that add up to the cent, the
beneficiaries' ids, who may read it, and the search's checks."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from fastapi import HTTPException

from claims.domain.french import NBSP, euros, iban, percent, quantity
from claims.domain.payments import Payment, beneficiary_id, stored_acts, stored_acts_json
from claims.domain.search import InvalidCriterion, Page, Search
from extranet_contracts.households import HouseholdBeneficiary
from extranet_contracts.testing import reimbursement_paid
from extranet_plumbing.auth import Principal, require_member


def payment_of(event) -> Payment:
    """The payment as the read model's row gives it back (acts through JSON, amounts as strings)."""
    row = {
        "reference": event.reference,
        "member_number": event.member_number,
        "received_on": event.received_on,
        "paid_on": event.paid_on,
        "amount": event.amount,
        "payee": event.payee.value,
        "professional_name": event.professional_name,
        "masked_iban": event.masked_iban,
        "acts": stored_acts_json(event.member_number, event.acts)[0],
    }
    return Payment.from_row(row)


def test_amounts_come_back_exact_and_add_up_to_the_cent():
    payment = payment_of(reimbursement_paid())
    consultation, pharmacy = payment.acts
    assert (consultation.expense, consultation.mandatory_amount, consultation.mutuelle_amount) == (
        Decimal("30.00"),
        Decimal("19.00"),
        Decimal("9.00"),
    )
    assert consultation.remaining == Decimal("2.00") and pharmacy.remaining == Decimal("0.00")
    totals = payment.totals
    assert totals.expense == totals.mandatory + totals.mutuelle + totals.remaining == Decimal("48.86")
    assert totals.mutuelle == payment.amount == Decimal("15.60")
    assert str(totals.remaining) == "2.00"  # never a float on the way


def test_the_acts_json_the_read_model_writes_is_the_stored_acts_to_the_cent():
    consultation, pharmacy = (act.model_dump(mode="json") for act in reimbursement_paid().acts)
    consultation |= {"expense": "30", "mandatory_amount": "19.0", "beneficiary": {**consultation["beneficiary"], "first_name": "Léa Zoé"}}
    pharmacy |= {"care_pathway": None, "nature": "Pharmacie « vignette » blanche"}
    event = reimbursement_paid(acts=[consultation, pharmacy])
    text, ids = stored_acts_json(event.member_number, event.acts)
    stored = stored_acts(event.member_number, event.acts)
    assert json.loads(text) == stored and ids == [act["beneficiary"]["id"] for act in stored]
    assert (stored[0]["expense"], stored[0]["mandatory_amount"], stored[1]["care_pathway"]) == ("30.00", "19.00", None)
    assert "Léa Zoé" in text and "« vignette »" in text  # UTF-8 as json.dumps(ensure_ascii=False) wrote it


def test_many_small_amounts_add_up_without_drift():
    acts = [
        {**reimbursement_paid().acts[1].model_dump(mode="json"), "expense": "0.10", "mandatory_base": "0.10", "mandatory_amount": "0.07"}
        | {"mutuelle_base": "0.10", "mutuelle_amount": "0.03"}
        for _ in range(30)
    ]
    payment = payment_of(reimbursement_paid(acts=acts, amount="0.90"))
    assert payment.totals.expense == Decimal("3.00") and payment.totals.remaining == Decimal("0.00")
    assert sum(0.1 for _ in range(30)) != 3.0  # what floats would have made of it


def test_a_beneficiary_keeps_one_id_across_payments_and_households_do_not_share_them():
    lea = beneficiary_id("73000042", "Léa", date(1985, 5, 12))
    assert beneficiary_id("73000042", " LEA ", date(1985, 5, 12)) == lea  # accents, case, spaces aside
    assert beneficiary_id("73000043", "Léa", date(1985, 5, 12)) != lea
    assert beneficiary_id("73000042", "Léa", date(1985, 5, 13)) != lea
    payment = payment_of(reimbursement_paid())
    assert [b.first_name for b in payment.beneficiaries] == ["Léa", "Hugo"] and payment.beneficiaries[0].id == lea
    assert len(lea) == 12 and "1985" not in lea


def test_a_payments_beneficiary_has_the_id_the_households_file_gives_it():
    """The reimbursements' search by beneficiary takes the id the beneficiaries page shows (the household's file)."""
    payment = payment_of(reimbursement_paid())
    for person in payment.beneficiaries:
        on_file = HouseholdBeneficiary.model_construct(first_name=f" {person.first_name.upper()} ", birth_date=person.birth_date)
        assert on_file.identifier("73000042") == person.id


def test_french_writing():
    assert euros(Decimal("1234.5")) == f"1{NBSP}234,50{NBSP}€"
    assert euros(Decimal("0")) == f"0,00{NBSP}€"
    assert (percent(Decimal("70.00")), percent(Decimal("33.33")), percent(Decimal("100"))) == (f"70{NBSP}%", f"33,33{NBSP}%", f"100{NBSP}%")
    assert (quantity(Decimal("2.00")), quantity(Decimal("1.50"))) == ("2", "1,5")
    assert iban("FR76*******************1189") == "FR76 **** **** **** **** ***1 189"


def member(number: str | None = "73000042", *, terms: bool = True, kind: str = "member") -> Principal:
    return Principal(subject="a", kind=kind, tenant="mbtp", scope={"member_number": number} if number else {}, terms_accepted=terms)


def test_a_member_reads_their_own_household_only():
    assert require_member(member()) == "73000042"
    assert require_member(member(), "73000042") == "73000042"
    for principal, asked in (
        (member(), "73000043"),
        (member(terms=False), None),
        (member(None), None),
        (Principal(subject="b", kind="broker", tenant="mbtp", scope={"broker_code": "M12345", "member_number": "73000042"}), None),
    ):
        with pytest.raises(HTTPException) as refused:
            require_member(principal, asked)
        assert refused.value.status_code == 403


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Search(start=date(2026, 3, 1), end=date(2026, 2, 28)), "to"),
        (lambda: Search(beneficiary="../../etc"), "beneficiary"),
        (lambda: Page(1, 7), "page_size"),
        (lambda: Page(0, 10), "page"),
    ],
)
def test_a_search_that_cannot_be_right_names_its_field(build, field):
    with pytest.raises(InvalidCriterion) as refused:
        build()
    assert refused.value.field == field


def test_a_search_may_leave_either_end_of_its_period_open():
    assert Search(start=date(2026, 3, 1)).end is None and Page(3, 20).offset == 40
