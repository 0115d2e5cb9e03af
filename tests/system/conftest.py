"""The platform assembled for system tests: identity, portfolio and the gateway, each with its
real lifespan (database schema, Kafka consumers), talking HTTP in-process through the gateway."""

from __future__ import annotations

import contextlib

import asyncpg
import httpx
import pytest

from extranet_plumbing.auth import TokenVerifier
from gateway.app import create_app as gateway_app
from gateway.settings import GatewaySettings
from identity.adapters import accounts
from identity.adapters.captcha import TestCaptchaVerifier
from identity.adapters.security import hash_password
from identity.entrypoints.http import create_app as identity_app
from identity.settings import IdentitySettings
from portfolio.bootstrap import bootstrap as portfolio_bootstrap
from portfolio.settings import PortfolioSettings


class Platform:
    def __init__(self, gateway: httpx.AsyncClient, identity, portfolio, portfolio_client: httpx.AsyncClient, tenant: str) -> None:
        self.gateway, self.identity, self.portfolio, self.portfolio_client, self.tenant = (
            gateway,
            identity,
            portfolio,
            portfolio_client,
            tenant,
        )

    async def create_broker_login(self, broker_code: str, password: str) -> None:
        """What `identity-admin create-broker-login` does."""
        async with self.identity.state.runtime.pool.acquire() as conn:
            account = await accounts.account_by_identifier(conn, self.tenant, "broker", broker_code) or await accounts.create_account(
                conn, tenant=self.tenant, kind="broker", identifier=broker_code, scope={"broker_code": broker_code}
            )
            await accounts.update_account(conn, account["id"], password_hash=await hash_password(password), status="active")

    async def login(self, broker_code: str, password: str, *, accept_terms: bool = True) -> str:
        """Log in through the gateway and, as a first login requires, accept the terms of use."""
        response = await self.gateway.post("/api/auth/login", json={"portal": "broker", "identifier": broker_code, "password": password})
        assert response.status_code == 200, response.text
        tokens = response.json()
        if not (accept_terms and tokens["terms_pending"]):
            return tokens["access_token"]
        auth = {"authorization": f"Bearer {tokens['access_token']}"}
        version = (await self.gateway.get("/api/auth/terms", headers=auth)).json()["version"]
        accepted = await self.gateway.post("/api/auth/terms/accept", json={"version": version}, headers=auth)
        assert accepted.status_code == 200, accepted.text
        return accepted.json()["access_token"]


@pytest.fixture
async def platform(infra, service_env, jwt_keys):
    verifier = TokenVerifier(jwt_keys.public_pem)
    portfolio_service = portfolio_bootstrap(PortfolioSettings(**service_env), verifier=verifier)
    portfolio = portfolio_service.app
    identity = identity_app(
        IdentitySettings(
            **{**service_env, "db_schema": service_env["db_schema"] + "_identity", "jwt_private_key_file": jwt_keys.private_file}
        ),
        verifier=verifier,
        captcha=TestCaptchaVerifier(),
    )
    gateway = gateway_app(
        GatewaySettings(jwt_public_key_file=jwt_keys.public_file, default_tenant="mbtp"),
        transports={"identity": httpx.ASGITransport(identity), "portfolio": httpx.ASGITransport(portfolio)},
    )
    async with contextlib.AsyncExitStack() as stack:
        for app in (portfolio, identity, gateway):
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(gateway), base_url="http://gateway"))
        portfolio_client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(portfolio), base_url="http://portfolio")
        )
        yield Platform(client, identity, portfolio_service, portfolio_client, "mbtp")
    conn = await asyncpg.connect(infra.database_url)
    try:
        for schema in (portfolio_service.schema, identity.state.runtime.schema):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()
