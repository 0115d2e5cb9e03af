"""What the broker's requests are checked against: a change of the same kind on its way (sent, not decided yet)."""

from __future__ import annotations

import asyncpg


class BrokerRequests:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def on_its_way(self, tenant: str, kind: str, broker_code: str) -> bool:
        """Whether the broker has a request of this kind submitted or sent, its decision not come yet. The broker's kind is
        locked until the transaction ends: a second request at the same time waits, then sees the first."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{tenant}:broker:{broker_code}:{kind}")
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM requests WHERE tenant = $1 AND portal = 'broker' AND reference = $2 AND kind = $3"
                " AND status IN ('submitted', 'sent') LIMIT 1",
                tenant,
                broker_code,
                kind,
            )
        )
