"""PostgreSQL access: a pool bound to the service's own schema, and ordered SQL migrations.

Each service owns one schema; its migrations are plain `NNN_name.sql` files applied once, in
order, under an advisory lock so that several replicas starting together do not race.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import asyncpg

from extranet_plumbing.logging import get_logger

PLUMBING_MIGRATIONS = Path(__file__).parent / "migrations"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
log = get_logger(__name__)


def _checked_schema(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


async def create_pool(database_url: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections see the service's schema first, and never compile a statement to machine code.

    PostgreSQL's JIT compiles a statement whose estimated cost is high: the consumers' set-based statements, planned
    over staging tables that have no statistics, passed the threshold, and each chunk paid tens of milliseconds of
    compilation for a few of execution (turning it off saved 15 µs of the database's CPU an event on the bench). The
    read routes' statements are short index scans, which JIT never helps either."""
    return await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        server_settings={"search_path": f"{_checked_schema(schema)},public", "application_name": schema, "jit": "off"},
    )


async def migrate(pool_or_conn: asyncpg.Pool | asyncpg.Connection, schema: str, *directories: Path) -> list[str]:
    """Apply the shared plumbing migrations, then each directory's, to `schema`; return what ran."""
    schema = _checked_schema(schema)
    files = [(f"plumbing/{p.name}", p) for p in sorted(PLUMBING_MIGRATIONS.glob("*.sql"))]
    for directory in directories:
        files += [(f"{directory.parent.name}/{p.name}", p) for p in sorted(directory.glob("*.sql"))]
    acquired = pool_or_conn.acquire() if isinstance(pool_or_conn, asyncpg.Pool) else None
    conn = await acquired.__aenter__() if acquired else pool_or_conn
    applied: list[str] = []
    try:
        lock_id = int.from_bytes(hashlib.sha256(schema.encode()).digest()[:8], "big", signed=True)
        await conn.execute("SELECT pg_advisory_lock($1)", lock_id)
        try:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ("
                " id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["id"]: r["checksum"] for r in await conn.fetch(f"SELECT id, checksum FROM {schema}.schema_migrations")}
            for migration_id, path in files:
                sql = path.read_text(encoding="utf-8")
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if migration_id in done:
                    if done[migration_id] != checksum:
                        raise RuntimeError(f"migration {migration_id} changed after it was applied to {schema}")
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL search_path TO {schema}, public")
                    await conn.execute(sql)
                    await conn.execute(f"INSERT INTO {schema}.schema_migrations (id, checksum) VALUES ($1, $2)", migration_id, checksum)
                applied.append(migration_id)
                log.info("migration applied", schema=schema, migration=migration_id)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
    finally:
        if acquired:
            await acquired.__aexit__(None, None, None)
    return applied
