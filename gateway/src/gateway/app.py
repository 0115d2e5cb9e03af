"""The gateway's FastAPI application: every route behind a verified access token, except login."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from extranet_plumbing import dependencies
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.http import install_conventions
from gateway.clients import PortfolioClient
from gateway.routes import auth, broker
from gateway.settings import GatewaySettings


def create_app(
    settings: GatewaySettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """`transports` lets tests plug a service's ASGI app in place of the network."""
    settings = settings or GatewaySettings()
    verifier = verifier or TokenVerifier.from_file(settings.jwt_public_key_file)
    transports = transports or {}

    def upstream(name: str, url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=url, transport=transports.get(name), timeout=settings.upstream_timeout_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.identity_http = upstream("identity", settings.identity_url)
        app.state.portfolio = PortfolioClient("portfolio", upstream("portfolio", settings.portfolio_url))
        try:
            yield
        finally:
            await app.state.identity_http.aclose()
            await app.state.portfolio.close()

    app = FastAPI(
        title="Extranet API",
        description="API des portails de la mutuelle : espace courtier, espace adhérent, espace entreprise.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings

    async def always_ready() -> bool:
        return True

    install_conventions(app, {"gateway": always_ready})
    app.include_router(auth.router())
    app.include_router(broker.router())
    app.dependency_overrides[dependencies.token_verifier] = lambda: verifier
    return app
