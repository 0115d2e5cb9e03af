"""The one place where the portals' parts are chosen: the gateway's client (one pooled HTTP client),
the sessions' database (schema `portals`), the sites of the tenant registry, the pages, the static
files (the portals' own and the vendored npm packages) and the error pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from http import HTTPStatus
from pathlib import Path

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from extranet_plumbing.dependencies import provide
from extranet_plumbing.http import problem
from extranet_plumbing.problems import UNEXPECTED_DETAIL
from extranet_plumbing.service import Service
from portals import web
from portals.adapters.gateway import GatewayClient, GatewayUnavailable
from portals.adapters.session_store import PortalsUnitOfWork
from portals.routes import ROUTERS
from portals.settings import PortalsSettings
from portals.tenancy import SiteMiddleware, Sites

MIGRATIONS = Path(__file__).parent / "migrations"
STATIC = Path(__file__).parent / "static"


def bootstrap(
    settings: PortalsSettings | None = None,
    *,
    clock: Callable[[], datetime] = web.now_utc,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Service:
    """`transport` lets a test plug the gateway's app in place of the network."""
    settings = settings or PortalsSettings()
    gateway = GatewayClient(httpx.AsyncClient(base_url=settings.gateway_url, transport=transport, timeout=settings.gateway_timeout_seconds))
    service = Service(
        settings,
        title="Portails (adhérent, courtier, entreprise)",
        schema=settings.db_schema,
        migrations=[MIGRATIONS],
        unit_of_work=PortalsUnitOfWork,
        routers=ROUTERS,
        on_stop=[gateway.close],
    )
    service.app.dependency_overrides.update(
        {
            web.settings: provide(settings),
            web.gateway: provide(gateway),
            web.unit_of_work: provide(service.unit_of_work),
            web.clock: provide(clock),
        }
    )
    app = service.app
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    sites = Sites(settings.tenants_file)
    app.add_middleware(SiteMiddleware, sites=sites)
    app.add_exception_handler(web.Redirect, _redirect)
    app.add_exception_handler(web.NotFound, _not_found)
    app.add_exception_handler(web.FormExpired, _form_expired)
    app.add_exception_handler(GatewayUnavailable, _unavailable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_in(sites))
    return service


def _site_url(request: Request, path: str) -> str:
    site = request.scope.get("state", {}).get("site")
    return site.url(path) if site else path


async def _redirect(request: Request, exc: web.Redirect) -> Response:
    response = RedirectResponse(_site_url(request, exc.path), status_code=303)
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=200, headers={"hx-redirect": _site_url(request, exc.path)})
    return response


def _error_page(request: Request, status: int, title: str, text: str, site=None) -> Response:
    site = site or request.scope.get("state", {}).get("site")
    if site is None:
        return HTMLResponse(f"<!doctype html><html lang=fr><title>{title}</title><h1>{title}</h1><p>{text}</p></html>", status)
    page = web.templates.TemplateResponse(
        request,
        "error.html",
        {"site": site, "look": site.look, "visit": None, "title": title, "text": text, "csrf": ""},
        status_code=status,
    )
    page.headers["content-security-policy"] = web.content_security_policy()
    return page


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """In a portal, a page (404, 405); elsewhere (health, metrics) the platform's problem document."""
    if request.scope.get("state", {}).get("site") is None:
        said = isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase  # not HTTP's English phrase
        return problem(exc.status_code, detail=exc.detail if said else None)
    if exc.status_code == 404:
        return await _not_found(request, web.NotFound())
    return _error_page(request, exc.status_code, "Demande impossible", "Cette action n'est pas disponible sur cette page.")


async def _not_found(request: Request, _exc: web.NotFound) -> Response:
    return _error_page(request, 404, "Page introuvable", "Cette page n'existe pas ou n'est pas disponible dans votre espace.")


async def _form_expired(request: Request, _exc: web.FormExpired) -> Response:
    return _error_page(
        request, 403, "Formulaire expiré", "Ce formulaire a expiré. Revenez à la page précédente, rechargez-la et recommencez."
    )


def _unexpected_in(sites: Sites) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def unexpected(request: Request, exc: Exception) -> Response:
        """A fault of the portal itself (a page that cannot be drawn): the French error page in a portal,
        the platform's problem document elsewhere. Called by plumbing's UnexpectedErrors, which logged the
        error's class and the route's template only (an exception's text may hold what the user typed or what
        the gateway answered) and hands over no more than the class; the portal found again here if need be."""
        site = sites.site(request.headers.get("host", ""), request.url.path)
        if site is None:
            return problem(500, detail=UNEXPECTED_DETAIL)
        return _error_page(
            request,
            500,
            "Erreur technique",
            "Une erreur est survenue de notre côté et votre demande n'a pas abouti. Merci de réessayer dans quelques minutes.",
            site,
        )

    return unexpected


async def _unavailable(request: Request, _exc: GatewayUnavailable) -> Response:
    return _error_page(
        request,
        503,
        "Service momentanément indisponible",
        "Le service ne répond pas pour le moment. Merci de réessayer dans quelques minutes.",
    )
