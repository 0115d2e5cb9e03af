"""What routes may ask for with FastAPI `Depends`, as placeholders that the `Service` binds to the
adapters its bootstrap chose (`app.dependency_overrides`). A route never builds an adapter itself."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request

from extranet_plumbing.auth import InvalidToken, Principal, TokenVerifier
from extranet_plumbing.uow import UnitOfWork

if TYPE_CHECKING:
    from extranet_plumbing.service import Service


class NotWired(RuntimeError):
    """A placeholder dependency that the service's bootstrap did not bind."""


def service() -> "Service":
    raise NotWired("service")


def unit_of_work() -> UnitOfWork:
    raise NotWired("unit_of_work")


def token_verifier() -> TokenVerifier:
    raise NotWired("token_verifier: give the Service a verifier")


def bearer_token(request: Request) -> str:
    """The bearer token of the request, or a 401 problem."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Authentication required.")
    return token.strip()


def principal(token: Annotated[str, Depends(bearer_token)], verifier: Annotated[TokenVerifier, Depends(token_verifier)]) -> Principal:
    """Who asks, from a verified access token; a 401 problem otherwise."""
    try:
        return verifier.verify(token)
    except InvalidToken:
        raise HTTPException(401, "Invalid or expired token.") from None


Who = Annotated[Principal, Depends(principal)]
Token = Annotated[str, Depends(bearer_token)]


def provide(value: Any):
    """A dependency override that always gives `value` (bootstrap's chosen adapter)."""
    return lambda: value
