"""The portals' sessions in PostgreSQL (table `sessions`): what a browser's cookie stands for, found
by the cookie's digest (a stolen database gives no cookie), with the gateway's tokens, the CSRF token
of its forms and the progress of a multi-step flow (activation)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from extranet_plumbing.uow import UnitOfWork


def digest(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode()).digest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class PortalSession:
    id_digest: bytes
    tenant: str
    portal: str
    csrf_token: str
    access_token: str | None = None
    refresh_token: str | None = None
    access_expires_at: datetime | None = None
    terms_pending: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def logged_in(self) -> bool:
        return self.access_token is not None


def _row(row: asyncpg.Record | None) -> PortalSession | None:
    if row is None:
        return None
    values = dict(row)
    values.pop("last_seen_at", None)
    values["data"] = json.loads(values["data"]) if isinstance(values["data"], str) else values["data"]
    return PortalSession(**values)


class SessionRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def create(self, *, cookie: str, tenant: str, portal: str, expires_at: datetime, data: dict | None = None) -> PortalSession:
        row = await self._conn.fetchrow(
            "INSERT INTO sessions (id_digest, tenant, portal, csrf_token, expires_at, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *",
            digest(cookie),
            tenant,
            portal,
            new_secret(),
            expires_at,
            json.dumps(data or {}),
        )
        return _row(row)

    async def find(self, cookie: str, *, now: datetime, lock: bool = False) -> PortalSession | None:
        """The live session of `cookie` (`lock`: held until the transaction ends, for a token refresh)."""
        sql = "SELECT * FROM sessions WHERE id_digest = $1 AND expires_at > $2" + (" FOR UPDATE" if lock else "")
        return _row(await self._conn.fetchrow(sql, digest(cookie), now))

    async def touch(self, session: PortalSession, *, now: datetime, idle: timedelta, latest_end: datetime) -> None:
        await self._conn.execute(
            "UPDATE sessions SET last_seen_at = $2, expires_at = LEAST($3::timestamptz, $4::timestamptz) WHERE id_digest = $1",
            session.id_digest,
            now,
            now + idle,
            latest_end,
        )

    async def save(self, session: PortalSession) -> None:
        await self._conn.execute(
            """UPDATE sessions SET access_token = $2, refresh_token = $3, access_expires_at = $4, terms_pending = $5,
                   data = $6::jsonb, expires_at = $7 WHERE id_digest = $1""",
            session.id_digest,
            session.access_token,
            session.refresh_token,
            session.access_expires_at,
            session.terms_pending,
            json.dumps(session.data),
            session.expires_at,
        )

    async def delete(self, session: PortalSession) -> None:
        await self._conn.execute("DELETE FROM sessions WHERE id_digest = $1", session.id_digest)

    async def delete_expired(self, now: datetime) -> int:
        status = await self._conn.execute("DELETE FROM sessions WHERE expires_at <= $1", now)
        return int(status.split()[-1])


class PortalsUnitOfWork(UnitOfWork):
    sessions: SessionRepository

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.sessions = SessionRepository(conn)
