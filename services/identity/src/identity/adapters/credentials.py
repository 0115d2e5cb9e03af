"""Broker credentials in the identity schema."""

from __future__ import annotations

import asyncpg


async def save_broker_password(conn: asyncpg.Connection, tenant: str, broker_code: str, password_hash: str) -> None:
    await conn.execute(
        """INSERT INTO broker_credentials (tenant, broker_code, password_hash) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, broker_code) DO UPDATE SET password_hash = EXCLUDED.password_hash""",
        tenant, broker_code, password_hash,
    )


async def broker_password_hash(conn: asyncpg.Connection, tenant: str, broker_code: str) -> str | None:
    return await conn.fetchval(
        "SELECT password_hash FROM broker_credentials WHERE tenant = $1 AND broker_code = $2", tenant, broker_code
    )


async def record_login(conn: asyncpg.Connection, tenant: str, broker_code: str) -> None:
    await conn.execute(
        "UPDATE broker_credentials SET last_login_at = now() WHERE tenant = $1 AND broker_code = $2", tenant, broker_code
    )
