"""One-time codes, single-use links and tickets, and sessions (refresh tokens): stored as keyed
digests, never in clear."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg


@dataclass
class OneTimeCode:
    id: uuid.UUID
    tenant: str
    purpose: str
    subject: str | None  # the member number it proves, None when nothing matched
    channel: str
    destination: str
    code_hash: str | None
    expires_at: datetime
    attempts: int
    sends: int
    last_sent_at: datetime
    verified_at: datetime | None
    created_at: datetime | None = None


@dataclass(frozen=True)
class ActionToken:
    tenant: str
    purpose: str
    account_id: uuid.UUID | None
    subject: str | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefreshToken:
    token_hash: str
    account_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime | None = None


def _token(row: asyncpg.Record | None) -> ActionToken | None:
    if row is None:
        return None
    values = dict(row)
    values["payload"] = json.loads(values["payload"]) if isinstance(values["payload"], str) else values["payload"] or {}
    return ActionToken(**values)


class Codes:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        tenant: str,
        purpose: str,
        subject: str | None,
        channel: str,
        destination: str,
        code_hash: str | None,
        expires_at: datetime,
        now: datetime,
    ) -> uuid.UUID:
        code_id = uuid.uuid4()
        await self._conn.execute(
            """INSERT INTO one_time_codes (id, tenant, purpose, subject, channel, destination, code_hash, expires_at, last_sent_at, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)""",
            code_id,
            tenant,
            purpose,
            subject,
            channel,
            destination,
            code_hash,
            expires_at,
            now,
        )
        return code_id

    async def get(self, code_id: uuid.UUID, tenant: str) -> OneTimeCode | None:
        row = await self._conn.fetchrow("SELECT * FROM one_time_codes WHERE id = $1 AND tenant = $2 FOR UPDATE", code_id, tenant)
        return OneTimeCode(**dict(row)) if row else None

    async def update(self, code: OneTimeCode, **values: Any) -> None:
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=2))
        await self._conn.execute(f"UPDATE one_time_codes SET {assignments} WHERE id = $1", code.id, *values.values())
        for name, value in values.items():
            setattr(code, name, value)


class ActionTokens:
    """Single-use links (activation, password reset, invitations) and activation tickets."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        token_hash: str,
        tenant: str,
        purpose: str,
        expires_at: datetime,
        account_id: uuid.UUID | None = None,
        subject: str | None = None,
        payload: dict | None = None,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO action_tokens (token_hash, tenant, purpose, account_id, subject, payload, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)""",
            token_hash,
            tenant,
            purpose,
            account_id,
            subject,
            json.dumps(payload or {}),
            expires_at,
        )

    async def use(self, token_hash: str, purposes: tuple[str, ...], now: datetime) -> ActionToken | None:
        """Consume a valid token (single use): None if unknown, used, expired or of another purpose."""
        return _token(
            await self._conn.fetchrow(
                """UPDATE action_tokens SET used_at = $3
                   WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > $3
                   RETURNING tenant, purpose, account_id, subject, payload""",
                token_hash,
                list(purposes),
                now,
            )
        )

    async def peek(self, token_hash: str, purposes: tuple[str, ...], now: datetime) -> ActionToken | None:
        return _token(
            await self._conn.fetchrow(
                "SELECT tenant, purpose, account_id, subject, payload FROM action_tokens"
                " WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > $3",
                token_hash,
                list(purposes),
                now,
            )
        )


class Sessions:
    """Refresh tokens, rotated at each use, grouped by session."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add_refresh_token(self, *, token_hash: str, account_id: uuid.UUID, session_id: uuid.UUID, expires_at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO refresh_tokens (token_hash, account_id, session_id, expires_at) VALUES ($1, $2, $3, $4)",
            token_hash,
            account_id,
            session_id,
            expires_at,
        )

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = await self._conn.fetchrow("SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE", token_hash)
        return RefreshToken(**dict(row)) if row else None

    async def rotate(self, token: RefreshToken, now: datetime) -> None:
        await self._conn.execute("UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1", token.token_hash, now)

    async def revoke(self, session_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
        """End a session; its account, or None if it was already ended (or is unknown)."""
        return await self._conn.fetchval(
            """WITH ended AS (UPDATE refresh_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL RETURNING account_id)
               SELECT account_id FROM ended LIMIT 1""",
            session_id,
            now,
        )

    async def revoke_all(self, account_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None) -> list[uuid.UUID]:
        """End every session of the account (but `keep`); the sessions ended."""
        rows = await self._conn.fetch(
            """UPDATE refresh_tokens SET revoked_at = $2
               WHERE account_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR session_id <> $3)
               RETURNING session_id""",
            account_id,
            now,
            keep,
        )
        return sorted({row["session_id"] for row in rows})
