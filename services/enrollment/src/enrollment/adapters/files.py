"""The files the requests list, found by their reference (the `file_id` a request's event carries): what the legacy
system fetches. Only the files kept here (a tracked request's reference to another service's file has no name here)
of requests sent to it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg


class RequestFiles:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def sent(self, tenant: str, file_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, Any]] | None:
        """The request of the tenant (sent, or decided since) that lists this file, and the file as it lists it."""
        row = await self._conn.fetchrow(
            """SELECT r.id, a.file FROM requests r, jsonb_array_elements(r.attachments) AS a(file)
               WHERE r.tenant = $1 AND r.status <> 'draft' AND r.status <> 'cancelled'
                 AND r.attachments @> jsonb_build_array(jsonb_build_object('file_id', $2::text))
                 AND a.file ->> 'file_id' = $2::text AND a.file ->> 'name' IS NOT NULL
               LIMIT 1""",
            tenant,
            str(file_id),
        )
        if row is None:
            return None
        found = row["file"]
        return row["id"], json.loads(found) if isinstance(found, str) else found
