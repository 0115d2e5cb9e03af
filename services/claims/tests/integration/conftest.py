"""The claims service started on the real Kafka and PostgreSQL of the shared pytest plugin, its schema
dropped once it has stopped."""

from __future__ import annotations

import asyncpg
import pytest

from claims.bootstrap import bootstrap
from claims.settings import ClaimsSettings


@pytest.fixture
async def claims(service_env, infra):
    service = bootstrap(ClaimsSettings(**service_env))
    async with service.running():
        yield service
    conn = await asyncpg.connect(infra.database_url)  # once stopped: its consumer reads the schema until then
    try:
        await conn.execute(f"DROP SCHEMA {service.schema} CASCADE")
    finally:
        await conn.close()
