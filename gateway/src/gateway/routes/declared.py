"""The identity routes of the portals, declared from `identity.api.PUBLIC_ROUTES`: one gateway route
per entry (`/api` + the entry's path), with the entry's request model as body (validated here too),
its response model and status, its path parameters (validated by pattern) and its summary, so
that the gateway's OpenAPI shows every route a portal calls. Nothing is forwarded by prefix: a
path that is not declared answers 404 here and never reaches identity.

Each entry belongs to one portal router (`portal_of`); the routers call `declare_identity_routes`."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel

from gateway.clients.identity import path_parameters
from gateway.dependencies import ClientAddress, Identity, PortalTenant, VerifiedToken
from gateway.errors import problem_responses
from identity.api import PUBLIC_ROUTES, Route

# Which portal router serves an entry, by the longest matching path prefix. An entry under a prefix
# not listed here is served by the `auth` router, the one every portal shares: declared all the same.
PORTAL_PREFIXES = {
    "/me/correspondents": "employer",
    "/members": "member",
    "/auth": "auth",
    "/me": "auth",
}

# Path parameters: what each may look like (never `/`, `.` or `%`, so that no value builds another path).
SEGMENT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
PATH_PATTERNS = {"activation_id": r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$"}


class IdentifierHelpQuery(BaseModel):
    portal: Literal["member", "broker", "employer"] = "member"


# Query parameters of the entries that take some (identity.api's table does not declare them yet).
QUERY_MODELS: dict[tuple[str, str], type[BaseModel]] = {("GET", "/auth/identifier-help"): IdentifierHelpQuery}

_INTERNAL_NAMES = {"_identity", "_token", "_tenant", "_client_ip", "_body", "_query"}


def portal_of(route: Route) -> str:
    matching = [p for p in PORTAL_PREFIXES if route.path == p or route.path.startswith(p + "/")]
    return PORTAL_PREFIXES[max(matching, key=len)] if matching else "auth"


def identity_routes(portal: str) -> list[Route]:
    return [route for route in PUBLIC_ROUTES if portal_of(route) == portal]


def query_model(route: Route) -> type[BaseModel] | None:
    return getattr(route, "query", None) or QUERY_MODELS.get((route.method, route.path))


def operation_name(route: Route) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", route.path.lower().replace("{", "by_")).strip("_")
    return f"{route.method.lower()}_{words}"


def endpoint_for(route: Route) -> Callable[..., Any]:
    """An endpoint whose signature FastAPI reads as the entry's contract, and which calls identity."""
    names = path_parameters(route)
    if clash := set(names) & _INTERNAL_NAMES:
        raise ValueError(f"path parameter names reserved by the gateway: {clash}")
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [inspect.Parameter("_identity", keyword, annotation=Identity)]
    if route.authenticated:
        parameters.append(inspect.Parameter("_token", keyword, annotation=VerifiedToken))
    for name in names:
        pattern = PATH_PATTERNS.get(name, SEGMENT_PATTERN)
        parameters.append(inspect.Parameter(name, keyword, annotation=Annotated[str, Path(pattern=pattern)]))
    if route.request is not None:
        parameters.append(inspect.Parameter("_body", keyword, annotation=Annotated[route.request, Body()]))
    if (query := query_model(route)) is not None:
        parameters.append(inspect.Parameter("_query", keyword, annotation=Annotated[query, Query()]))
    if route.tenant:
        parameters.append(inspect.Parameter("_tenant", keyword, annotation=PortalTenant))
    if route.client_ip:
        parameters.append(inspect.Parameter("_client_ip", keyword, annotation=ClientAddress))

    async def endpoint(**given: Any) -> Any:
        answer = await given["_identity"].call(
            route,
            parameters={name: given[name] for name in names},
            body=given.get("_body"),
            query=given.get("_query"),
            token=given.get("_token"),
            tenant=given.get("_tenant"),
            client_ip=given.get("_client_ip"),
        )
        return Response(status_code=route.status) if route.response is None else answer

    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = operation_name(route)
    endpoint.__doc__ = f"Identity: `{route.method} /public{route.path}`."
    return endpoint


def declare_identity_routes(router: APIRouter, portal: str) -> None:
    """Add to `router` (prefix `/api`) the identity routes that belong to `portal`."""
    for route in identity_routes(portal):
        router.add_api_route(
            route.path,
            endpoint_for(route),
            methods=[route.method],
            status_code=route.status,
            response_model=route.response,
            summary=route.summary or None,
            responses=problem_responses(authenticated=route.authenticated),
        )
