"""The platform assembled for system tests: identity, portfolio, claims and the gateway, each with its
real lifespan (database schema, Kafka consumers), talking HTTP in-process through the gateway."""

from __future__ import annotations

import contextlib
import functools

import asyncpg
import httpx
import pytest

from claims.bootstrap import bootstrap as claims_bootstrap
from claims.settings import ClaimsSettings
from enrollment.bootstrap import bootstrap as enrollment_bootstrap
from enrollment.settings import EnrollmentSettings
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.read_cache import VERSION_PATH
from extranet_plumbing.service import Service
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.settings import GatewaySettings
from identity.adapters.captcha import TestCaptchaVerifier
from identity.bootstrap import bootstrap as identity_bootstrap
from identity.entrypoints.admin import set_login
from identity.settings import IdentitySettings
from legacy_simulator.decisions import deciding
from portfolio.bootstrap import bootstrap as portfolio_bootstrap
from portfolio.settings import PortfolioSettings


class Recorded:
    """An ASGI app that notes the path of every HTTP request it receives (what reached a service)."""

    def __init__(self, name: str, app, seen: list[tuple[str, str, str]]) -> None:
        self.name, self.app, self.seen = name, app, seen

    async def __call__(self, scope, receive, send) -> None:
        # The gateway's own follow-up of a read model's version (gateway.kept) is not a caller's request.
        if scope["type"] == "http" and scope["path"] != VERSION_PATH:
            self.seen.append((self.name, scope["method"], scope["path"]))
        await self.app(scope, receive, send)


class Platform:
    """The running services (`Service`s, their `.app`, `.pool`), a client of the gateway's app, a
    client of portfolio's internal API (to show what a direct call gets), the tenant, and every
    (service, method, path) the gateway called (`upstream_calls`)."""

    def __init__(
        self,
        *,
        gateway: httpx.AsyncClient,
        gateway_service: Service,
        identity: Service,
        identity_settings: IdentitySettings,
        portfolio: Service,
        portfolio_client: httpx.AsyncClient,
        tenant: str,
        upstream_calls: list[tuple[str, str, str]],
        claims: Service | None = None,
        enrollment: Service | None = None,
    ) -> None:
        self.gateway, self.gateway_service = gateway, gateway_service
        self.claims = claims
        self.enrollment = enrollment
        self.identity, self._identity_settings = identity, identity_settings
        self.portfolio, self.portfolio_client = portfolio, portfolio_client
        self.tenant = tenant
        self.upstream_calls = upstream_calls

    async def create_broker_login(self, broker_code: str, password: str) -> None:
        """What `identity-admin create-broker-login` does."""
        await set_login(
            self._identity_settings,
            tenant=self.tenant,
            kind="broker",
            identifier=broker_code,
            password=password,
            scope={"broker_code": broker_code},
        )

    async def account_token(self, portal: str, kind: str, identifier: str, password: str, scope: dict) -> str:
        """An account made as `identity-admin` would (any kind), logged in through the gateway on its portal,
        the terms of use accepted (with the health data consent for a member): its access token."""
        await set_login(self._identity_settings, tenant=self.tenant, kind=kind, identifier=identifier, password=password, scope=scope)
        login = await self.gateway.post("/api/auth/login", json={"portal": portal, "identifier": identifier, "password": password})
        assert login.status_code == 200, login.text
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        version = (await self.gateway.get("/api/auth/terms", headers=auth)).json()["version"]
        accepted = await self.gateway.post(
            "/api/auth/terms/accept", json={"version": version, "health_data_consent": kind == "member"}, headers=auth
        )
        assert accepted.status_code == 200, accepted.text
        return accepted.json()["access_token"]

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
    portfolio = portfolio_bootstrap(PortfolioSettings(**service_env), verifier=verifier)
    identity_settings = IdentitySettings(
        **{**service_env, "db_schema": service_env["db_schema"] + "_identity", "jwt_private_key_file": jwt_keys.private_file}
    )
    identity = identity_bootstrap(identity_settings, verifier=verifier, captcha=TestCaptchaVerifier())
    # The member portal's reimbursements: so that every route of the gateway has its service (the fuzzer calls them all).
    claims = claims_bootstrap(ClaimsSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_claims"}), verifier=verifier)
    # The request engine: every portal's requests and the back office's (issue 11).
    enrollment = enrollment_bootstrap(
        EnrollmentSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_enrollment"}), verifier=verifier
    )
    upstream_calls: list[tuple[str, str, str]] = []
    gateway = gateway_bootstrap(
        # Its credential and Kafka (the revoked sessions of the test's identity.sessions) from service_env.
        GatewaySettings(**{**service_env, "default_tenant": "mbtp"}),
        transports={
            name: httpx.ASGITransport(Recorded(name, service.app, upstream_calls))
            for name, service in (("identity", identity), ("portfolio", portfolio), ("claims", claims), ("enrollment", enrollment))
        },
    )
    async with contextlib.AsyncExitStack() as stack:
        for service in (portfolio, claims, enrollment, identity, gateway):
            await stack.enter_async_context(service.running())
        client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(gateway.app), base_url="http://gateway"))
        portfolio_client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(portfolio.app), base_url="http://portfolio")
        )
        yield Platform(
            gateway=client,
            gateway_service=gateway,
            identity=identity,
            identity_settings=identity_settings,
            portfolio=portfolio,
            portfolio_client=portfolio_client,
            tenant="mbtp",
            upstream_calls=upstream_calls,
            claims=claims,
            enrollment=enrollment,
        )
    conn = await asyncpg.connect(infra.database_url)
    try:
        for schema in (portfolio.schema, identity.schema, claims.schema, enrollment.schema):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def legacy_system(infra, service_env):
    """The simulated legacy system deciding this test's requests while a block runs (`legacy_simulator.decisions.deciding`
    on this test's topics): `async with legacy_system("accept"):`, or with rules such as "GuaranteeChangeRequested=advisor"."""
    return functools.partial(deciding, bootstrap=infra.kafka_bootstrap, topic_prefix=service_env["topic_prefix"])
