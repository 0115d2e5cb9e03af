"""The MBTP password rules as configured in the tenant registry (guides 000 §1.3-1.4 and 001 §1.2), NIST's rules (no
common or breached password, nothing of the person), and argon2id hashing."""

from datetime import date

import pytest

from identity.adapters.security import hash_password, verify_password
from identity.domain.passwords import COMMON, PERSONAL, PersonalData, breaches, common_passwords
from identity.domain.tenants import load_tenants

MBTP = load_tenants()["mbtp"]


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Court-2026", None),
        ("Courtier-Demo-2026", None),
        ("Cour-2026", "au moins 10 caractères"),
        ("courtier-2026", "au moins 1 majuscule"),
        ("COURTIER-2026", "au moins 1 minuscule"),
        ("Courtier-Demo", "au moins 1 chiffre"),
        ("Courtier2026x", "au moins 1 caractère spécial parmi ~@_/+!?-:"),
        ("Courtié-2026", "aucun caractère accentué"),
        ("Courtier#2026", "au moins 1 caractère spécial parmi ~@_/+!?-:"),
    ],
)
def test_broker_password_policy(password, problem):
    assert MBTP.password_policy("broker").violations(password) == ([problem] if problem else [])


async def test_passwords_are_stored_as_argon2id_and_verified():
    stored = await hash_password("Courtier-Demo-2026")
    assert stored.startswith("$argon2id$") and "Courtier" not in stored
    assert await verify_password(stored, "Courtier-Demo-2026")
    assert not await verify_password(stored, "Courtier-Demo-2027")
    assert not await verify_password(None, "Courtier-Demo-2026")  # unknown account: same work, refused


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("mutuelle-2026", True),  # lower, digit, special: 3 categories with a digit and a special
        ("MUTUELLE#2026", True),
        ("Mutuelle2026", False),  # no special
        ("mutuelle-abc", False),  # no digit
        ("mutuelle-26", True),
        ("mut-26", False),  # too short
    ],
)
def test_member_password_policy(password, ok):
    problems = MBTP.password_policy("member").violations(password)
    assert (problems == []) is ok, problems


# --- NIST SP 800-63B: no common or breached password, nothing of the person in it (issue 8, item 8) ----

LEA = PersonalData.of(["73000042"], ["Léa DURAND", "DURAND", "Léa"], [date(1985, 5, 12)])


@pytest.mark.parametrize("password", ["Password1!", "motdepasse1!", "P@ssw0rd-2026", "Azerty-123456!", "!Soleil2026", "MARSEILLE-13!"])
def test_common_and_breached_passwords_are_refused_with_their_variants(password):
    assert breaches(password) == [COMMON]


@pytest.mark.parametrize(
    "password",
    [
        "73000042!a1",
        "x-Durand-2026!",
        "lea-7-Orque-Lagon!",
        "Orque-Lagon-12051985!",
        "Orque-Lagon-12/05/1985",
        "Orque-Lagon-1985-05-12",
        "Orque-Lagon-120585!",
    ],
)
def test_passwords_containing_the_identifier_a_name_or_the_birth_date_are_refused(password):
    assert breaches(password, LEA) == [PERSONAL]


@pytest.mark.parametrize("password", ["Quartz-Lagon-2026!", "Courtier-Neuf-2026", "Gestion-2026!x", "Soleil-bleu-2026"])
def test_a_password_of_several_words_or_of_nothing_personal_is_accepted(password):
    assert breaches(password, LEA) == []


def test_the_list_is_shipped_offline_and_large():
    listed = common_passwords()
    assert len(listed) > 40_000 and {"password", "motdepasse", "azerty", "soleil"} <= listed
