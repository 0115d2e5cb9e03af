"""The `deliveries` table: requests recorded at intake, attempts claimed and settled by senders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

_CLAIMED = (
    "request_id, tenant, template, channel, recipient_ref, address, display_name, locale, data, attempts,"
    " attempted_at, check_provider, handed_over_at, requested_at, traceparent, tracestate"
)


@dataclass(frozen=True)
class Attempt:
    """A delivery claimed by a sender: what it needs to send, and to report the outcome."""

    request_id: uuid.UUID
    tenant: str
    template: str
    channel: str
    recipient_ref: str
    address: str
    display_name: str | None
    locale: str
    data: dict[str, Any]
    attempts: int
    attempted_at: datetime
    check_provider: bool
    handed_over_at: datetime | None
    requested_at: datetime
    traceparent: str | None
    tracestate: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Attempt:
        values = dict(row)
        values["data"] = json.loads(values["data"]) if values["data"] else {}
        return cls(**values)

    @property
    def recipient(self) -> dict[str, Any]:
        return {"display_name": self.display_name, "reference": self.recipient_ref}


@dataclass(frozen=True)
class Ended:
    """A delivery that reached its end in this transaction: what its outcome event needs."""

    request_id: uuid.UUID
    tenant: str
    template: str
    channel: str
    attempts: int
    provider_message_id: str | None
    delivered: bool
    reason: str | None
    permanent: bool
    traceparent: str | None
    tracestate: str | None


async def record_request(
    conn: asyncpg.Connection,
    *,
    request_id: uuid.UUID,
    tenant: str,
    template: str,
    channel: str,
    recipient_ref: str,
    address: str,
    display_name: str | None,
    locale: str,
    data: dict[str, Any],
    requested_at: datetime,
    traceparent: str | None,
    tracestate: str | None,
    failed_reason: str | None = None,
) -> bool:
    """Record a request once (its event id is the delivery key); False if it was already there."""
    status = "failed" if failed_reason else "pending"
    inserted = await conn.fetchval(
        "INSERT INTO deliveries (request_id, tenant, template, channel, recipient_ref, address, display_name, locale,"
        " data, status, last_error, requested_at, traceparent, tracestate, finished_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, CASE WHEN $10 = 'failed' THEN now() END)"
        " ON CONFLICT (request_id) DO NOTHING RETURNING true",
        request_id,
        tenant,
        template,
        channel,
        recipient_ref,
        address,
        display_name,
        locale,
        None if failed_reason else json.dumps(data),
        status,
        failed_reason,
        requested_at,
        traceparent,
        tracestate,
    )
    return bool(inserted)


async def claim(conn: asyncpg.Connection | asyncpg.Pool, channel: str, limit: int, worker: uuid.UUID) -> list[Attempt]:
    """Take up to `limit` due deliveries of `channel` and record the attempt (committed on return,
    before anything is sent)."""
    rows = await conn.fetch(
        "WITH due AS (SELECT request_id FROM deliveries WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()"
        "             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " UPDATE deliveries AS d SET status = 'sending', attempts = d.attempts + 1, attempted_at = now(), claimed_by = $3,"
        "  handed_over_at = NULL"
        f" FROM due WHERE d.request_id = due.request_id RETURNING {', '.join('d.' + c.strip() for c in _CLAIMED.split(','))}",
        channel,
        limit,
        worker,
    )
    return [Attempt.from_row(row) for row in rows]


async def mark_handed_over(conn: asyncpg.Connection | asyncpg.Pool, request_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(
        "UPDATE deliveries SET handed_over_at = now() WHERE request_id = ANY($1::uuid[]) AND status = 'sending'", list(request_ids)
    )


_RETURNED = "d.request_id, d.tenant, d.template, d.channel, d.attempts, d.provider_message_id, d.last_error, d.traceparent, d.tracestate"


def _ended(row: asyncpg.Record, *, delivered: bool, reason: str | None, permanent: bool) -> Ended:
    return Ended(
        request_id=row["request_id"],
        tenant=row["tenant"],
        template=row["template"],
        channel=row["channel"],
        attempts=row["attempts"],
        provider_message_id=row["provider_message_id"],
        delivered=delivered,
        reason=reason,
        permanent=permanent,
        traceparent=row["traceparent"],
        tracestate=row["tracestate"],
    )


async def settle(
    conn: asyncpg.Connection,
    owner: uuid.UUID,
    *,
    delivered: Sequence[tuple[uuid.UUID, str | None, str | None]] = (),
    failed: Sequence[tuple[uuid.UUID, str, bool]] = (),
    retried: Sequence[tuple[uuid.UUID, float, str, bool]] = (),
    unsent: Sequence[uuid.UUID] = (),
) -> list[Ended]:
    """Settle attempts of `owner` still in progress (call inside a transaction); return those that ended.

    delivered: (id, provider message id, note); failed: (id, reason, permanent);
    retried: (id, delay in seconds, reason, ask the provider first); unsent: attempts that never
    reached the provider (back to pending at once, not counted)."""
    ended: list[Ended] = []
    if delivered:
        rows = await conn.fetch(
            "UPDATE deliveries AS d SET status = 'delivered', provider_message_id = u.pid, outcome_note = u.note,"
            " finished_at = now(), data = NULL, last_error = NULL, check_provider = false"
            " FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, pid, note)"
            f" WHERE d.request_id = u.id AND d.status = 'sending' AND d.claimed_by = $4 RETURNING {_RETURNED}",
            [d[0] for d in delivered],
            [d[1] for d in delivered],
            [d[2] for d in delivered],
            owner,
        )
        ended += [_ended(r, delivered=True, reason=None, permanent=False) for r in rows]
    if failed:
        rows = await conn.fetch(
            "UPDATE deliveries AS d SET status = 'failed', last_error = u.reason, finished_at = now(), data = NULL,"
            " check_provider = false"
            " FROM unnest($1::uuid[], $2::text[]) AS u(id, reason)"
            f" WHERE d.request_id = u.id AND d.status = 'sending' AND d.claimed_by = $3 RETURNING {_RETURNED}",
            [f[0] for f in failed],
            [f[1] for f in failed],
            owner,
        )
        permanent = {f[0]: f[2] for f in failed}
        ended += [_ended(r, delivered=False, reason=r["last_error"], permanent=permanent[r["request_id"]]) for r in rows]
    if retried:
        await conn.execute(
            "UPDATE deliveries AS d SET status = 'pending', next_attempt_at = now() + make_interval(secs => u.delay),"
            " last_error = u.reason, check_provider = d.check_provider OR u.ask, claimed_by = NULL, handed_over_at = NULL"
            " FROM unnest($1::uuid[], $2::float8[], $3::text[], $4::bool[]) AS u(id, delay, reason, ask)"
            " WHERE d.request_id = u.id AND d.status = 'sending' AND d.claimed_by = $5",
            [r[0] for r in retried],
            [r[1] for r in retried],
            [r[2] for r in retried],
            [r[3] for r in retried],
            owner,
        )
    if unsent:
        await conn.execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = now(), attempts = greatest(attempts - 1, 0),"
            " claimed_by = NULL, handed_over_at = NULL"
            " WHERE request_id = ANY($1::uuid[]) AND status = 'sending' AND claimed_by = $2",
            list(unsent),
            owner,
        )
    return ended


async def other_owners(conn: asyncpg.Connection, me: uuid.UUID) -> list[uuid.UUID]:
    """Sender processes other than `me` with attempts in progress."""
    return [
        r["claimed_by"]
        for r in await conn.fetch("SELECT DISTINCT claimed_by FROM deliveries WHERE status = 'sending' AND claimed_by <> $1", me)
    ]


async def in_progress(conn: asyncpg.Connection, owner: uuid.UUID, limit: int = 1000) -> list[Attempt]:
    rows = await conn.fetch(f"SELECT {_CLAIMED} FROM deliveries WHERE status = 'sending' AND claimed_by = $1 LIMIT $2", owner, limit)
    return [Attempt.from_row(row) for row in rows]


async def sids_in_use(conn: asyncpg.Connection, sids: Sequence[str]) -> set[str]:
    rows = await conn.fetch("SELECT provider_message_id FROM deliveries WHERE provider_message_id = ANY($1::text[])", list(sids))
    return {r["provider_message_id"] for r in rows}


async def stats(conn: asyncpg.Connection) -> dict[str, Any]:
    rows = await conn.fetch("SELECT channel, status, count(*) AS n FROM deliveries GROUP BY channel, status")
    by: dict[str, dict[str, int]] = {}
    for r in rows:
        by.setdefault(r["channel"], {})[r["status"]] = r["n"]
    return {"deliveries": by}


async def delivery(conn: asyncpg.Connection, request_id: uuid.UUID) -> dict[str, Any] | None:
    """What a delivery became, without personal data (no address, no template data)."""
    row = await conn.fetchrow(
        "SELECT request_id, tenant, template, channel, status, attempts, next_attempt_at, attempted_at, finished_at,"
        " provider_message_id, outcome_note, last_error FROM deliveries WHERE request_id = $1",
        request_id,
    )
    return dict(row) if row else None


class Deliveries:
    """The deliveries table as the intake and the HTTP routes use it, inside a unit of work (the sender,
    which shares its commits between concurrent messages, calls the functions above on its own connections)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record_request(self, **request: Any) -> bool:
        return await record_request(self._conn, **request)

    async def wake_senders(self, channel: str) -> None:
        """Tell the senders (LISTEN deliveries) that a delivery of `channel` waits, once this commits."""
        await self._conn.execute("SELECT pg_notify('deliveries', $1)", channel)

    async def stats(self) -> dict[str, Any]:
        return await stats(self._conn)

    async def delivery(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        return await delivery(self._conn, request_id)
