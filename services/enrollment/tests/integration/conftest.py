"""The enrollment service started on the real Kafka and PostgreSQL of the shared pytest plugin (its clock
fixed: the tenant's windows are counted from 1 December 2026), its schema dropped once it has stopped."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime

import asyncpg
import httpx
import jwt
import pytest

from enrollment.bootstrap import bootstrap
from enrollment.settings import EnrollmentSettings
from extranet_plumbing.testing import GATEWAY_HEADERS

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
COMPANY = "12345678"


@contextlib.asynccontextmanager
async def running(service_env, infra, clock, **settings):
    """The service started with `clock` (and `settings` over service_env's); its schema dropped once it has stopped."""
    service = bootstrap(EnrollmentSettings(**{**service_env, **settings}), clock=clock)
    async with service.running():
        yield service
    conn = await asyncpg.connect(infra.database_url)  # once stopped: its consumers read the schema until then
    try:
        await conn.execute(f"DROP SCHEMA {service.schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def enrollment(service_env, infra):
    async with running(service_env, infra, lambda: NOW) as service:
        yield service


@pytest.fixture
async def api(enrollment):
    """The service's internal API, called as the gateway calls it (its credential; the user's token per request)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(enrollment.app), base_url="http://enrollment", headers=GATEWAY_HEADERS
    ) as client:
        yield client


@pytest.fixture
def tokens(jwt_keys):
    """`tokens(kind, scope, ...)`: the authorization header of an access token; `tokens.correspondent(contracts)` one of company 12345678."""

    class Tokens:
        def __call__(self, kind: str, scope: dict, **options) -> dict[str, str]:
            return bearer(jwt_keys, kind, scope, **options)

        def correspondent(self, contracts="all", **options) -> dict[str, str]:
            return correspondent(jwt_keys, contracts, **options)

    return Tokens()


def bearer(jwt_keys, kind: str, scope: dict, *, subject: str = "account-1", terms_ok: bool = True, tenant: str = "mbtp") -> dict[str, str]:
    now = int(time.time())
    body = {
        "iss": "extranet-identity",
        "aud": "extranet",
        "sub": subject,
        "typ": "access",
        "kind": kind,
        "tenant": tenant,
        "scope": scope,
        "iat": now,
        "exp": now + 600,
        "terms_ok": terms_ok,
    }
    return {"authorization": f"Bearer {jwt.encode(body, jwt_keys.private_pem, algorithm='EdDSA')}"}


def correspondent(jwt_keys, contracts="all", *, company: str = COMPANY, subject: str = "corr-1") -> dict[str, str]:
    return bearer(
        jwt_keys, "correspondent", {"company_code": company, "contracts": contracts, "primary": contracts == "all"}, subject=subject
    )
