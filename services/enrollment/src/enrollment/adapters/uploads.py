"""Files sent before the request they join (table `uploads`): the owner's, used once, forgotten when stale."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

_COLUMNS = "file_id, portal, reference, name, media_type, size, sha256, uploaded_at, used_by"


class Uploads:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, tenant: str, portal: str, reference: str, account: str, upload: dict[str, Any], uploaded_at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO uploads (tenant, file_id, portal, reference, account, name, media_type, size, sha256, uploaded_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            tenant,
            uuid.UUID(upload["file_id"]),
            portal,
            reference,
            account,
            upload["name"],
            upload["media_type"],
            upload["size"],
            upload["sha256"],
            uploaded_at,
        )

    async def waiting(self, tenant: str, portal: str, reference: str) -> int:
        """How many of the owner's uploads no request has taken yet."""
        return await self._conn.fetchval(
            "SELECT count(*) FROM uploads WHERE tenant = $1 AND portal = $2 AND reference = $3 AND used_by IS NULL",
            tenant,
            portal,
            reference,
        )

    async def locked(self, tenant: str, file_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
        """The uploads under these ids, locked until the transaction ends (a second message waits, then sees them used)."""
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM uploads WHERE tenant = $1 AND file_id = ANY($2::uuid[]) ORDER BY file_id FOR UPDATE", tenant, file_ids
        )
        return {row["file_id"]: row for row in rows}

    async def use(self, tenant: str, file_ids: list[uuid.UUID], request_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE uploads SET used_by = $3 WHERE tenant = $1 AND file_id = ANY($2::uuid[])", tenant, file_ids, request_id
        )

    async def forget_unused(self, tenant: str, before: datetime, limit: int = 100) -> list[uuid.UUID]:
        """The tenant's uploads never used and sent before `before`, deleted (their ids: the store forgets them next)."""
        rows = await self._conn.fetch(
            """DELETE FROM uploads WHERE (tenant, file_id) IN (
                   SELECT tenant, file_id FROM uploads WHERE tenant = $1 AND used_by IS NULL AND uploaded_at < $2
                   ORDER BY uploaded_at LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING file_id""",
            tenant,
            before,
            limit,
        )
        return [row["file_id"] for row in rows]
