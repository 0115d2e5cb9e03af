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
criterion, the day)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import asyncpg
from prometheus_client import Counter
from pydantic import TypeAdapter
from starlette.responses import Response

T = TypeVar("T")

VERSION = "SELECT version FROM read_model_version"
# The consumer's last statement in each transaction that applies events (it locks the row until the
# commit: the lanes of a batch wait on each other only for the time of a commit).
COUNT_CHANGE = "UPDATE read_model_version SET version = version + 1"

ANSWERS = Counter("extranet_read_cache_answers_total", "Read answers, kept (hit) or computed (miss)", ["cache", "outcome"])


class ReadModelCache:
    def __init__(self, name: str, *, max_entries: int = 4096) -> None:
        self.name = name
        self._max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._hits = ANSWERS.labels(name, "hit")
        self._misses = ANSWERS.labels(name, "miss")

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    async def answer(self, conn: asyncpg.Connection, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The answer for `key`: kept if the read model has not changed since it was computed, else
        `compute()` (run on `conn`, after this reads the count) and kept. An exception is not kept."""
        version = await conn.fetchval(VERSION)
        kept = self._entries.get(key)
        if kept is not None and kept[0] == version:
            self._entries.move_to_end(key)
            self._hits.inc()
            return kept[1]
        self._misses.inc()
        value = await compute()
        self._entries[key] = (version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return value

    async def json(self, conn: asyncpg.Connection, key: Hashable, model: Any, compute: Callable[[], Awaitable[Any]]) -> Response:
        """As `answer`, kept as the JSON of `model` (a route's response model: validated and serialised
        once, as FastAPI would, by alias), returned as a response: a kept answer costs no validation
        and no serialisation. The route keeps `response_model=model` for its documentation."""

        async def encoded() -> bytes:
            adapter = _adapter(model)
            return adapter.dump_json(adapter.validate_python(await compute()), by_alias=True)

        return Response(await self.answer(conn, ("json", key), encoded), media_type="application/json")


_ADAPTERS: dict[Any, TypeAdapter] = {}


def _adapter(model: Any) -> TypeAdapter:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter
