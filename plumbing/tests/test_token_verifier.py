"""TokenVerifier: a token recognised without a second signature check only if it passed the first, and
only until it expires."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from extranet_plumbing.auth import ALGORITHM, AUDIENCE, ISSUER, InvalidToken, TokenVerifier


@pytest.fixture(scope="module")
def keys():
    private = Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public_pem


def token(private, *, ttl: float = 600, **extra) -> str:
    now = time.time()
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "a1", "iat": int(now), "exp": now + ttl, "typ": "access", "kind": "broker"}
    return jwt.encode({"tenant": "mbtp", "scope": {"broker_code": "M12345"}, **claims, **extra}, private, algorithm=ALGORITHM)


def test_a_verified_token_is_recognised_and_gives_the_same_principal(keys):
    private, public_pem = keys
    verifier = TokenVerifier(public_pem)
    issued = token(private)
    first = verifier.verify(issued)
    assert verifier.verify(issued) == first
    assert first.broker_code == "M12345" and first.tenant == "mbtp"


def test_a_token_with_another_signature_is_refused_even_after_the_real_one(keys):
    private, public_pem = keys
    verifier = TokenVerifier(public_pem)
    issued = token(private)
    verifier.verify(issued)
    forged = token(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidToken):
        verifier.verify(forged)
    header, payload, signature = issued.split(".")
    tampered_payload = token(private, kind="operator").split(".")[1]
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{tampered_payload}.{signature}")


def test_a_remembered_token_is_refused_once_expired(keys):
    private, public_pem = keys
    verifier = TokenVerifier(public_pem)
    expires = time.time() + 1
    issued = token(private, ttl=1)
    verifier.verify(issued)
    while time.time() <= expires + 0.01:
        time.sleep(0.05)
    with pytest.raises(InvalidToken):
        verifier.verify(issued)


def test_it_remembers_a_bounded_number_of_tokens(keys):
    private, public_pem = keys
    verifier = TokenVerifier(public_pem, remembered=3)
    for n in range(5):
        verifier.verify(token(private, sub=f"a{n}"))
    assert len(verifier._verified) == 3
