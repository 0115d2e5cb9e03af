"""Service to service: a service believes the portal's tenant and the client's address from the
gateway alone (its credential), `/internal/*` answers the platform's components only (the gateway,
an operator's tool), and `/health/*` and `/metrics` stay open unless configured otherwise. Through
the gateway everything works as before (the other system tests)."""

from __future__ import annotations

import httpx
import pytest

from extranet_plumbing.testing import GATEWAY_HEADERS, OPERATOR_HEADERS, wait_until
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.settings import NotificationsSettings
from portfolio.bootstrap import bootstrap as portfolio_bootstrap
from portfolio.settings import PortfolioSettings

LOGIN = {"portal": "broker", "identifier": "M42001", "password": "Courtier-Test-2026"}


async def ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/health/ready")).status_code == 200


def client_of(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://service")


async def test_identity_refuses_a_tenant_or_client_address_not_given_by_the_gateway(platform):
    async with client_of(platform.identity.app) as identity:
        help_path = "/public/auth/identifier-help?portal=broker"
        forged = await identity.get(help_path, headers={"X-Tenant": "mbtp"})
        assert forged.status_code == 401 and forged.headers["content-type"] == "application/problem+json"
        wrong = await identity.get(help_path, headers={"X-Tenant": "mbtp", "X-Service-Credential": "guess"})
        assert wrong.status_code == 401
        operator = await identity.get(help_path, headers={"X-Tenant": "mbtp", **OPERATOR_HEADERS})
        assert operator.status_code == 403  # an operator's tool is not the gateway
        assert (await identity.get(help_path, headers={"X-Tenant": "mbtp", **GATEWAY_HEADERS})).status_code == 200
        # A forged client address would choose the throttling bucket: refused before any attempt counts.
        spoofed = await identity.post("/public/auth/login", json=LOGIN, headers={"X-Tenant": "mbtp", "X-Client-IP": "198.51.100.9"})
        assert spoofed.status_code == 401 and spoofed.headers["content-type"] == "application/problem+json"
        by_operator = {"X-Tenant": "mbtp", "X-Client-IP": "198.51.100.9", **OPERATOR_HEADERS}
        assert (await identity.post("/public/auth/login", json=LOGIN, headers=by_operator)).status_code == 403
    # Through the gateway the same route works.
    assert (await platform.gateway.get("/api/auth/identifier-help", params={"portal": "broker"})).status_code == 200


async def test_internal_routes_answer_the_platform_only(platform):
    services = {"identity": platform.identity.app, "portfolio": platform.portfolio.app}
    for name, app in services.items():
        async with client_of(app) as client:
            assert (await client.get("/internal/stats")).status_code == 401, name
            assert (await client.get("/internal/stats", headers={"X-Service-Credential": "guess"})).status_code == 401, name
            assert (await client.get("/internal/stats", headers=OPERATOR_HEADERS)).status_code == 200, name
            await wait_until(lambda client=client: ready(client))  # open, and ready once the revocations are read
            assert (await client.get("/metrics")).status_code == 200, name
    async with client_of(platform.portfolio.app) as portfolio:
        assert (await portfolio.get("/internal/brokers/M42001/dashboard")).status_code == 401


@pytest.mark.parametrize("service", ["portfolio", "notifications"])
async def test_internal_stats_and_private_metrics_need_a_credential(service, service_env):
    env = {**service_env, "metrics_public": False, "session_revocations": False}
    if service == "portfolio":
        app = portfolio_bootstrap(PortfolioSettings(**env)).app
    else:
        app = notifications_bootstrap(NotificationsSettings(**env)).app
    async with client_of(app) as client:
        assert (await client.get("/internal/stats")).status_code == 401
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers=OPERATOR_HEADERS)).status_code == 200
        assert (
            await client.get("/metrics", headers={"authorization": f"Bearer {OPERATOR_HEADERS['X-Service-Credential']}"})
        ).status_code == 200
        assert (await client.get("/health/live")).status_code == 200


async def test_no_credential_configured_means_no_internal_access(service_env):
    env = {**service_env, "gateway_credential": None, "operator_credential": None, "session_revocations": False}
    app = portfolio_bootstrap(PortfolioSettings(**env)).app
    async with client_of(app) as client:
        assert (await client.get("/internal/stats", headers={"X-Service-Credential": ""})).status_code == 401
        assert (await client.get("/internal/stats", headers=OPERATOR_HEADERS)).status_code == 401


async def test_the_api_documentation_is_public_only_where_configured(platform, service_env):
    for name, app in {"gateway": platform.gateway_service.app, "identity": platform.identity.app}.items():
        async with client_of(app) as client:
            for path in ("/openapi.json", "/docs", "/redoc"):
                assert (await client.get(path)).status_code == 401, (name, path)
            assert (await client.get("/openapi.json", headers=OPERATOR_HEADERS)).status_code == 200, name
    env = {**service_env, "api_docs_public": True, "session_revocations": False}
    async with client_of(portfolio_bootstrap(PortfolioSettings(**env)).app) as client:
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/docs")).status_code == 200
