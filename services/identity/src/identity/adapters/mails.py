"""The notifications identity asked for, and what became of them (delivered, failed)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


class SentMails:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(
        self, *, request_id: uuid.UUID, tenant: str, template: str, account_id: uuid.UUID | None, reference: str, requested_at: datetime
    ) -> None:
        await self._conn.execute(
            """INSERT INTO sent_mails (request_id, tenant, template, account_id, reference, requested_at) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (request_id) DO NOTHING""",
            request_id,
            tenant,
            template,
            account_id,
            reference,
            requested_at,
        )

    async def outcome(self, request_id: uuid.UUID, status: str, at: datetime) -> bool:
        """Record the outcome of a request of ours (a delivery is final); False for a request that is not ours."""
        found = await self._conn.fetchval(
            """UPDATE sent_mails SET status = CASE WHEN status = 'delivered' THEN status ELSE $2 END, outcome_at = COALESCE(outcome_at, $3)
               WHERE request_id = $1 RETURNING true""",
            request_id,
            status,
            at,
        )
        return bool(found)

    async def latest_status(self, account_id: uuid.UUID, templates: tuple[str, ...]) -> str | None:
        return await self._conn.fetchval(
            "SELECT status FROM sent_mails WHERE account_id = $1 AND template = ANY($2) ORDER BY requested_at DESC LIMIT 1",
            account_id,
            list(templates),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._conn.fetch("SELECT template, status, count(*) AS n FROM sent_mails GROUP BY template, status")
        return {f"{r['template']}/{r['status']}": r["n"] for r in rows}
