"""The households' files of the demo set (legacy.households): for each household of a health contract,
its contract with the guarantees the member held, its beneficiaries as the membership names them, its
preferences with the paperless option for some; nothing else of the stream changed."""

from __future__ import annotations

import collections
import random
from datetime import date

import pytest

from extranet_contracts.households import (
    CommunicationPreferencesRecorded,
    ContractKind,
    HouseholdBeneficiariesRecorded,
    MemberContractRecorded,
)
from extranet_contracts.legacy import CollectiveContractSigned, CompanyRegistered, GuaranteeAttached, MemberAffiliated
from legacy_simulator import SizeSpec, generate
from legacy_simulator.households import household_file

TODAY = date(2026, 11, 23)
SPEC = SizeSpec.preset("demo", companies=8, insured=250)


@pytest.fixture(scope="module")
def stream():
    return list(generate(SPEC, 2026, "mbtp", TODAY))


def _of(stream, model):
    return [event for _, event in stream if isinstance(event, model)]


def test_each_household_of_a_health_contract_has_its_file(stream):
    health = {c.contract_number for c in _of(stream, CollectiveContractSigned) if c.product.value == "SANTE"}
    households = {m.member_number: m for m in _of(stream, MemberAffiliated) if m.contract_number in health}
    for model in (MemberContractRecorded, HouseholdBeneficiariesRecorded, CommunicationPreferencesRecorded):
        files = _of(stream, model)
        assert sorted(f.member_number for f in files) == sorted(households)

    companies = {c.company_code: c.legal_name for c in _of(stream, CompanyRegistered)}
    attached = collections.defaultdict(set)
    for g in _of(stream, GuaranteeAttached):
        attached[g.contract_number].add((g.guarantee_code, g.name))
    for contract in _of(stream, MemberContractRecorded):
        member = households[contract.member_number]
        assert contract.kind is ContractKind.COLLECTIVE and contract.contract_number == member.contract_number
        assert contract.company_name == companies[member.company_code] and contract.subscription_date == member.effective_date
        assert {(g.guarantee_code, g.name) for g in contract.guarantees} <= attached[member.contract_number]
        assert all(g.start_date >= member.effective_date for g in contract.guarantees)
        assert any(g.benefits for g in contract.guarantees) and all(str(g.brochure_url).startswith("https://") for g in contract.guarantees)

    for file in _of(stream, HouseholdBeneficiariesRecorded):
        member = households[file.member_number]
        people = [(b.first_name, b.birth_date, b.nir) for b in file.beneficiaries]
        assert people == [(p.first_name, p.birth_date, p.nir) for p in (member.primary, *member.dependants)]
        account = file.beneficiaries[0].benefits_account
        assert (account.iban if account else None) == (member.benefits_bank_details.iban if member.benefits_bank_details else None)

    paperless = [p for p in _of(stream, CommunicationPreferencesRecorded) if p.paperless]
    assert 0.2 < len(paperless) / len(households) < 0.5 and all(p.paperless_since <= TODAY for p in paperless)


def test_a_households_contribution_is_paid_as_its_affiliation_says(stream):
    """The member portal's « Mode de règlement » is the one the employer portal's employee sheet shows (MemberAffiliated):
    one record of the legacy system, not two draws; a member paying other than by payroll has paid its last share."""
    affiliations = {m.member_number: m for m in _of(stream, MemberAffiliated)}
    contracts = _of(stream, MemberContractRecorded)
    seen = collections.Counter()
    for contract in contracts:
        member = affiliations[contract.member_number]
        assert member.payment_mode is not None and member.payment_frequency is not None
        assert (contract.contribution.payment_mode, contract.contribution.frequency) == (member.payment_mode, member.payment_frequency)
        seen[contract.contribution.payment_mode.value, contract.contribution.frequency.value] += 1
        if contract.contribution.payment_mode.value == "PRELEVEMENT_SALAIRE":
            assert contract.contribution.last_payment is None
        elif member.effective_date < TODAY.replace(day=1):
            assert contract.contribution.last_payment is not None
    assert len(seen) >= 3, seen  # the affiliations' modes and frequencies, not one drawn for every file


def test_an_affiliation_without_a_payment_mode_still_gets_one(stream):
    older = _of(stream, MemberAffiliated)[0].model_copy(update={"payment_mode": None, "payment_frequency": None})
    guarantees = [("SANTE-SOCLE", "Santé socle", date(2020, 1, 1), None)]
    files = household_file(
        random.Random(1), affiliation=older, covered_until=None, guarantees=guarantees, company_name=None, tenant="mbtp", today=TODAY
    )
    assert files[0].contribution.payment_mode.value in ("PRELEVEMENT", "PRELEVEMENT_SALAIRE")
    assert files[0].contribution.frequency.value == "MENSUELLE"


def test_the_files_are_keyed_by_household_and_the_same_at_every_run(stream):
    files = [(envelope, event) for envelope, event in stream if event.STREAM == "legacy.households"]
    assert all(envelope.key == event.member_number for envelope, event in files)
    assert len({envelope.id for envelope, _ in stream}) == len(stream)
    again = [(envelope, event) for envelope, event in generate(SPEC, 2026, "mbtp", TODAY) if event.STREAM == "legacy.households"]
    assert again == files


def test_a_unions_member_contract_names_their_mutuelle(stream):
    """Solimut's members belong to one of its mutuelles (guide 004): their contract says which (online payment is
    offered to the Mutuelle de France Plus's only); a single mutuelle's contracts name none."""
    solimut = list(generate(SizeSpec.preset("demo", companies=3, insured=40), 2026, "solimut", TODAY))
    members = {m.member_number: m.mutuelle_code for m in _of(solimut, MemberAffiliated)}
    contracts = _of(solimut, MemberContractRecorded)
    assert contracts and all(c.mutuelle_code == members[c.member_number] and c.mutuelle_code for c in contracts)
    assert "700" in {c.mutuelle_code for c in contracts}
    assert {c.mutuelle_code for c in _of(stream, MemberContractRecorded)} == {None}  # MBTP is no union
