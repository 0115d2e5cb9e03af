"""Collective contracts of each company, from the legacy system: what a correspondent may be given."""

from __future__ import annotations

import asyncpg


class CompanyContracts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def save(
        self, *, tenant: str, company_code: str, contract_number: str, product: str, category: str, insured_groups: list[str]
    ) -> None:
        await self._conn.execute(
            """INSERT INTO company_contracts (tenant, company_code, contract_number, product, category, insured_groups)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (tenant, contract_number) DO UPDATE SET company_code = EXCLUDED.company_code,
                 product = EXCLUDED.product, category = EXCLUDED.category, insured_groups = EXCLUDED.insured_groups""",
            tenant,
            company_code,
            contract_number,
            product,
            category,
            insured_groups,
        )

    async def contracts(self, tenant: str, company_code: str) -> dict[str, tuple[str, tuple[str, ...] | None]]:
        """The company's contracts, each with its category (population) and insured groups (None: not on file)."""
        rows = await self._conn.fetch(
            "SELECT contract_number, category, insured_groups FROM company_contracts WHERE tenant = $1 AND company_code = $2",
            tenant,
            company_code,
        )
        return {
            r["contract_number"]: (r["category"], tuple(r["insured_groups"]) if r["insured_groups"] is not None else None) for r in rows
        }
