"""Read queries of a household's file (contract, beneficiaries, preferences), on the read model (a
repository of the unit of work). Every query is scoped by tenant and household."""

from __future__ import annotations

import json
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
