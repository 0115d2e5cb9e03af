"""Typed client of the identity service: one call per entry of `identity.api.PUBLIC_ROUTES`, whose
answer is validated against the entry's response model. The client sets `X-Tenant`, `X-Client-IP`
and the bearer token only where the entry says so."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from gateway.clients.base import ServiceClient, segment
from identity.api import Route

_PARAMETER = re.compile(r"\{(\w+)\}")


def path_parameters(route: Route) -> list[str]:
    """The names of the route's path parameters, in order."""
    return _PARAMETER.findall(route.path)


def upstream_path(route: Route, parameters: Mapping[str, str]) -> str:
    """Identity's path for the route, each parameter quoted as one segment."""
    return "/public" + _PARAMETER.sub(lambda m: segment(parameters[m.group(1)]), route.path)


class IdentityClient(ServiceClient):
    async def call(
        self,
        route: Route,
        *,
        parameters: Mapping[str, str] | None = None,
        body: BaseModel | None = None,
        query: BaseModel | None = None,
        token: str | None = None,
        tenant: str | None = None,
        client_ip: str | None = None,
    ) -> Any:
        """The route's answer as its response model (None for an answer without body)."""
        headers = {}
        if route.tenant and tenant is not None:
            headers["x-tenant"] = tenant
        if route.client_ip and client_ip is not None:
            headers["x-client-ip"] = client_ip
        return await self.request(
            route.method,
            upstream_path(route, parameters or {}),
            route=f"{route.method} {route.path}",
            model=route.response,
            token=token if route.authenticated else None,
            headers=headers,
            json_body=body.model_dump(mode="json", exclude_unset=True) if body is not None else None,
            params=query.model_dump(mode="json", exclude_none=True) if query is not None else None,
        )
