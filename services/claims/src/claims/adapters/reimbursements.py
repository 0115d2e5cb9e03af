"""Read queries of the member portal's reimbursements, on the read model (a repository of the unit of
work). Every query is scoped by tenant and household: a payment of another household is not found,
whoever asks. The caller's values only ever reach SQL as parameters."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import asyncpg

from claims.domain.households import Online
from claims.domain.payments import Beneficiary, Payment
from claims.domain.search import Page, Search

_ROW = "reference, member_number, received_on, paid_on, amount, payee, professional_name, masked_iban, acts"
_SEARCHED = (
    "tenant = $1 AND member_number = $2 AND ($3::text IS NULL OR $3 = ANY (beneficiary_ids))"
    " AND ($4::date IS NULL OR paid_on >= $4) AND ($5::date IS NULL OR paid_on <= $5) AND (NOT $6::boolean OR payee = 'TIERS')"
)
# The statements online: paid since $7 (paperless), or among the household's last $8.
_ONLINE = (
    "($7::date IS NULL OR paid_on >= $7) AND ($8::integer IS NULL OR reference IN ("
    "SELECT reference FROM payments WHERE tenant = $1 AND member_number = $2 ORDER BY paid_on DESC, reference DESC LIMIT $8))"
)


class Reimbursements:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def latest(self, tenant: str, member_number: str, count: int) -> list[Payment]:
        rows = await self._conn.fetch(
            f"""SELECT {_ROW} FROM payments WHERE tenant = $1 AND member_number = $2
                ORDER BY paid_on DESC, reference DESC LIMIT $3""",
            tenant,
            member_number,
            count,
        )
        return [Payment.from_row(row) for row in rows]

    async def search(self, tenant: str, member_number: str, search: Search, page: Page) -> tuple[int, list[Payment]]:
        """How many payments match, and those of the page, newest first."""
        values = (tenant, member_number, search.beneficiary, search.start, search.end, search.to_professionals)
        total = await self._conn.fetchval(f"SELECT count(*) FROM payments WHERE {_SEARCHED}", *values)
        rows = await self._conn.fetch(
            f"SELECT {_ROW} FROM payments WHERE {_SEARCHED} ORDER BY paid_on DESC, reference DESC LIMIT $7 OFFSET $8",
            *values,
            page.size,
            page.offset,
        )
        return total, [Payment.from_row(row) for row in rows]

    async def each_online(self, tenant: str, member_number: str, search: Search, online: Online) -> AsyncIterator[Payment]:
        """Every payment the search finds whose statement is online, newest first, read with a cursor (in the
        unit of work's transaction)."""
        values = (tenant, member_number, search.beneficiary, search.start, search.end, search.to_professionals, online.since, online.last)
        query = f"SELECT {_ROW} FROM payments WHERE {_SEARCHED} AND {_ONLINE} ORDER BY paid_on DESC, reference DESC"
        async for row in self._conn.cursor(query, *values, prefetch=50):
            yield Payment.from_row(row)

    async def online_payment(self, tenant: str, member_number: str, reference: str, online: Online) -> Payment | None:
        """The household's payment, if its statement is online."""
        values = (tenant, member_number, None, None, None, False, online.since, online.last)
        row = await self._conn.fetchrow(
            f"SELECT {_ROW} FROM payments WHERE {_SEARCHED} AND {_ONLINE} AND reference = $9", *values, reference
        )
        return Payment.from_row(row) if row else None

    async def payment(self, tenant: str, member_number: str, reference: str) -> Payment | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ROW} FROM payments WHERE tenant = $1 AND member_number = $2 AND reference = $3", tenant, member_number, reference
        )
        return Payment.from_row(row) if row else None

    async def beneficiaries(self, tenant: str, member_number: str) -> list[Beneficiary]:
        """Everyone of the household who received care the mutuelle paid for: the primary insured first, then by birth date."""
        rows = await self._conn.fetch(
            """SELECT DISTINCT ON (a -> 'beneficiary' ->> 'id') a -> 'beneficiary' AS beneficiary
               FROM payments p, jsonb_array_elements(p.acts) a
               WHERE p.tenant = $1 AND p.member_number = $2
               ORDER BY a -> 'beneficiary' ->> 'id', p.paid_on DESC""",
            tenant,
            member_number,
        )
        people = [json.loads(row["beneficiary"]) for row in rows]
        people.sort(key=lambda b: (b["role"] != "ASSURE", b["birth_date"], b["first_name"]))
        return [
            Beneficiary(
                id=b["id"],
                role=b["role"],
                first_name=b["first_name"],
                last_name=b["last_name"],
                birth_date=date.fromisoformat(b["birth_date"]),
            )
            for b in people
        ]

    async def stats(self, consumer_group: str) -> dict:
        row = await self._conn.fetchrow(
            """SELECT (SELECT count(*) FROM inbox WHERE consumer_group = $1) AS events_applied,
                      (SELECT count(*) FROM payments) AS payments, (SELECT coalesce(sum(act_count), 0) FROM payments) AS acts""",
            consumer_group,
        )
        return dict(row)
