"""Read queries of the broker portal's profile: the broker as the legacy system last described it, and
the address change the broker asked for that is still with the back office (a repository of the unit
of work)."""

from __future__ import annotations

import json

import asyncpg


class Profiles:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def broker_profile(self, tenant: str, broker_code: str) -> dict | None:
        """The broker's profile, or None while the legacy system has not registered the broker."""
        row = await self._conn.fetchrow(
            """SELECT broker_code, name, orias_number, contact_last_name, contact_first_name, email, phone, address, changed_at
               FROM brokers WHERE tenant = $1 AND broker_code = $2""",
            tenant,
            broker_code,
        )
        if row is None:
            return None
        return {
            **dict(row),
            "address": json.loads(row["address"]),
            "pending_address_change": await self.pending_address_change(tenant, broker_code),
        }

    async def pending_address_change(self, tenant: str, broker_code: str) -> dict | None:
        """The latest address change still submitted (the back office has not dealt with it), if any."""
        row = await self._conn.fetchrow(
            """SELECT id, status, created_at, payload, document_name, document_media_type, document_size
               FROM broker_requests
               WHERE tenant = $1 AND broker_code = $2 AND kind = 'address_change' AND status = 'submitted'
               ORDER BY created_at DESC, id LIMIT 1""",
            tenant,
            broker_code,
        )
        if row is None:
            return None
        payload = json.loads(row["payload"])
        return {
            "request_id": row["id"],
            "status": row["status"],
            "requested_at": row["created_at"],
            "address": payload["address"],
            "effective_date": payload["effective_date"],
            "kbis": {"name": row["document_name"], "media_type": row["document_media_type"], "size": row["document_size"]},
        }
