"""Answers of read queries kept for as long as the read model has not changed since they were computed.

The read model changes only in the transactions of its consumer, and each of them adds one to
`read_model_version` as its last statement (`Subscription(counts_changes=True)`; migration
plumbing/002): the count is visible exactly when the rows it counts are. A request reads the count
(one row, by its primary key) and gets the kept answer when the count is the one read just before that
answer was computed; otherwise it computes the answer and keeps it with that count.

Reading the count before computing matters: if a change commits while the answer is computed, the
answer may hold newer rows than its count says; the count has moved by then, and the entry is never
served again. Changes the consumer does not make (another service's writes, the portal's own requests)
do not touch the count: only answers made of the consumer's tables may be kept here. Answers are
shared between requests: callers must not change them. The number kept is bounded (least recently
used first out); an answer is keyed by everything it depends on (tenant, who may see it, every
criterion, the day).

`respond` is the routes' way in: it reads the count outside any transaction and opens the route's unit of
work only to compute a missing answer, so a kept answer costs no transaction. Concurrent requests share
their reads of the count (`CountReader`): a request waits for a read that *starts* after it arrived, never
joins one already on its way, so it still sees every change committed before it came; under load one
read (one round trip) serves every request that arrived while the previous read ran.

Beyond the service: every kept or computed answer says, in `X-Read-Model-Version`, the version of the read
model it was computed from (the count, the read model's epoch and the day it was computed for: answers of
the current month or the last ten statements change at midnight too). `ReadModelChanges` lets the gateway
follow that version (`GET /internal/read-model/version?after=...`, a long poll woken by the notification
each change of the count sends at commit: migration plumbing/003), so that it may give a relayed answer
again for as long as the version it was computed from is the current one (gateway.kept)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import APIRouter, Query, Request
from prometheus_client import Counter
from pydantic import BaseModel, TypeAdapter
from starlette.responses import Response

from extranet_plumbing.logging import get_logger

if TYPE_CHECKING:
    from extranet_plumbing.uow import UnitOfWork

T = TypeVar("T")

# The count within its epoch (a read model built again starts a new epoch): equal only for the same rows.
VERSION = "SELECT epoch::text || ':' || version FROM read_model_version"
VERSION_HEADER = "X-Read-Model-Version"
CHANGES_CHANNEL = "read_model_version"  # notified by migration plumbing/003's trigger, with the schema's name
# The consumer's last statement in each transaction that applies events (it locks the row until the
# commit: the lanes of a batch wait on each other only for the time of a commit).
COUNT_CHANGE = "UPDATE read_model_version SET version = version + 1"

ANSWERS = Counter("extranet_read_cache_answers_total", "Read answers, kept (hit) or computed (miss)", ["cache", "outcome"])
PARIS = ZoneInfo("Europe/Paris")
log = get_logger(__name__)


def today_in_france() -> date:
    return datetime.now(PARIS).date()


class CountReader:
    """Reads of the count shared by the requests waiting for it, each read starting after every request
    it answers arrived (see the module's docstring). One connection of the pool is held while reads follow
    each other, and given back when no request waits."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._next: asyncio.Future[int] | None = None  # the read the requests arriving now wait for
        self._reading: asyncio.Task | None = None

    async def read(self) -> int:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waited = self._next
        if self._reading is None:
            self._reading = asyncio.create_task(self._read_while_asked())
        # shield: a request that gives up (client gone) does not cancel the read the others wait for.
        return await asyncio.shield(waited)

    async def _read_while_asked(self) -> None:
        try:
            async with self._pool.acquire() as conn:
                while self._next is not None:
                    answered, self._next = self._next, None  # requests arriving from now on wait for the next read
                    try:
                        count = await conn.fetchval(VERSION)
                    except BaseException as exc:
                        if not answered.done():
                            answered.set_exception(exc)
                        raise
                    if not answered.done():
                        answered.set_result(count)
        except BaseException as exc:
            # The connection could not be had or broke: the waiting requests fail as a query would.
            waiting, self._next = self._next, None
            if waiting is not None and not waiting.done():
                waiting.set_exception(exc if isinstance(exc, Exception) else RuntimeError("read of the count cancelled"))
            if not isinstance(exc, Exception):
                raise
        finally:
            self._reading = None
            if self._next is not None:  # asked while the connection was being given back
                self._reading = asyncio.create_task(self._read_while_asked())


class ReadModelCache:
    def __init__(self, name: str, *, max_entries: int = 4096, day: Callable[[], date] = today_in_france) -> None:
        """`day`: the service's today (its clock), part of the version an answer tells the gateway."""
        self.name = name
        self._max_entries = max_entries
        self._day = day
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._counts: CountReader | None = None
        self._hits = ANSWERS.labels(name, "hit")
        self._misses = ANSWERS.labels(name, "miss")

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def use(self, pool: asyncpg.Pool) -> None:
        """The pool `respond` reads the count on (the service's, given when it starts)."""
        self._counts = CountReader(pool)

    async def count(self) -> Any:
        """The read model's count now (shared reads: `CountReader`)."""
        if self._counts is None:
            raise RuntimeError(f"read cache {self.name!r} has no pool: the service starts it (Service(read_caches=...))")
        return await self._counts.read()

    async def respond(self, uow: UnitOfWork, key: Hashable, model: Any, compute: Callable[[], Awaitable[Any]]) -> Response:
        """The answer for `key` as `json` gives it; a kept answer is served without opening `uow`, which is
        opened (its transaction) only to compute a missing one with `compute()` (which uses `uow`)."""
        count = await self.count()
        kept = self._entries.get(("json", key))
        if kept is not None and kept[0] == count:
            self._entries.move_to_end(("json", key))
            self._hits.inc()
            return self._response(count, kept[1])
        async with uow:
            return await self.json(uow.connection, key, model, compute)

    def tag(self, count: Any) -> str:
        """The version an answer computed from `count` tells its caller (`X-Read-Model-Version`)."""
        return f"{count}/{self._day().isoformat()}"

    def _response(self, count: Any, content: bytes) -> Response:
        return Response(content, media_type="application/json", headers={VERSION_HEADER: self.tag(count)})

    async def answer(self, conn: asyncpg.Connection, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The answer for `key`: kept if the read model has not changed since it was computed, else
        `compute()` (run on `conn`, after this reads the count) and kept. An exception is not kept."""
        return (await self._versioned(conn, key, compute))[1]

    async def _versioned(self, conn: asyncpg.Connection, key: Hashable, compute: Callable[[], Awaitable[T]]) -> tuple[Any, T]:
        version = await conn.fetchval(VERSION)
        kept = self._entries.get(key)
        if kept is not None and kept[0] == version:
            self._entries.move_to_end(key)
            self._hits.inc()
            return kept
        self._misses.inc()
        value = await compute()
        self._entries[key] = (version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return version, value

    async def json(self, conn: asyncpg.Connection, key: Hashable, model: Any, compute: Callable[[], Awaitable[Any]]) -> Response:
        """As `answer`, kept as the JSON of `model` (a route's response model: validated and serialised
        once, as FastAPI would, by alias), returned as a response: a kept answer costs no validation
        and no serialisation. The route keeps `response_model=model` for its documentation."""

        async def encoded() -> bytes:
            adapter = _adapter(model)
            return adapter.dump_json(adapter.validate_python(await compute()), by_alias=True)

        return self._response(*await self._versioned(conn, ("json", key), encoded))


_ADAPTERS: dict[Any, TypeAdapter] = {}


def _adapter(model: Any) -> TypeAdapter:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


# --- the version, followed from outside the service ---------------------------------------------------


class ReadModelChanges:
    """Wakes the callers waiting for the read model to change (`wait_past`), from the notifications of
    migration plumbing/003 for the service's schema, received on a connection of its own (any replica's
    consumer may have made the change). While that connection is down, `wait_past` reads the count again after a
    quarter of a second instead of waiting for a notification."""

    def __init__(self, cache: ReadModelCache, database_url: str, schema: str, *, reconnect_seconds: float = 1.0) -> None:
        self._cache = cache
        self._database_url = database_url
        self._schema = schema
        self._reconnect_seconds = reconnect_seconds
        self._changed = asyncio.Event()
        self._listening = False

    @property
    def listening(self) -> bool:
        return self._listening

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == self._schema:
            self._changed.set()
            self._changed = asyncio.Event()

    async def run(self) -> None:
        """Listens until cancelled, connecting again after a loss."""
        while True:
            lost = asyncio.Event()
            conn = None
            try:
                conn = await asyncpg.connect(self._database_url, server_settings={"application_name": f"{self._schema}-changes"})
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(CHANGES_CHANNEL, self._notified)
                self._listening = True
                self._notified(None, 0, CHANGES_CHANNEL, self._schema)  # whatever changed while nobody listened
                await lost.wait()
                log.warning("read model change notifications lost", schema=self._schema)
            except Exception as exc:  # refused, unreachable, broken while listening: listen again later
                log.warning("read model change notifications unavailable", schema=self._schema, error_class=type(exc).__name__)
            finally:
                self._listening = False
                if conn is not None and not conn.is_closed():
                    await conn.close()
            await asyncio.sleep(self._reconnect_seconds)

    async def wait_past(self, after: str | None, wait: float) -> str:
        """The version now, once it differs from `after` or after `wait` seconds at most (a quarter of a second
        while the notifications cannot be heard)."""
        changed = self._changed  # taken before the read: a change committed after the read sets it
        version = self._cache.tag(await self._cache.count())
        if version != after:
            return version
        if not self._listening:
            # Deaf to notifications: the count read again a moment later, so that a caller asking again at once is not a
            # busy loop (a change shows that much later while the connection is down).
            await asyncio.sleep(min(wait, UNHEARD_POLL_SECONDS))
        else:
            try:
                await asyncio.wait_for(changed.wait(), wait)
            except TimeoutError:
                pass
        return self._cache.tag(await self._cache.count())


class ReadModelVersion(BaseModel):
    version: str


MAX_WAIT_SECONDS = 5.0
UNHEARD_POLL_SECONDS = 0.25  # how often wait_past reads the count while notifications cannot be heard
VERSION_PATH = "/internal/read-model/version"  # neither traced nor timed (tracing.UNOBSERVED_PATHS)


def changes_router() -> APIRouter:
    """`GET /internal/read-model/version`: the version of the service's read model, at once if it differs from
    `after`, else when it changes or after `wait` seconds. For the gateway only (an /internal route)."""
    router = APIRouter(prefix="/internal", tags=["read model"])

    @router.get(
        VERSION_PATH.removeprefix("/internal"), response_model=ReadModelVersion, summary="Version du modèle de lecture (attente longue)"
    )
    async def read_model_version(
        request: Request,
        after: Annotated[str | None, Query(max_length=100)] = None,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    ) -> ReadModelVersion:
        changes: ReadModelChanges = request.app.state.read_model_changes
        return ReadModelVersion(version=await changes.wait_past(after, wait))

    return router
