"""What a service's database sessions are set to (extranet_plumbing.db.create_pool)."""

from __future__ import annotations

import json

import asyncpg

# Any statement, with JIT's cost thresholds at zero: compiled whenever JIT is on.
STATEMENT = "EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(a * b) FROM generate_series(1, 1000) a, generate_series(1, 3) b"
ZERO_THRESHOLDS = "SET jit_above_cost = 0; SET jit_inline_above_cost = 0; SET jit_optimize_above_cost = 0"


async def plan_of(conn: asyncpg.Connection) -> dict:
    await conn.execute(ZERO_THRESHOLDS)
    try:
        (plan,) = json.loads(await conn.fetchval(STATEMENT))
        return plan
    finally:
        await conn.execute("RESET jit_above_cost; RESET jit_inline_above_cost; RESET jit_optimize_above_cost")


async def test_a_services_sessions_see_its_schema_first_and_never_jit_compile(infra, db_pool, db_schema):
    async with db_pool.acquire() as conn:
        assert (await conn.fetchval("SHOW search_path")).startswith(db_schema)
        assert await conn.fetchval("SHOW jit") == "off"
        assert "JIT" not in await plan_of(conn)

    bare = await asyncpg.connect(infra.database_url)  # the server's own setting, where this one can tell
    try:
        if await bare.fetchval("SHOW jit") == "on" and await bare.fetchval("SELECT pg_jit_available()"):
            assert "JIT" in await plan_of(bare)  # the same statement is compiled outside the service's pool
    finally:
        await bare.close()
