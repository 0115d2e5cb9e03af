"""Identity routes of every portal (login, sessions, activation, terms of use, password, self-care),
forwarded to the identity service as they are. The gateway adds who asks from where: the client's
address (for throttling) and the portal's tenant."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response

from extranet_plumbing.logging import get_logger

log = get_logger(__name__)
FORWARDED_AREAS = ("auth", "members", "me")
_HOP_HEADERS = ("authorization", "content-type", "accept", "accept-language")


async def forward(request: Request, area: str, path: str = "") -> Response:
    client: httpx.AsyncClient = request.app.state.identity_http
    tenant = request.query_params.get("tenant") or request.app.state.settings.default_tenant
    headers = {name: value for name, value in request.headers.items() if name.lower() in _HOP_HEADERS}
    headers["x-tenant"] = tenant
    if request.client:
        headers["x-client-ip"] = request.client.host
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "tenant"]
    target = f"/public/{area}" + (f"/{path}" if path else "")
    try:
        upstream = await client.request(request.method, target, params=query, content=await request.body(), headers=headers)
    except httpx.HTTPError as exc:
        log.error("upstream unreachable", upstream="identity", error_class=type(exc).__name__)
        return Response(
            '{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"Le service est momentanément indisponible."}',
            status_code=503,
            media_type="application/problem+json",
        )
    passthrough = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "www-authenticate")}
    return Response(upstream.content, status_code=upstream.status_code, headers=passthrough)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    methods = ["GET", "POST", "PUT", "DELETE"]
    for area in FORWARDED_AREAS:

        async def area_root(request: Request, _area: str = area) -> Response:
            return await forward(request, _area)

        async def area_path(request: Request, path: str, _area: str = area) -> Response:
            return await forward(request, _area, path)

        routes.add_api_route(f"/api/{area}", area_root, methods=methods)
        routes.add_api_route(f"/api/{area}/{{path:path}}", area_path, methods=methods)
    return routes
