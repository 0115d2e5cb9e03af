"""The companies' collective contracts and their guarantees, from legacy.contracts: snapshots, the newest
revision wins whatever the order (projections, as portfolio's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from extranet_plumbing.consumer import Projection

contract_signed = Projection(
    "enrollment_contracts",
    (
        ("tenant", "text"),
        ("contract_number", "text"),
        ("company_code", "text"),
        ("product", "text"),
        ("effective_date", "date"),
        ("category", "text"),
        ("revision", "integer"),
    ),
    lambda env, e: (env.tenant, e.contract_number, e.company_code, e.product.value, e.effective_date, e.category.value, e.revision),
    """INSERT INTO contracts (tenant, contract_number, company_code, product, effective_date, category, revision)
       SELECT DISTINCT ON (tenant, contract_number) tenant, contract_number, company_code, product, effective_date, category, revision
       FROM {rows} ORDER BY tenant, contract_number, revision DESC, seq
       ON CONFLICT (tenant, contract_number) DO UPDATE SET company_code = EXCLUDED.company_code, product = EXCLUDED.product,
         effective_date = EXCLUDED.effective_date, category = EXCLUDED.category, revision = EXCLUDED.revision
       WHERE contracts.revision < EXCLUDED.revision""",
)

guarantee_attached = Projection(
    "enrollment_guarantees",
    (
        ("tenant", "text"),
        ("contract_number", "text"),
        ("guarantee_code", "text"),
        ("name", "text"),
        ("start_date", "date"),
        ("end_date", "date"),
        ("revision", "integer"),
    ),
    lambda env, e: (env.tenant, e.contract_number, e.guarantee_code, e.name, e.start_date, e.end_date, e.revision),
    """INSERT INTO guarantees (tenant, contract_number, guarantee_code, name, start_date, end_date, revision)
       SELECT DISTINCT ON (tenant, contract_number, guarantee_code) tenant, contract_number, guarantee_code, name, start_date, end_date, revision
       FROM {rows} ORDER BY tenant, contract_number, guarantee_code, revision DESC, seq
       ON CONFLICT (tenant, contract_number, guarantee_code) DO UPDATE SET name = EXCLUDED.name, start_date = EXCLUDED.start_date,
         end_date = EXCLUDED.end_date, revision = EXCLUDED.revision
       WHERE guarantees.revision < EXCLUDED.revision""",
)


@dataclass(frozen=True)
class Guarantee:
    code: str
    name: str
    start_date: date
    end_date: date | None

    def covers(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class Contracts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def of_company(self, tenant: str, company_code: str, contract_number: str) -> date | None:
        """The contract's effective date if it is one of the company's (None otherwise)."""
        return await self._conn.fetchval(
            "SELECT effective_date FROM contracts WHERE tenant = $1 AND contract_number = $2 AND company_code = $3",
            tenant,
            contract_number,
            company_code,
        )

    async def category(self, tenant: str, company_code: str, contract_number: str) -> tuple[bool, str | None]:
        """Whether the contract is one of the company's, and its population category (None: not known)."""
        row = await self._conn.fetchrow(
            "SELECT category FROM contracts WHERE tenant = $1 AND contract_number = $2 AND company_code = $3",
            tenant,
            contract_number,
            company_code,
        )
        return (row is not None, row["category"] if row else None)

    async def guarantees(self, tenant: str, contract_number: str) -> list[Guarantee]:
        rows = await self._conn.fetch(
            "SELECT guarantee_code AS code, name, start_date, end_date FROM guarantees WHERE tenant = $1 AND contract_number = $2"
            " ORDER BY name, guarantee_code",
            tenant,
            contract_number,
        )
        return [Guarantee(**dict(row)) for row in rows]
