"""The MBTP password rules as configured in the tenant registry (guides 000 §1.3-1.4 and 001 §1.2), and argon2id hashing."""

import pytest

from identity.adapters.security import hash_password, verify_password
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
