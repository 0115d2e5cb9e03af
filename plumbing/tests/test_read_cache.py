"""SnapshotCache on a real PostgreSQL: an answer is served again only while nothing has committed."""

import asyncpg
import pytest

from extranet_plumbing.snapshot_cache import SNAPSHOT, SnapshotCache


async def served_twice_while_quiet(conn, cache: SnapshotCache, key, compute) -> int:
    """How many times `compute` ran for two answers in a row while nothing committed in the database
    (other jobs may write to it: tried again until a quiet moment)."""
    for _ in range(50):
        runs: list[int] = []

        async def counted(runs=runs):
            runs.append(1)
            return await compute()

        before = await conn.fetchval(SNAPSHOT)
        await cache.answer(conn, key, counted)
        await cache.answer(conn, key, counted)
        if await conn.fetchval(SNAPSHOT) == before:
            return len(runs)
    raise AssertionError("the database never stayed still")


@pytest.fixture
async def table(infra, service_env):
    conn = await asyncpg.connect(infra.database_url)
    name = f"{service_env['db_schema']}_cached"
    await conn.execute(f"CREATE TABLE {name} (n int)")
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    try:
        yield conn, name
    finally:
        await conn.execute(f"DROP TABLE {name}")
        await conn.close()


async def test_an_answer_is_kept_until_something_commits(table, infra):
    conn, name = table
    cache = SnapshotCache("test")
    computed = []

    async def total() -> int:
        computed.append(1)
        return await conn.fetchval(f"SELECT sum(n) FROM {name}")

    assert await cache.answer(conn, "total", total) == 1
    assert await served_twice_while_quiet(conn, cache, "total", total) <= 1  # at most the first: the second was kept

    writer = await asyncpg.connect(infra.database_url)
    try:
        await writer.execute(f"INSERT INTO {name} VALUES (41)")
    finally:
        await writer.close()
    assert await cache.answer(conn, "total", total) == 42
    assert len(computed) == 2


async def test_a_rolled_back_write_makes_answers_stale_too(table):
    conn, name = table
    cache = SnapshotCache("test")
    calls = []

    async def total() -> int:
        calls.append(1)
        return await conn.fetchval(f"SELECT sum(n) FROM {name}")

    await cache.answer(conn, "total", total)
    async with conn.transaction():
        await conn.execute(f"INSERT INTO {name} VALUES (5)")
        await conn.execute(f"DELETE FROM {name} WHERE n = 5")  # committed, but nothing changed: computed again all the same
    assert await cache.answer(conn, "total", total) == 1
    assert len(calls) == 2


async def test_keys_do_not_mix_and_the_oldest_go_first(table):
    conn, _ = table
    cache = SnapshotCache("test", max_entries=2)

    async def value(v):
        return v

    for key in ("a", "b", "c"):
        assert await cache.answer(conn, key, lambda key=key: value(key.upper())) == key.upper()
    assert len(cache) == 2
    assert "a" not in cache and "b" in cache and "c" in cache
    await cache.answer(conn, "b", lambda: value("B"))  # used: now the most recent
    await cache.answer(conn, "d", lambda: value("D"))
    assert "c" not in cache and "b" in cache and "d" in cache


async def test_an_exception_is_not_kept(table):
    conn, _ = table
    cache = SnapshotCache("test")

    async def fails():
        raise LookupError("not found")

    with pytest.raises(LookupError):
        await cache.answer(conn, "k", fails)
    assert len(cache) == 0
