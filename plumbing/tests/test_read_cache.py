"""ReadModelCache on a real PostgreSQL: an answer is served again only while the read model's count of
changes has not moved (the consumer's side: test_consumer.py)."""

import asyncio
import contextlib
import time
from datetime import date

import pytest

from extranet_plumbing.db import migrate
from extranet_plumbing.read_cache import COUNT_CHANGE, VERSION_HEADER, CountReader, ReadModelCache, ReadModelChanges
from extranet_plumbing.testing import wait_until


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


# --- respond: a kept answer without a transaction, the count read once for the requests waiting --------------


class CountedUnitOfWork:
    """The route's unit of work: counts how often it is opened (a transaction each time)."""

    def __init__(self, pool) -> None:
        self._pool = pool
        self.opened = 0

    async def __aenter__(self):
        self.opened += 1
        self._acquired = self._pool.acquire()
        self.connection = await self._acquired.__aenter__()
        return self

    async def __aexit__(self, *exc):
        await self._acquired.__aexit__(*exc)


async def test_respond_serves_a_kept_answer_without_opening_the_unit_of_work(conn, db_pool):
    from pydantic import BaseModel

    class Total(BaseModel):
        total: int

    cache = ReadModelCache("test")
    cache.use(db_pool)
    uow = CountedUnitOfWork(db_pool)

    async def compute() -> dict:
        return {"total": await uow.connection.fetchval("SELECT sum(n) FROM cached")}

    assert (await cache.respond(uow, "total", Total, compute)).body == b'{"total":1}'
    assert (await cache.respond(uow, "total", Total, compute)).body == b'{"total":1}'
    assert uow.opened == 1

    async with db_pool.acquire() as writer, writer.transaction():
        await writer.execute("INSERT INTO cached VALUES (41)")
        await writer.execute(COUNT_CHANGE)
    assert (await cache.respond(uow, "total", Total, compute)).body == b'{"total":42}'
    assert uow.opened == 2


class GatedPool:
    """A pool whose one connection reads the count as it is when the query starts, then waits for the gate."""

    def __init__(self) -> None:
        self.count = 1
        self.reads = 0
        self.gate = asyncio.Event()

    def acquire(self):
        pool = self

        class Acquired:
            async def __aenter__(self):
                return pool

            async def __aexit__(self, *exc):
                return None

        return Acquired()

    async def fetchval(self, _sql):
        self.reads += 1
        count = self.count
        await self.gate.wait()
        self.gate.clear()
        return count


async def test_a_request_never_joins_a_read_of_the_count_that_started_before_it_came():
    pool = GatedPool()
    reader = CountReader(pool)
    early = asyncio.create_task(reader.read())
    await asyncio.sleep(0.01)  # its read has started, with the count at 1
    pool.count = 2  # a change commits
    late = [asyncio.create_task(reader.read()) for _ in range(10)]  # arrive after the commit
    await asyncio.sleep(0.01)
    pool.gate.set()
    assert await early == 1
    await asyncio.sleep(0.01)
    pool.gate.set()
    assert [await t for t in late] == [2] * 10  # the next read, shared by the ten
    assert pool.reads == 2


async def test_a_failed_read_of_the_count_fails_the_requests_waiting_and_the_next_one_reads_again():
    class Broken(GatedPool):
        async def fetchval(self, _sql):
            self.reads += 1
            if self.reads == 1:
                raise ConnectionResetError("gone")
            return self.count

    pool = Broken()
    reader = CountReader(pool)
    with pytest.raises(ConnectionResetError):
        await reader.read()
    assert await reader.read() == 1


# --- the version followed from outside (the gateway's kept answers) ------------------------------------


async def test_a_caller_waiting_for_a_change_is_woken_by_its_commit_and_not_before(conn, db_pool, db_schema, infra):
    day = [date(2026, 12, 1)]
    cache = ReadModelCache("test", day=lambda: day[0])
    cache.use(db_pool)
    changes = ReadModelChanges(cache, infra.database_url, db_schema)
    listening = asyncio.create_task(changes.run())
    try:
        await wait_until(lambda: changes.listening, timeout=5, interval=0.02)
        version = await changes.wait_past(None, 5)  # differs from none: at once
        assert version.endswith("/2026-12-01")
        assert await changes.wait_past("an older one", 5) == version

        waiting = asyncio.create_task(changes.wait_past(version, 5))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        async with db_pool.acquire() as writer:
            tx = writer.transaction()
            await tx.start()
            await writer.execute(COUNT_CHANGE)
            await asyncio.sleep(0.2)
            assert not waiting.done()  # not committed: nothing to see yet
            await tx.commit()
        started = time.monotonic()
        changed = await asyncio.wait_for(waiting, 2)
        assert changed != version and time.monotonic() - started < 1.0

        # Nothing changes: the same version, after the wait.
        started = time.monotonic()
        assert await changes.wait_past(changed, 0.3) == changed
        assert time.monotonic() - started >= 0.3
        # Another schema's read model changing does not wake it.
        waiting = asyncio.create_task(changes.wait_past(changed, 1))
        await db_pool.execute("SELECT pg_notify('read_model_version', 'another_schema')")
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert await waiting == changed
        # Midnight: answers computed for the day before are of another version.
        day[0] = date(2026, 12, 2)
        assert await changes.wait_past(changed, 5) == changed.replace("2026-12-01", "2026-12-02")
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening


async def test_answers_say_the_version_they_were_computed_from(conn, db_pool):
    cache = ReadModelCache("test", day=lambda: date(2026, 12, 1))
    cache.use(db_pool)
    computed: list[int] = []
    first = await cache.json(conn, "total", int, lambda: total(conn, computed))
    async with db_pool.acquire() as writer, writer.transaction():
        await writer.execute("INSERT INTO cached VALUES (41)")
        await writer.execute(COUNT_CHANGE)
    second = await cache.json(conn, "total", int, lambda: total(conn, computed))
    assert (first.body, second.body) == (b"1", b"42")
    assert first.headers[VERSION_HEADER] != second.headers[VERSION_HEADER]
    assert second.headers[VERSION_HEADER] == cache.tag(await cache.count())


async def test_the_long_poll_of_the_version_is_neither_traced_nor_timed():
    """It is held seconds by design: a span and a latency sample each time would drown the real requests."""
    import httpx
    from fastapi import FastAPI
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from prometheus_client import REGISTRY

    from extranet_plumbing.http import install_conventions
    from extranet_plumbing.read_cache import VERSION_PATH
    from extranet_plumbing.tracing import NATIVE_TELEMETRY_OFF, configure_tracing

    configure_tracing("test")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI(telemetry=NATIVE_TELEMETRY_OFF)

    @app.get(VERSION_PATH)
    async def version() -> dict:
        return {"version": "e:1/2026-12-01"}

    @app.get("/internal/other")
    async def other() -> dict:
        return {}

    install_conventions(app)

    def samples(route: str) -> float:
        return (
            REGISTRY.get_sample_value("extranet_http_request_duration_seconds_count", {"route": route, "method": "GET", "status": "200"})
            or 0
        )

    before = samples(VERSION_PATH), samples("/internal/other")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://s") as client:
        assert (await client.get(VERSION_PATH)).status_code == 200
        assert (await client.get("/internal/other")).status_code == 200
    assert [s.name for s in exporter.get_finished_spans()] == ["GET /internal/other"]
    assert (samples(VERSION_PATH), samples("/internal/other")) == (before[0], before[1] + 1)


async def test_while_notifications_cannot_be_heard_a_waiting_caller_gets_the_count_a_moment_later(conn, db_pool, db_schema, infra):
    cache = ReadModelCache("test", day=lambda: date(2026, 12, 1))
    cache.use(db_pool)
    changes = ReadModelChanges(cache, infra.database_url, db_schema)  # not listening: never started
    version = await changes.wait_past(None, 5)
    started = time.monotonic()
    assert await changes.wait_past(version, 5) == version
    assert 0.2 <= time.monotonic() - started < 2  # neither at once (a caller asking again would spin) nor the whole wait
    waiting = asyncio.create_task(changes.wait_past(version, 5))
    await db_pool.execute(COUNT_CHANGE)
    assert await asyncio.wait_for(waiting, 2) != version
