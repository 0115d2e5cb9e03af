"""Acceptances of the terms of use, per account and version."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


class TermsAcceptances:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def accepted(self, account_id: uuid.UUID, version: str) -> bool:
        return bool(
            await self._conn.fetchval("SELECT true FROM terms_acceptances WHERE account_id = $1 AND version = $2", account_id, version)
        )

    async def accept(self, account_id: uuid.UUID, version: str, health_data_consent: bool, now: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO terms_acceptances (account_id, version, accepted_at, health_data_consent) VALUES ($1, $2, $3, $4)
               ON CONFLICT (account_id, version) DO NOTHING""",
            account_id,
            version,
            now,
            health_data_consent,
        )
