"""Reimbursements of the demo set: for the members of health contracts only, over the last year of their
cover, amounts to the cent, the guarantee of their contract that applied, and nothing else changed."""

from __future__ import annotations

import collections
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from extranet_contracts.claims import Payee, ReimbursementPaid
from extranet_contracts.legacy import CollectiveContractSigned, GuaranteeAttached, MemberAffiliated, MemberRadiated
from legacy_simulator import SizeSpec, generate
from legacy_simulator.claims import masked, of_city
from legacy_simulator.cli import main

TODAY = date(2026, 11, 23)
SPEC = SizeSpec.preset("demo", companies=8, insured=250)  # the demo's rate, fewer people: quicker


@pytest.fixture(scope="module")
def stream():
    return list(generate(SPEC, 2026, "mbtp", TODAY))


def _of(stream, model):
    return [event for _, event in stream if isinstance(event, model)]


def test_members_of_health_contracts_are_reimbursed_over_the_last_year(stream):
    payments = _of(stream, ReimbursementPaid)
    households = {m.member_number: m for m in _of(stream, MemberAffiliated)}
    products = {c.contract_number: c.product.value for c in _of(stream, CollectiveContractSigned)}
    ended = {r.member_number: r.effective_date for r in _of(stream, MemberRadiated)}
    assert len(payments) > len(households)  # about four a year for a household of a health contract
    assert {products[households[p.member_number].contract_number] for p in payments} == {"SANTE"}
    assert len({p.reference for p in payments}) == len(payments)
    for payment in payments:
        household = households[payment.member_number]
        people = {(household.primary.last_name, household.primary.first_name, household.primary.birth_date, "ASSURE")} | {
            (d.last_name, d.first_name, d.birth_date, d.role.value) for d in household.dependants
        }
        for act in payment.acts:
            b = act.beneficiary
            assert (b.last_name, b.first_name, b.birth_date, b.role.value) in people
            assert max(household.effective_date, TODAY - timedelta(days=365)) <= act.act_date <= ended.get(payment.member_number, TODAY)
            assert act.act_date <= payment.received_on <= payment.paid_on <= TODAY


def test_amounts_add_up_to_the_cent(stream):
    for payment in _of(stream, ReimbursementPaid):
        assert payment.amount == sum(act.mutuelle_amount for act in payment.acts)
        for act in payment.acts:
            assert act.expense == act.mandatory_amount + act.mutuelle_amount + act.remaining and act.remaining >= 0
            assert act.mandatory_deductible <= act.remaining  # the mutuelle never pays the flat-rate contribution
            for value in (act.expense, act.mandatory_amount, act.mutuelle_amount, act.mandatory_deductible):
                assert value == value.quantize(Decimal("0.01"))


def test_a_consultation_at_the_general_practitioner(stream):
    consultations = [
        act
        for p in _of(stream, ReimbursementPaid)
        for act in p.acts
        if act.nature == "Consultation médecin généraliste" and act.care_pathway.value == "COORDONNE" and act.expense == Decimal("30.00")
    ]
    assert consultations
    for act in consultations:
        assert (act.mandatory_base, act.mandatory_rate) == (Decimal("30.00"), Decimal("70.00"))
        assert act.mandatory_amount + act.mandatory_deductible == Decimal("21.00") and act.mandatory_deductible in (0, 2)
        assert act.mutuelle_amount == Decimal("9.00") and act.guarantee_code.startswith("SANTE-SOCLE")


def test_the_guarantee_that_applied_is_one_of_the_contract_on_the_day(stream):
    guarantees = collections.defaultdict(list)
    for g in _of(stream, GuaranteeAttached):
        guarantees[g.contract_number].append(g)
    contract_of = {m.member_number: m.contract_number for m in _of(stream, MemberAffiliated)}
    for payment in _of(stream, ReimbursementPaid):
        for act in payment.acts:
            (applied,) = [g for g in guarantees[contract_of[payment.member_number]] if g.guarantee_code == act.guarantee_code]
            assert applied.name == act.guarantee_name and applied.start_date <= act.act_date
            assert applied.end_date is None or act.act_date <= applied.end_date


def test_some_go_to_professionals_and_the_rest_to_the_members_iban_masked(stream):
    payments = _of(stream, ReimbursementPaid)
    ibans = {m.member_number: m.benefits_bank_details.iban for m in _of(stream, MemberAffiliated) if m.benefits_bank_details}
    payees = collections.Counter(p.payee for p in payments)
    assert payees[Payee.PROFESSIONAL] > 0.2 * len(payments) and payees[Payee.MEMBER] > 0.2 * len(payments)
    for payment in payments:
        if payment.payee is Payee.MEMBER and payment.member_number in ibans:
            assert payment.masked_iban == masked(ibans[payment.member_number])
            assert ibans[payment.member_number] not in payment.model_dump_json()
        else:
            assert payment.masked_iban is None
    assert masked("FR7630006000011234567890189") == "FR76*******************0189"


def test_asking_for_reimbursements_changes_no_other_event(stream):
    without = list(generate(replace(SPEC, reimbursements_per_member=0.0), 2026, "mbtp", TODAY))
    # Nor do the households' files published with them (legacy.households).
    assert [pair for pair in stream if not isinstance(pair[1], ReimbursementPaid) and pair[1].STREAM != "legacy.households"] == without
    assert list(generate(SPEC, 2026, "mbtp", TODAY)) == stream  # and they are the same at every run


def test_city_names_in_french():
    assert [of_city(c) for c in ("Lyon", "Angers", "Le Havre", "Les Sables-d'Olonne", "La Rochelle")] == [
        "de Lyon",
        "d'Angers",
        "du Havre",
        "des Sables-d'Olonne",
        "de la Rochelle",
    ]


BENCH_LIKE = SizeSpec.preset("bench", companies=20, insured=2_000)  # the bench set's shape, a five-hundredth of it


@pytest.fixture(scope="module")
def three_years():
    """As the bench set asks for them: about 20,000 acts over three years (10 M for its 1 M insured)."""
    return [e for _, e in generate(BENCH_LIKE.with_acts(20_000, years=3), 2026, "mbtp", TODAY) if isinstance(e, ReimbursementPaid)]


def test_the_bench_sets_acts_go_back_three_years(three_years):
    acts = [act for payment in three_years for act in payment.acts]
    assert 0.8 * 20_000 < len(acts) < 1.2 * 20_000  # the rate is measured on the generator, not exact
    oldest = min(act.act_date for act in acts)
    assert TODAY - timedelta(days=3 * 365) <= oldest < TODAY - timedelta(days=2 * 365)
    for payment in three_years:
        assert payment.amount == sum(act.mutuelle_amount for act in payment.acts)
        assert all(act.act_date <= payment.received_on <= payment.paid_on <= TODAY for act in payment.acts)
    assert len({p.reference for p in three_years}) == len(three_years)


def test_the_bench_sets_acts_are_the_same_at_every_run(three_years):
    again = (e for _, e in generate(BENCH_LIKE.with_acts(20_000, years=3), 2026, "mbtp", TODAY) if isinstance(e, ReimbursementPaid))
    assert [next(again) for _ in range(500)] == three_years[:500]


def test_acts_over_more_than_three_years_are_refused():
    with pytest.raises(ValueError, match="1 to 3 years"):
        BENCH_LIKE.with_acts(1_000, years=4)


def test_only_the_streams_asked_for(capsys):
    argv = ["dump", "--size", "bench", "--companies", "3", "--insured", "300", "--acts", "3000", "--today", "2026-11-23"]
    assert main([*argv, "--streams", "legacy.claims,legacy.households"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    types = collections.Counter(line["envelope"]["type"] for line in lines)
    assert set(types) == {
        "ReimbursementPaid",
        "MemberContractRecorded",
        "HouseholdBeneficiariesRecorded",
        "CommunicationPreferencesRecorded",
    }
    assert types["ReimbursementPaid"] > 300
    with pytest.raises(SystemExit):
        main([*argv, "--streams", "legacy.nowhere"])
    assert "choose among legacy.brokers" in capsys.readouterr().err
