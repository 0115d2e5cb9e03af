"""Read queries of a household's file (contract, beneficiaries, preferences), on the read model (a
repository of the unit of work). Every query is scoped by tenant and household."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class Households:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def contract(self, tenant: str, member_number: str) -> dict | None:
        value = await self._conn.fetchval(
            "SELECT contract FROM member_contracts WHERE tenant = $1 AND member_number = $2", tenant, member_number
        )
        return _json(value) if value is not None else None

    async def beneficiaries(self, tenant: str, member_number: str) -> list[dict] | None:
        value = await self._conn.fetchval(
            "SELECT beneficiaries FROM household_beneficiaries WHERE tenant = $1 AND member_number = $2", tenant, member_number
        )
        return _json(value) if value is not None else None

    async def preferences(self, tenant: str, member_number: str) -> dict | None:
        """The matrix, the paperless option and its date; None while the legacy system has published none."""
        row = await self._conn.fetchrow(
            "SELECT matrix, paperless, paperless_since FROM communication_preferences WHERE tenant = $1 AND member_number = $2",
            tenant,
            member_number,
        )
        return {"matrix": _json(row["matrix"]), "paperless": row["paperless"], "paperless_since": row["paperless_since"]} if row else None

    async def paperless(self, tenant: str, member_number: str) -> bool:
        value = await self._conn.fetchval(
            "SELECT paperless FROM communication_preferences WHERE tenant = $1 AND member_number = $2", tenant, member_number
        )
        return bool(value)

    async def announcement_target(self, tenant: str, member_number: str) -> tuple[str, str | None] | None:
        """(email, name) of the primary insured of a paperless household with an email on file, else None."""
        value = await self._conn.fetchval(
            """SELECT b.beneficiaries FROM communication_preferences p
               JOIN household_beneficiaries b USING (tenant, member_number)
               WHERE p.tenant = $1 AND p.member_number = $2 AND p.paperless""",
            tenant,
            member_number,
        )
        primary = next((b for b in _json(value) if b["role"] == "ASSURE"), None) if value is not None else None
        if primary is None or not primary.get("email"):
            return None
        return primary["email"], f"{primary['first_name']} {primary['last_name']}"

    async def mark_announced(self, tenant: str, reference: str, at: datetime) -> bool:
        """True the first time a statement is announced, False ever after."""
        inserted = await self._conn.fetchval(
            """INSERT INTO documents_announced (tenant, reference, announced_at) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""",
            tenant,
            reference,
            at,
        )
        return bool(inserted)
