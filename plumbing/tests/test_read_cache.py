"""ReadModelCache on a real PostgreSQL: an answer is served again only while the read model's count of
changes has not moved (the consumer's side: test_consumer.py)."""

import pytest

from extranet_plumbing.db import migrate
from extranet_plumbing.read_cache import COUNT_CHANGE, ReadModelCache


@pytest.fixture
async def conn(db_pool, db_schema):
    await migrate(db_pool, db_schema)
    await db_pool.execute("CREATE TABLE cached (n int)")
    await db_pool.execute("INSERT INTO cached VALUES (1)")
    async with db_pool.acquire() as conn:
        yield conn


async def total(conn, computed: list[int]) -> int:
    computed.append(1)
    return await conn.fetchval("SELECT sum(n) FROM cached")


async def test_an_answer_is_kept_until_a_change_is_counted(conn, db_pool):
    cache = ReadModelCache("test")
    computed: list[int] = []
    assert await cache.answer(conn, "total", lambda: total(conn, computed)) == 1
    assert await cache.answer(conn, "total", lambda: total(conn, computed)) == 1
    assert len(computed) == 1

    async with db_pool.acquire() as writer, writer.transaction():  # as the consumer applies events
        await writer.execute("INSERT INTO cached VALUES (41)")
        await writer.execute(COUNT_CHANGE)
    assert await cache.answer(conn, "total", lambda: total(conn, computed)) == 42
    assert len(computed) == 2


async def test_a_change_not_yet_committed_is_not_counted(conn, db_pool):
    cache = ReadModelCache("test")
    computed: list[int] = []
    await cache.answer(conn, "total", lambda: total(conn, computed))
    async with db_pool.acquire() as writer:
        tx = writer.transaction()
        await tx.start()
        await writer.execute("INSERT INTO cached VALUES (41)")
        await writer.execute(COUNT_CHANGE)
        assert await cache.answer(conn, "total", lambda: total(conn, computed)) == 1  # neither the row nor the count yet
        await tx.rollback()
    assert await cache.answer(conn, "total", lambda: total(conn, computed)) == 1
    assert len(computed) == 1


async def test_keys_do_not_mix_and_the_oldest_go_first(conn):
    cache = ReadModelCache("test", max_entries=2)

    async def value(v):
        return v

    for key in ("a", "b", "c"):
        assert await cache.answer(conn, key, lambda key=key: value(key.upper())) == key.upper()
    assert len(cache) == 2
    assert "a" not in cache and "b" in cache and "c" in cache
    assert await cache.answer(conn, "b", lambda: value("other")) == "B"  # kept, and now the most recent
    await cache.answer(conn, "d", lambda: value("D"))
    assert "c" not in cache and "b" in cache and "d" in cache


async def test_an_exception_is_not_kept(conn):
    cache = ReadModelCache("test")

    async def fails():
        raise LookupError("not found")

    with pytest.raises(LookupError):
        await cache.answer(conn, "k", fails)
    assert len(cache) == 0


async def test_an_answer_kept_as_json_is_validated_and_serialised_once(conn):
    from pydantic import BaseModel, Field

    class Answer(BaseModel):
        count: int
        first_name: str = Field(alias="firstName")

    cache = ReadModelCache("test")
    computed: list[int] = []

    async def compute() -> dict:
        computed.append(1)
        return {"count": "3", "firstName": "Léa"}  # validated: "3" becomes 3

    first = await cache.json(conn, "k", Answer, compute)
    second = await cache.json(conn, "k", Answer, compute)
    assert first.media_type == "application/json"
    assert first.body == second.body == '{"count":3,"firstName":"Léa"}'.encode()
    assert len(computed) == 1

    async def wrong() -> dict:
        return {"count": "many", "firstName": "Léa"}

    with pytest.raises(ValueError):  # an answer that does not match its model is not served, nor kept
        await cache.json(conn, "other", Answer, wrong)
    assert ("json", "other") not in cache
