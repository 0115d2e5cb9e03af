"""Fixed-window throttling in PostgreSQL, shared by every replica of the service. Keys are
digested: they contain identifiers, emails and addresses."""

from __future__ import annotations

import asyncpg


class Throttle:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        """Count one hit for `key`; False when the window already holds `limit` hits."""
        hits = await self._conn.fetchval(
            """INSERT INTO throttle AS t (key, window_start, hits) VALUES ($1, now(), 1)
               ON CONFLICT (key) DO UPDATE SET
                 window_start = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN now() ELSE t.window_start END,
                 hits = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN 1 ELSE t.hits + 1 END
               RETURNING hits""",
            key,
            window_seconds,
        )
        return hits <= limit

    async def count(self, key: str, *, window_seconds: int) -> int:
        """The hits `key` holds in its current window, without counting one more."""
        hits = await self._conn.fetchval(
            "SELECT hits FROM throttle WHERE key = $1 AND window_start >= now() - make_interval(secs => $2)",
            key,
            window_seconds,
        )
        return hits or 0
