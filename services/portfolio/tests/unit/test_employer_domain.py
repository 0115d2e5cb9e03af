"""The employer portal's rules: who is a correspondent and what it may see, the NIR typed in the search
(13 characters and the key, Corsica included) and how NIRs and IBANs are shown."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pytest
from fastapi import HTTPException
from stdnum.fr import nir as stdnum_nir

from extranet_contracts.masking import masked_iban, masked_nir
from extranet_plumbing.auth import Principal, require_correspondent
from portfolio.domain.employer import EmployeeListing, EmployeeSearch, InvalidEmployeeCriterion, NirDigest

DIGEST = NirDigest(b"k" * 32)
DAY = date(2026, 11, 30)


def correspondent(**scope) -> Principal:
    return Principal(subject="c1", kind="correspondent", tenant="mbtp", scope=scope, terms_accepted=True)


def test_a_primary_correspondent_sees_every_contract_of_its_company():
    scope = require_correspondent(correspondent(company_code="10000001", contracts="all", primary=True))
    assert scope.company_code == "10000001"
    assert scope.may_see("ANY-CONTRACT", "CADRES", "E")


def test_a_secondary_correspondent_sees_its_contracts_categories_and_groups_only():
    scope = require_correspondent(
        correspondent(company_code="10000001", contracts=["W1-0001", "W1-0002"], categories=["CADRES"], insured_groups=["A"])
    )
    assert scope.may_see("W1-0001", "CADRES", "A")
    assert not scope.may_see("W1-0003", "CADRES", "A")
    assert not scope.may_see("W1-0001", "NON CADRES", "A")
    assert not scope.may_see("W1-0001", "CADRES", "P")


def test_a_secondary_correspondent_sees_the_groups_granted_contract_by_contract():
    scope = require_correspondent(
        correspondent(company_code="10000001", contracts=["W1-0001", "W1-0002"], contract_groups={"W1-0001": ["P", "E"]})
    )
    assert scope.groups_of("W1-0001") == ("E", "P") and scope.groups_of("W1-0002") is None
    assert scope.may_see("W1-0001", insured_group="P") and scope.may_see("W1-0001", insured_group="E")
    assert not scope.may_see("W1-0001", insured_group="A")
    assert scope.may_see("W1-0002", insured_group="A")  # a contract not named: all its groups
    assert not scope.may_see("W1-0003", insured_group="P")  # not granted, whatever its groups


def test_a_malformed_per_contract_grant_grants_no_group():
    scope = require_correspondent(correspondent(company_code="10000001", contracts=["W1-0001"], contract_groups={"W1-0001": "all"}))
    assert scope.groups_of("W1-0001") == () and not scope.may_see("W1-0001", insured_group="A")
    assert require_correspondent(correspondent(company_code="1", contracts=["K"], contract_groups=["K"])).groups_of("K") is None


def test_a_claim_without_contracts_grants_none():
    assert not require_correspondent(correspondent(company_code="10000001")).may_see("W1-0001")


@pytest.mark.parametrize(
    "principal",
    [
        Principal(
            subject="b", kind="broker", tenant="mbtp", scope={"broker_code": "M00001", "company_code": "10000001"}, terms_accepted=True
        ),
        Principal(subject="m", kind="member", tenant="mbtp", scope={"member_number": "10000001"}, terms_accepted=True),
        Principal(subject="o", kind="operator", tenant="mbtp", terms_accepted=True),
        Principal(subject="c", kind="correspondent", tenant="mbtp", scope={"company_code": "10000001", "contracts": "all"}),
    ],
)
def test_anyone_else_is_refused(principal):
    with pytest.raises(HTTPException) as refused:
        require_correspondent(principal)
    assert refused.value.status_code == 403


def nir(body: str) -> tuple[str, str]:
    return body, stdnum_nir.calc_check_digits(body)


def test_a_nir_and_its_key_find_the_digest_of_the_full_number():
    body, key = nir("1690369123456")
    search = EmployeeSearch.checked(DIGEST, as_of=DAY, nir=f"{body[0]} {body[1:3]} {body[3:5]} {body[5:]}", nir_key=key)
    assert search.nir_digest == DIGEST(body + key) and search.last_name is None


@pytest.mark.parametrize("department", ["2A", "2B"])
def test_corsican_nirs_are_accepted(department):
    body, key = nir(f"18512{department}004123")
    assert EmployeeSearch.checked(DIGEST, as_of=DAY, nir=body.lower(), nir_key=key).nir_digest == DIGEST(body + key)


def test_a_wrong_key_names_the_key_and_a_malformed_number_names_the_number():
    body, key = nir("2690303098144")
    wrong = f"{(int(key) + 1) % 97:02d}"
    with pytest.raises(InvalidEmployeeCriterion) as refused:
        EmployeeSearch.checked(DIGEST, as_of=DAY, nir=body, nir_key=wrong)
    assert refused.value.field == "nir_key" and "clé" in refused.value.message
    for typed in ("269030309814", "3690303098144", "26903030981X4"):
        with pytest.raises(InvalidEmployeeCriterion) as refused:
            EmployeeSearch.checked(DIGEST, as_of=DAY, nir=typed, nir_key=key)
        assert refused.value.field == "nir"
    with pytest.raises(InvalidEmployeeCriterion) as refused:
        EmployeeSearch.checked(DIGEST, as_of=DAY, nir=body, nir_key="4")
    assert refused.value.field == "nir_key"


def test_a_search_by_name_needs_the_last_name():
    with pytest.raises(InvalidEmployeeCriterion) as refused:
        EmployeeSearch.checked(DIGEST, as_of=DAY, first_name="Florence")
    assert refused.value.field == "last_name"
    assert EmployeeSearch.checked(DIGEST, as_of=DAY, last_name="  Le   Gall-Hervé ").last_name == "Le Gall-Hervé"


def test_the_digest_depends_on_the_key_and_never_shows_the_number():
    body, key = nir("2690303098144")
    assert NirDigest(b"a" * 32)(body + key) != NirDigest(b"b" * 32)(body + key)
    assert DIGEST(body + key) == hmac.new(b"k" * 32, (body + key).encode(), hashlib.sha256).hexdigest()  # HMAC-SHA256, as documented
    assert DIGEST(f"{body[:5]} {body[5:]}.{key}") == DIGEST(body + key)
    assert body not in DIGEST(body + key)
    with pytest.raises(ValueError):
        NirDigest(b"short")


def test_masks_keep_only_what_the_user_may_see():
    assert masked_nir("269030309814479") == "2 69 03 ** *** *** 79"
    assert masked_iban("FR7630006000011234567890189") == "FR76 **** **** **** **** ***0 189"


def test_a_list_period_is_in_order_and_bounded():
    with pytest.raises(InvalidEmployeeCriterion) as refused:
        EmployeeListing.checked(date(2026, 2, 1), date(2026, 1, 1), False)
    assert refused.value.field == "end"
    with pytest.raises(InvalidEmployeeCriterion):
        EmployeeListing.checked(date(2016, 1, 1), date(2026, 1, 1), False)


def test_a_name_with_control_characters_is_refused():
    with pytest.raises(InvalidEmployeeCriterion) as refused:
        EmployeeSearch.checked(DIGEST, as_of=DAY, last_name="Dur\x00and")
    assert refused.value.field == "last_name"
