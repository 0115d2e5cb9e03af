"""Collective contracts of each company, from the legacy system: what a correspondent may be given."""

from __future__ import annotations

import asyncpg


class CompanyContracts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def save(self, *, tenant: str, company_code: str, contract_number: str, product: str, category: str) -> None:
        await self._conn.execute(
            """INSERT INTO company_contracts (tenant, company_code, contract_number, product, category) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant, contract_number) DO UPDATE SET company_code = EXCLUDED.company_code,
                 product = EXCLUDED.product, category = EXCLUDED.category""",
            tenant,
            company_code,
            contract_number,
            product,
            category,
        )

    async def numbers(self, tenant: str, company_code: str) -> set[str]:
        rows = await self._conn.fetch(
            "SELECT contract_number FROM company_contracts WHERE tenant = $1 AND company_code = $2", tenant, company_code
        )
        return {r["contract_number"] for r in rows}
