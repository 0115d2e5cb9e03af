"""Answers of read queries kept for as long as the database has not changed since they were computed.

A read model changes only when a transaction commits, and PostgreSQL says exactly when that happens:
two snapshots (`pg_current_snapshot()`: the oldest transaction still running, the next transaction id
to be given, the ones in progress) are equal only if no transaction started or ended in between, so a
query run under an equal snapshot would read the same rows. Each answer is kept with the snapshot taken
just before it was computed; a request asks for the current snapshot (one small query, no table read)
and gets the kept answer when it is the same. Any commit anywhere in the database (a legacy event
applied, a login recorded, autovacuum) makes every kept answer stale: nothing is ever served that a
fresh computation would not give, at the price of recomputing after every change.

Taking the snapshot before computing matters: if something commits while the answer is computed, the
answer may hold newer rows than its snapshot says, and that snapshot never comes back (a snapshot's
next transaction id only grows), so the entry is never served again. Answers are shared between
requests: callers must not change them. The number of answers kept is bounded (least recently used
first out); an answer is keyed by everything it depends on (tenant, who may see it, every criterion)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import asyncpg
from prometheus_client import Counter

T = TypeVar("T")

SNAPSHOT = "SELECT pg_current_snapshot()::text"

ANSWERS = Counter("extranet_snapshot_cache_answers_total", "Read answers, kept (hit) or computed (miss)", ["cache", "outcome"])


class SnapshotCache:
    def __init__(self, name: str, *, max_entries: int = 4096) -> None:
        self.name = name
        self._max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[str, Any]] = OrderedDict()
        self._hits = ANSWERS.labels(name, "hit")
        self._misses = ANSWERS.labels(name, "miss")

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    async def answer(self, conn: asyncpg.Connection, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The answer for `key`: kept if the database is as it was when it was computed, else `compute()`
        (run on `conn`, after this reads the snapshot) and kept. An exception is not kept."""
        snapshot = await conn.fetchval(SNAPSHOT)
        kept = self._entries.get(key)
        if kept is not None and kept[0] == snapshot:
            self._entries.move_to_end(key)
            self._hits.inc()
            return kept[1]
        self._misses.inc()
        value = await compute()
        self._entries[key] = (snapshot, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return value
