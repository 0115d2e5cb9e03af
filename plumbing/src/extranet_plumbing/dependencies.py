"""What routes may ask for with FastAPI `Depends`, as placeholders (`Placeholder`) that the `Service`
binds to the adapters its bootstrap chose. A route never builds an adapter itself.

Every dependency here is a coroutine function: FastAPI runs a plain function in its thread pool,
which costs a thread hop per dependency and per request.

Also the checks every service shares: who asks (a verified access token of a session that has not
been revoked) and which platform component calls (the gateway's or an operator's credential, in
`X-Service-Credential`, compared in constant time)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import hmac
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request

from extranet_plumbing.auth import InvalidToken, Principal, TokenVerifier
from extranet_plumbing.revocations import RevocationList

if TYPE_CHECKING:
    from extranet_plumbing.service import Service
    from extranet_plumbing.settings import ServiceSettings

SERVICE_CREDENTIAL_HEADER = "X-Service-Credential"
GATEWAY = "gateway"
OPERATOR = "operator"
CREDENTIAL_REQUIRED = "Authentification de service requise."
GATEWAY_ONLY = "Seule la passerelle peut indiquer le tenant et l'adresse du client."
OPERATOR_ONLY = "Réservé au système de gestion de la mutuelle."


class NotWired(RuntimeError):
    """A placeholder dependency that the service's bootstrap did not bind."""


# Where a `Service` keeps its bindings, on its FastAPI app's state: {placeholder: provider}.
BINDINGS = "placeholder_bindings"


class Placeholder:
    """A dependency routes ask for (`Depends(placeholder)`), bound by the `Service` to a provider its
    bootstrap chose: a coroutine function without parameters (`provide(value)`, or a factory). Each app
    has its own bindings (a test process runs several services), looked up in its state: a dictionary
    read per request. (FastAPI's `app.dependency_overrides` does the same, but while any override is
    set, FastAPI analyses every dependency of a route again on every request: signatures, pydantic
    adapters, measured at 0.8 ms of the 4 ms of a company's detail in the portfolio service; it stays
    free for tests.)"""

    def __init__(self, name: str) -> None:
        self.name = self.__name__ = name

    async def __call__(self, request: Request) -> Any:
        provider = getattr(request.app.state, BINDINGS, {}).get(self)
        if provider is None:
            raise NotWired(self.name)
        return await provider()

    def __repr__(self) -> str:
        return f"Placeholder({self.name!r})"


service = Placeholder("service")
unit_of_work = Placeholder("unit_of_work")
token_verifier = Placeholder("token_verifier: give the Service a verifier")
revocation_list = Placeholder("revocation_list: give the Service a verifier")


async def bearer_token(request: Request) -> str:
    """The bearer token of the request, or a 401 problem."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Authentication required.")
    return token.strip()


async def principal(request: Request) -> Principal:
    """Who asks, from a verified access token of a session still open; a 401 problem otherwise.
    One dependency without sub-dependencies (the token, the verifier and the revocations read here):
    FastAPI's cost grows with each dependency solved, on every request of every route."""
    token = await bearer_token(request)
    verifier: TokenVerifier = await token_verifier(request)
    revocations: RevocationList = await revocation_list(request)
    try:
        who = verifier.verify(token)
    except InvalidToken:
        raise HTTPException(401, "Invalid or expired token.") from None
    if revocations.is_revoked(who):
        raise HTTPException(401, "Session terminée. Reconnectez-vous.")
    return who


Who = Annotated[Principal, Depends(principal)]
Token = Annotated[str, Depends(bearer_token)]


# --- service-to-service -----------------------------------------------------------------------------


def caller_of(settings: "ServiceSettings", presented: str | None) -> str | None:
    """`gateway` or `operator` for a credential that is one of theirs, None otherwise (constant time)."""
    if not presented:
        return None
    given = presented.encode()
    found = None
    for name, secret in ((GATEWAY, settings.gateway_credential), (OPERATOR, settings.operator_credential)):
        # Both compared whatever the first gives: the time does not tell which one matched.
        if secret is not None and secret.get_secret_value() and hmac.compare_digest(given, secret.get_secret_value().encode()):
            found = found or name
    return found


async def calling_component(request: Request) -> str | None:
    """The platform component that calls (`gateway`, `operator`), or None for anyone else."""
    owner: Service = await service(request)
    return caller_of(owner.settings, request.headers.get(SERVICE_CREDENTIAL_HEADER))


async def service_caller(request: Request) -> str:
    """Only a platform component (the gateway, an operator's tool): a 401 problem otherwise. Every
    `/internal/*` route of every service depends on it (the `Service` adds it)."""
    caller = await calling_component(request)
    if caller is None:
        raise HTTPException(401, CREDENTIAL_REQUIRED)
    return caller


def require_gateway(caller: str | None) -> str:
    """Only the gateway: what it says of the client (tenant, address) is believed from it alone."""
    if caller is None:
        raise HTTPException(401, CREDENTIAL_REQUIRED)
    if caller != GATEWAY:
        raise HTTPException(403, GATEWAY_ONLY)
    return caller


async def gateway_caller(request: Request) -> str:
    """Only the gateway (`require_gateway`), as a dependency."""
    return require_gateway(await calling_component(request))


async def operator_caller(request: Request) -> str:
    """Only an operator's tool (the legacy system's back office): not the gateway, which acts for the portals' users."""
    caller = await calling_component(request)
    if caller is None:
        raise HTTPException(401, CREDENTIAL_REQUIRED)
    if caller != OPERATOR:
        raise HTTPException(403, OPERATOR_ONLY)
    return caller


Caller = Annotated[str | None, Depends(calling_component)]
ServiceCaller = Annotated[str, Depends(service_caller)]
GatewayCaller = Annotated[str, Depends(gateway_caller)]
OperatorCaller = Annotated[str, Depends(operator_caller)]


def provide(value: Any):
    """A dependency override that always gives `value` (bootstrap's chosen adapter). A coroutine
    function: FastAPI runs a plain one in its thread pool, a hop per request for nothing."""

    async def provided() -> Any:
        return value

    return provided


def bind(app: Any, bindings: Mapping[Callable[..., Any], Callable[..., Any]]) -> None:
    """Bind each placeholder of `bindings` to its provider for `app` (the `Service` does it). A key that
    is a plain function rather than a `Placeholder` becomes an `app.dependency_overrides` entry, which
    works but makes every request of the app slower (see `Placeholder`): make it a `Placeholder`."""
    bound = getattr(app.state, BINDINGS, None)
    if bound is None:
        bound = {}
        setattr(app.state, BINDINGS, bound)
    for placeholder, provider in bindings.items():
        if not inspect.iscoroutinefunction(provider) or inspect.signature(provider).parameters:
            raise TypeError(f"{placeholder!r}: bind a coroutine function without parameters (provide(value))")
        if isinstance(placeholder, Placeholder):
            bound[placeholder] = provider
        else:
            app.dependency_overrides[placeholder] = provider
