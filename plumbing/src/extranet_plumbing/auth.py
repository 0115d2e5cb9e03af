"""Access tokens as every service sees them: verification with the public key from configuration,
and the checks of what a principal may see (`extranet_plumbing.dependencies` turns a bearer token into a `Principal`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from fastapi import HTTPException

ISSUER = "extranet-identity"
AUDIENCE = "extranet"
ALGORITHM = "EdDSA"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    """Who asks: the kind of account, its tenant, and what it may see."""

    subject: str
    kind: str  # broker | member | correspondent | operator
    tenant: str
    scope: dict[str, Any] = field(default_factory=dict)
    session_id: str | None = None
    terms_accepted: bool = False  # the tenant's current terms of use, accepted by this account
    issued_at: float | None = None  # when the token was issued (epoch seconds): revocations of "every token before" compare it

    @property
    def broker_code(self) -> str | None:
        return self.scope.get("broker_code") if self.kind == "broker" else None

    @property
    def member_number(self) -> str | None:
        """The household's member number (identity puts it in a member's scope at activation)."""
        number = self.scope.get("member_number") if self.kind == "member" else None
        return number if isinstance(number, str) and number else None


class TokenVerifier:
    """Verifies access tokens (EdDSA signature, issuer, audience, expiry, type). A token already verified
    is recognised by its exact text until it expires, without checking its signature again: an Ed25519
    verification and PyJWT's decoding took about 0.4 ms a request (1 ms on a busy machine), paid by
    the gateway and again by the service it calls. The token's text includes its signature, so only a
    token that passed the full check is ever recognised; revocations are checked on every request by
    the caller (`extranet_plumbing.dependencies.principal`), not here. At most `remembered` tokens are
    kept (the least recently used go first)."""

    def __init__(self, public_key_pem: str | bytes, *, remembered: int = 10_000) -> None:
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remembered = remembered
        # Parsed once: PyJWT would parse a PEM on every verification (a measurable share of a request).
        pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
        try:
            self._key: Any = serialization.load_pem_public_key(pem)
        except ValueError:  # not a key: every token is refused, as PyJWT would refuse them
            self._key = public_key_pem

    @classmethod
    def from_file(cls, path: Path | None) -> TokenVerifier:
        if path is None:
            raise RuntimeError("EXTRANET_JWT_PUBLIC_KEY_FILE is not configured: tokens cannot be verified")
        return cls(Path(path).read_bytes())

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                self._verified.move_to_end(token)
                return known[0]
            del self._verified[token]
        principal, expires = self._check(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        if claims.get("typ") != "access" or not isinstance(claims.get("tenant"), str) or not isinstance(claims.get("kind"), str):
            raise InvalidToken("not an access token")
        principal = Principal(
            subject=claims["sub"],
            kind=claims["kind"],
            tenant=claims["tenant"],
            scope=claims.get("scope") or {},
            session_id=claims.get("sid"),
            terms_accepted=claims.get("terms_ok") is True,
            issued_at=float(claims["iat"]) if isinstance(claims.get("iat"), int | float) else None,
        )
        return principal, float(claims["exp"])


def require_terms(principal: Principal) -> Principal:
    """Portal data is served only once the current terms of use are accepted."""
    if not principal.terms_accepted:
        raise HTTPException(403, "Vous devez accepter les conditions générales d'utilisation.")
    return principal


def require_broker(principal: Principal, broker_code: str | None = None) -> str:
    """The principal's broker code; 403 unless it is a broker (and the one named, if any) who accepted the terms."""
    require_terms(principal)
    if principal.kind != "broker" or not principal.broker_code:
        raise HTTPException(403, "Cette page est réservée aux courtiers.")
    if broker_code is not None and broker_code != principal.broker_code:
        raise HTTPException(403, "Ce portefeuille n'est pas le vôtre.")
    return principal.broker_code


def require_member(principal: Principal, member_number: str | None = None) -> str:
    """The principal's member number; 403 unless it is a member (of the household named, if any) who accepted the terms."""
    require_terms(principal)
    if principal.member_number is None:
        raise HTTPException(403, "Cette page est réservée aux adhérents.")
    if member_number is not None and member_number != principal.member_number:
        raise HTTPException(403, "Ces informations ne sont pas celles de votre foyer.")
    return principal.member_number


@dataclass(frozen=True)
class CorrespondentScope:
    """What a company correspondent may see, from its token: its company, and for a secondary
    correspondent the collective contracts granted to it and, where its account names them, the
    population categories (contract categories) and insured groups (A, P, E, M) it manages, for all its
    contracts (`insured_groups`) or contract by contract (`contract_groups`: a contract not named there
    has all its groups). None: all."""

    company_code: str
    contracts: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    insured_groups: tuple[str, ...] | None = None
    contract_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (contract, its groups), sorted: hashable, a cache key part

    def groups_of(self, contract_number: str | None) -> tuple[str, ...] | None:
        """The insured groups the correspondent manages on that contract (None: all of them)."""
        named = next((groups for contract, groups in self.contract_groups if contract == contract_number), None)
        if named is None:
            return self.insured_groups
        return named if self.insured_groups is None else tuple(g for g in named if g in self.insured_groups)

    def may_see(self, contract_number: str | None, category: str | None = None, insured_group: str | None = None) -> bool:
        groups = self.groups_of(contract_number)
        return (
            (self.contracts is None or contract_number in self.contracts)
            and (self.categories is None or category is None or category in self.categories)
            and (groups is None or insured_group is None or insured_group in groups)
        )


def _granted(value: Any) -> tuple[str, ...] | None:
    """A scope claim's list ("all", or missing: no limit); anything else grants nothing but its strings."""
    if value is None or value == "all":
        return None
    return tuple(sorted({v for v in value if isinstance(v, str)})) if isinstance(value, list | tuple) else ()


def _granted_per_contract(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The `contract_groups` claim ({contract: [groups]}): a contract's value that is not a list grants none of its groups."""
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((k, _granted(v) if isinstance(v, list) else ()) for k, v in value.items() if isinstance(k, str)))


def require_correspondent(principal: Principal) -> CorrespondentScope:
    """What the correspondent may see; 403 unless it is a company correspondent who accepted the terms."""
    require_terms(principal)
    company = principal.scope.get("company_code") if principal.kind == "correspondent" else None
    if not isinstance(company, str) or not company:
        raise HTTPException(403, "Cette page est réservée aux correspondants d'entreprise.")
    return CorrespondentScope(
        company_code=company,
        # A primary correspondent's claim is "all"; a claim missing grants no contract.
        contracts=_granted(principal.scope.get("contracts", ())),
        categories=_granted(principal.scope.get("categories")),
        insured_groups=_granted(principal.scope.get("insured_groups")),
        contract_groups=_granted_per_contract(principal.scope.get("contract_groups")),
    )


def require_operator(principal: Principal) -> str:
    """The operator's account id (back office); 403 for anyone else."""
    require_terms(principal)
    if principal.kind != "operator":
        raise HTTPException(403, "Cette page est réservée aux conseillers de la mutuelle.")
    return principal.subject
