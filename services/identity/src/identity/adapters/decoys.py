"""Work done for nothing, so that an answer takes as long whether or not the details matched: a
notification asked in the outbox (and recorded) either way, then withdrawn in the same transaction
when there was nobody to send it to. Nothing withdrawn was ever visible outside the transaction."""

from __future__ import annotations

import uuid

import asyncpg


class Decoys:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def settle(self, request_id: uuid.UUID, *, keep: bool) -> None:
        """Keep the request `request_id` (and its record), or withdraw both: the same statements either way."""
        await self._conn.execute("DELETE FROM outbox WHERE event_id = $1 AND NOT $2", request_id, keep)
        await self._conn.execute("DELETE FROM sent_mails WHERE request_id = $1 AND NOT $2", request_id, keep)
