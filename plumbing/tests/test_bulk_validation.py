"""The consumer's faster validation accepts and refuses exactly what the models do, with the same errors."""

from __future__ import annotations

import json
import random
import string
from datetime import date
from typing import Any

import pytest
import stdnum.fr.nir
import stdnum.iban
from pydantic import ValidationError

from extranet_contracts import Event
from extranet_contracts.catalogue import CATALOGUE
from extranet_contracts.legacy import BrokerRegistered, CompanyRegistered, MemberAffiliated
from extranet_contracts.testing import broker_registered, member_affiliated
from extranet_plumbing.bulk_validation import _models_in, _substitutes, validator_for
from extranet_plumbing.deadletter import describe
from legacy_simulator.generator import generate
from legacy_simulator.sizes import SizeSpec

BANK = {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP879", "holder": "Léa DURAND"}


def outcome(validate, data: bytes | str) -> tuple:
    try:
        event = validate(data)
    except ValidationError as exc:
        return "refused", exc.title, json.loads(exc.json(include_url=False)), describe(exc)
    return "accepted", type(event), event.model_dump(), event.model_dump(exclude_unset=True)


def assert_same(model: type[Event], data: bytes | str) -> str:
    fast, slow = outcome(validator_for(model), data), outcome(model.model_validate_json, data)
    assert fast == slow
    return fast[0]


def affiliation(*, nir: str = "285057800608441", iban: str = BANK["iban"], email: Any = "lea.durand@orange.fr") -> str:
    values = member_affiliated().model_dump(mode="json")
    values["primary"]["nir"] = nir
    values["dependants"][0]["nir"] = nir
    values["benefits_bank_details"] = {**BANK, "iban": iban}
    values["email"] = email
    return json.dumps(values, ensure_ascii=False)


def test_the_short_paths_are_set_up_for_the_legacy_contracts():
    assert len(_substitutes()) == 3  # NIR, IBAN, email
    for model in (MemberAffiliated, BrokerRegistered, CompanyRegistered):
        assert validator_for(model) != model.model_validate_json
    assert all(model.__pydantic_complete__ for model in _models_in(MemberAffiliated.__pydantic_core_schema__))


def test_every_event_of_a_simulated_portfolio_is_read_the_same_way():
    events = list(generate(SizeSpec("custom", brokers=3, companies=30, insured=1500), seed=11, tenant="mbtp", today=date(2026, 6, 30)))
    for _, event in events:
        assert assert_same(type(event), event.model_dump_json()) == "accepted"
    assert {type(event) for _, event in events} >= {MemberAffiliated, BrokerRegistered, CompanyRegistered}


def _nir(body: str) -> str:
    return body + stdnum.fr.nir.calc_check_digits(body)


@pytest.mark.parametrize(
    "nir",
    [
        "285057800608441",  # valid
        "285057800608442",  # wrong key
        _nir("185052A123456"),  # Corsica: letters, the original path
        _nir("185052B123456"),
        _nir("185052A123456").replace("2A", "2a"),
        "2 85 05 78 006 084 41",  # spaces: the original compacts it
        "285.057.800.608.441",
        "28505780060844",  # too short
        "2850578006084411",  # too long
        "２８５０５７８００６０８４４１",  # full-width digits
        "",
    ],
)
def test_a_nir_is_judged_the_same_way(nir):
    assert_same(MemberAffiliated, affiliation(nir=nir))


def _iban(country: str, bban: str) -> str:
    return country + stdnum.iban.calc_check_digits(country + "00" + bban) + bban


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630006000011234567890189",  # valid
        "FR7630006000011234567890188",  # wrong checksum
        "fr7630006000011234567890189",  # lower case: compacted by the original
        "FR76 3000 6000 0112 3456 7890 189",
        "FR76-3000-6000-0112-3456-7890-189",
        _iban("FR", "A" * 23),  # checksum right, structure wrong
        _iban("FR", "3000600001123456789018"),  # one digit short
        "DE89370400440532013000",
        "GB82WEST12345698765432",  # letters in the BBAN
        "BE68539007547034",  # Belgium: stdnum checks more, the original path
        "BE68539007547035",
        "ES9121000418450200051332",
        _iban("ZZ", "12345678901234"),  # no such country
        "FR",
        "",
    ],
)
def test_an_iban_is_judged_the_same_way(iban):
    assert_same(MemberAffiliated, affiliation(iban=iban))


@pytest.mark.parametrize(
    "email",
    [
        "lea.durand@orange.fr",
        "lea.durand@orange.fr",  # the domain is known by now
        "other.person+tag@orange.fr",
        "Lea.Durand@orange.fr",  # upper case: the original path
        "lea.durand@Orange.FR",
        "  lea.durand@orange.fr  ",
        "Léa Durand <lea.durand@orange.fr>",
        '"lea durand"@orange.fr',
        "lea..durand@orange.fr",
        ".lea@orange.fr",
        "lea@orange",
        "lea@localhost.localdomain",
        "lea@example.invalid",
        "lea@example.invalid",  # refused twice: never remembered
        "lea@ab--cd.fr",
        "lea@-orange.fr",
        "lea@xn--bcher-kva.fr",  # Punycode: the original path
        "lea@bücher.fr",
        "léa@orange.fr",
        "postmaster@orange.fr",
        "x" * 64 + "@orange.fr",
        "x" * 65 + "@orange.fr",  # longer than 64 before the @: the original path
        "x" * 64 + "@" + ".".join(["a" * 60] * 3) + ".fr",  # too long as a whole
        "lea@" + "a" * 64 + ".fr",  # a label longer than 63
        "lea@orange.fr@orange.fr",
        "",
        None,
    ],
)
def test_an_email_is_judged_the_same_way(email):
    assert_same(MemberAffiliated, affiliation(email=email))
    broker = broker_registered().model_dump(mode="json")
    assert_same(BrokerRegistered, json.dumps({**broker, "email": email}, ensure_ascii=False))


def test_random_values_are_judged_the_same_way():
    rng = random.Random(2026)
    local_chars, domain_chars = string.ascii_letters + string.digits + "._+-é", string.ascii_lowercase + string.digits + ".-"
    for _ in range(400):
        digits = "".join(rng.choice(string.digits) for _ in range(13))
        nir = digits + rng.choice([stdnum.fr.nir.calc_check_digits(digits), f"{rng.randrange(100):02d}"])
        country = rng.choice(["FR", "DE", "IT", "GB", "BE", "MC", "XX"])
        bban = "".join(rng.choice(string.digits + "AB") for _ in range(rng.randrange(8, 28)))
        iban = rng.choice([_iban(country, bban), country + f"{rng.randrange(100):02d}" + bban])
        local = "".join(rng.choice(local_chars) for _ in range(rng.randrange(1, 12)))
        domain = "".join(rng.choice(domain_chars) for _ in range(rng.randrange(1, 12))) + rng.choice([".fr", ".com", "", ".invalid"])
        assert_same(MemberAffiliated, affiliation(nir=nir, iban=iban, email=f"{local}@{domain}"))


def test_values_that_are_not_even_json_are_refused_the_same_way():
    for model in CATALOGUE.values():
        for data in (b"", b"{", b"[]", b'{"revision": 1}', "{}"):
            assert assert_same(model, data) == "refused"
