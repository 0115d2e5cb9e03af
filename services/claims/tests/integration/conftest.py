"""The claims service started on the real Kafka and PostgreSQL of the shared pytest plugin, its schema
dropped once it has stopped."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import jwt
import pytest

from claims.bootstrap import bootstrap
from claims.settings import ClaimsSettings

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


async def _running(service_env, infra, **overrides):
    # Statements that came before their household's file announced within a fifth of a second (30 s in production).
    service = bootstrap(ClaimsSettings(**service_env, announcement_sweep_seconds=0.2), **overrides)
    async with service.running():
        yield service
    conn = await asyncpg.connect(infra.database_url)  # once stopped: its consumer reads the schema until then
    try:
        await conn.execute(f"DROP SCHEMA {service.schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def claims(service_env, infra):
    async for service in _running(service_env, infra):
        yield service


@pytest.fixture
async def claims_on_23_november(service_env, infra):
    """The service with its clock on 23 November 2026, 10:00 in Paris (`NOW`)."""
    async for service in _running(service_env, infra, clock=lambda: NOW):
        yield service


MINE = "73000042"


@pytest.fixture
def bearer(jwt_keys):
    """`bearer(kind=..., scope=..., terms_ok=..., tenant=...)`: the headers of an access token as identity
    signs them, by default of the member of household 73000042 (MBTP) who accepted the terms."""

    def headers(*, kind: str = "member", scope: dict | None = None, terms_ok: bool = True, tenant: str = "mbtp") -> dict[str, str]:
        now = int(time.time())
        body = {
            "iss": "extranet-identity",
            "aud": "extranet",
            "sub": "account-1",
            "typ": "access",
            "kind": kind,
            "tenant": tenant,
            "scope": {"member_number": MINE} if scope is None else scope,
            "iat": now,
            "exp": now + 600,
            "terms_ok": terms_ok,
        }
        return {"authorization": f"Bearer {jwt.encode(body, jwt_keys.private_pem, algorithm='EdDSA')}"}

    return headers
