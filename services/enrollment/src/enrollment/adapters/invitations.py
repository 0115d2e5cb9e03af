"""The online enrollment's invitations (their links' tokens as digests), the mails asked for them, and the
companies' names (from legacy.companies: a snapshot projection, the newest revision wins)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from enrollment.domain.invitations import Invitation
from extranet_plumbing.consumer import Projection

company_registered = Projection(
    "enrollment_companies",
    (("tenant", "text"), ("company_code", "text"), ("legal_name", "text"), ("revision", "integer")),
    lambda env, e: (env.tenant, e.company_code, e.legal_name, e.revision),
    """INSERT INTO companies (tenant, company_code, legal_name, revision)
       SELECT DISTINCT ON (tenant, company_code) tenant, company_code, legal_name, revision
       FROM {rows} ORDER BY tenant, company_code, revision DESC, seq
       ON CONFLICT (tenant, company_code) DO UPDATE SET legal_name = EXCLUDED.legal_name, revision = EXCLUDED.revision
       WHERE companies.revision < EXCLUDED.revision""",
)

_COLUMNS = (
    "i.id, i.tenant, i.company_code, i.contract_number, i.account, i.civility, i.last_name, i.first_name, i.email, i.status,"
    " i.mail_status, i.request_id, i.created_at, i.expires_at, i.last_mailed_at, i.reminders, r.status AS request_status, i.category"
)
_FROM = "FROM invitations i LEFT JOIN requests r ON r.id = i.request_id"


def _invitation(row: asyncpg.Record) -> Invitation:
    return Invitation(**dict(row))


class Invitations:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, invitation: Invitation, token_digest: bytes) -> None:
        await self._conn.execute(
            "INSERT INTO invitations (id, tenant, company_code, contract_number, account, civility, last_name, first_name, email,"
            " token_digest, status, mail_status, created_at, expires_at, last_mailed_at, reminders, category)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            invitation.id,
            invitation.tenant,
            invitation.company_code,
            invitation.contract_number,
            invitation.account,
            invitation.civility,
            invitation.last_name,
            invitation.first_name,
            invitation.email,
            token_digest,
            invitation.status,
            invitation.mail_status,
            invitation.created_at,
            invitation.expires_at,
            invitation.last_mailed_at,
            invitation.reminders,
            invitation.category,
        )

    async def save(self, invitation: Invitation, *, token_digest: bytes | None = None) -> None:
        """Its status, mail status, request, link (a new token's digest, when a reminder replaced it) and reminders."""
        await self._conn.execute(
            "UPDATE invitations SET status = $2, mail_status = $3, request_id = $4, expires_at = $5, last_mailed_at = $6,"
            " reminders = $7, token_digest = coalesce($8, token_digest) WHERE id = $1",
            invitation.id,
            invitation.status,
            invitation.mail_status,
            invitation.request_id,
            invitation.expires_at,
            invitation.last_mailed_at,
            invitation.reminders,
            token_digest,
        )

    async def remove(self, invitation_id: uuid.UUID, now: datetime) -> None:
        await self._conn.execute("UPDATE invitations SET removed_at = $2 WHERE id = $1", invitation_id, now)

    async def of_company(
        self, tenant: str, company_code: str, contracts: Sequence[str] | None, *, for_update: bool = False
    ) -> list[Invitation]:
        """The tracking table: the company's invitations on `contracts` (None: all), oldest first, removed ones excepted."""
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} {_FROM} WHERE i.tenant = $1 AND i.company_code = $2 AND i.removed_at IS NULL"
            " AND ($3::text[] IS NULL OR i.contract_number = ANY($3)) ORDER BY i.created_at, i.last_name, i.id LIMIT 5000"
            + (" FOR UPDATE OF i" if for_update else ""),
            tenant,
            company_code,
            list(contracts) if contracts is not None else None,
        )
        return [_invitation(r) for r in rows]

    async def get(self, tenant: str, invitation_id: uuid.UUID) -> Invitation | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} {_FROM} WHERE i.tenant = $1 AND i.id = $2 AND i.removed_at IS NULL FOR UPDATE OF i", tenant, invitation_id
        )
        return _invitation(row) if row else None

    async def by_token(self, token_digest: bytes) -> Invitation | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} {_FROM} WHERE i.token_digest = $1 AND i.removed_at IS NULL FOR UPDATE OF i", token_digest
        )
        return _invitation(row) if row else None

    async def by_request(self, request_id: uuid.UUID) -> Invitation | None:
        row = await self._conn.fetchrow(f"SELECT {_COLUMNS} {_FROM} WHERE i.request_id = $1 FOR UPDATE OF i", request_id)
        return _invitation(row) if row else None

    async def due(self, now: datetime, remind_before: datetime | None, max_reminders: int, tenant: str) -> list[Invitation]:
        """The tenant's open invitations whose link is over, or (`remind_before`) whose last mail is older and may be reminded."""
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} {_FROM} WHERE i.tenant = $1 AND i.status IN ('pending', 'in_progress', 'error') AND i.removed_at IS NULL"
            " AND (i.expires_at <= $2 OR ($3::timestamptz IS NOT NULL AND i.last_mailed_at <= $3 AND i.reminders < $4"
            " AND i.mail_status NOT IN ('bounced', 'failed')))"
            " ORDER BY i.expires_at LIMIT 500 FOR UPDATE OF i SKIP LOCKED",
            tenant,
            now,
            remind_before,
            max_reminders,
        )
        return [_invitation(r) for r in rows]

    async def tenants_open(self) -> list[str]:
        return [
            r["tenant"]
            for r in await self._conn.fetch("SELECT DISTINCT tenant FROM invitations WHERE status IN ('pending', 'in_progress', 'error')")
        ]

    async def record_mail(self, notification_id: uuid.UUID, invitation_id: uuid.UUID, template: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO invitation_mails (notification_id, invitation_id, template, requested_at) VALUES ($1, $2, $3, $4)",
            notification_id,
            invitation_id,
            template,
            at,
        )

    async def by_mail(self, notification_id: uuid.UUID) -> tuple[Invitation, bool] | None:
        """The invitation a mail was asked for, and whether that mail is its latest."""
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS}, (SELECT m2.notification_id FROM invitation_mails m2 WHERE m2.invitation_id = i.id"
            " ORDER BY m2.requested_at DESC, m2.notification_id LIMIT 1) = m.notification_id AS latest"
            f" FROM invitation_mails m JOIN invitations i ON i.id = m.invitation_id LEFT JOIN requests r ON r.id = i.request_id"
            " WHERE m.notification_id = $1 FOR UPDATE OF i",
            notification_id,
        )
        if row is None:
            return None
        values = dict(row)
        latest = values.pop("latest")
        return Invitation(**values), bool(latest)

    async def company_name(self, tenant: str, company_code: str) -> str | None:
        return await self._conn.fetchval("SELECT legal_name FROM companies WHERE tenant = $1 AND company_code = $2", tenant, company_code)
