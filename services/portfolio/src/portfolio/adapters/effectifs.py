"""Read queries of the broker portal's Effectifs, Productions and Radiations tabs: companies of the
portfolio on a date, searched and paginated, a company's detail, a contract's guarantees and insured.

Every query is scoped by the broker's portfolio on the day asked for (`PORTFOLIO_ON`): a company,
contract or insured person outside it is not found, whoever asks. Sorting goes through whitelists;
the caller's text only ever reaches SQL as a parameter."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import asyncpg

from portfolio.adapters.dashboards import PORTFOLIO_ON, PlannedForValues
from portfolio.domain.listing import Page, Period, Search, status_on

Movement = Literal["entries", "exits"]


class _Params:
    """Numbered query parameters ($1, $2, ...) added as the query is built."""

    def __init__(self, *values: Any) -> None:
        self.values = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


@dataclass(frozen=True)
class Scope:
    """Whose portfolio, on which day, and which memberships count: those active on the day
    (Effectifs), or those that entered or left during a period (Productions, Radiations)."""

    tenant: str
    broker_code: str
    as_of: date
    movement: Movement | None = None
    period: Period | None = None

    def counted(self, p: _Params, alias: str = "m") -> str:
        """The memberships this scope counts, as a condition on `alias`."""
        if self.movement is None:
            day = p(self.as_of)
            return f"{alias}.start_date <= {day} AND ({alias}.end_date IS NULL OR {alias}.end_date >= {day})"
        assert self.period is not None
        column = "start_date" if self.movement == "entries" else "end_date"
        return f"{alias}.{column} BETWEEN {p(self.period.start)} AND {p(self.period.end)}"


COMPANY_SORTS = {
    "legal_name": "c.search_name",
    "company_code": "c.company_code",
    "siret": "c.siret",
    "membership_date": "c.membership_date",
    "status": "NOT c.active",  # Actif first
    "contracts": "contracts",
    "memberships": "memberships",
    "changed_at": "c.changed_at",
}
GUARANTEE_SORTS = {"name": "g.name", "start_date": "g.start_date", "end_date": "g.end_date", "changed_at": "g.changed_at"}
INSURED_SORTS = {
    "member_number": "m.member_number",
    "name": "m.search_name",
    "status": "status",
    "start_date": "m.start_date",
    "end_date": "m.end_date",
    "reason": "m.exit_reason",
    "company_code": "m.company_code",
    "contract_number": "m.contract_number",
}


class Effectifs(PlannedForValues):
    # --- companies ---------------------------------------------------------------------------------

    def _companies_sql(self, scope: Scope, search: Search) -> tuple[str, _Params]:
        p = _Params(scope.tenant, scope.broker_code, scope.as_of)  # $1, $2, $3 as PORTFOLIO_ON expects
        where = ["c.tenant = $1"]
        if search.legal_name:
            where.append(f"c.search_name LIKE '%' || fold({p(search.legal_name)}) || '%'")
        if search.company_code:
            where.append(f"c.company_code = {p(search.company_code)}")
        if search.siret:
            where.append(f"c.siret = {p(search.siret)}")
        counted = scope.counted(p)
        insured = []
        if search.member_number:
            insured.append(f"m.member_number = {p(search.member_number)}")
        if search.insured_name:
            insured.append(f"m.search_name LIKE '%' || fold({p(search.insured_name)}) || '%'")
        insured_match = " AND ".join(insured) or "TRUE"
        sql = f"""
            WITH portfolio AS ({PORTFOLIO_ON}),
            listed AS (
                SELECT c.*,
                       (SELECT count(*) FROM contracts k WHERE k.tenant = $1 AND k.company_code = c.company_code
                          {
            "AND EXISTS (SELECT 1 FROM memberships m WHERE m.tenant = $1 AND m.contract_number = k.contract_number AND " + counted + ")"
            if scope.movement
            else ""
        }) AS contracts,
                       (SELECT count(*) FROM memberships m WHERE m.tenant = $1 AND m.company_code = c.company_code
                          AND m.start_date IS NOT NULL AND {counted} AND {insured_match}) AS memberships
                FROM companies c JOIN portfolio USING (company_code)
                WHERE {" AND ".join(where)}
            )
            SELECT * FROM listed c
            WHERE {"c.memberships > 0" if scope.movement or search.by_insured else "TRUE"}"""
        return sql, p

    async def companies(self, scope: Scope, search: Search, page: Page) -> dict:
        await self._plan_for_values()
        sql, p = self._companies_sql(scope, search)
        order = page.order_by(COMPANY_SORTS, "legal_name", "c.company_code")
        totals = await self._conn.fetchrow(
            f"""SELECT count(*) AS companies, coalesce(sum(contracts), 0)::bigint AS contracts,
                       coalesce(sum(memberships), 0)::bigint AS memberships FROM ({sql}) c""",
            *p.values,
        )
        rows = await self._conn.fetch(f"{sql} ORDER BY {order} LIMIT {p(page.size)} OFFSET {p(page.offset)}", *p.values)
        return {
            "as_of": scope.as_of,
            "period": _period(scope),
            "totals": dict(totals),
            "page": page.number,
            "page_size": page.size,
            "total": totals["companies"],
            "items": [_company_row(row) for row in rows],
        }

    async def all_companies(self, scope: Scope, search: Search, page: Page) -> AsyncIterator[dict]:
        """Every row of the list, in its order, without the page limit (exports): read with a cursor."""
        await self._plan_for_values()
        sql, p = self._companies_sql(scope, search)
        order = page.order_by(COMPANY_SORTS, "legal_name", "c.company_code")
        async for row in self._conn.cursor(f"{sql} ORDER BY {order}", *p.values, prefetch=1000):
            yield _company_row(row)

    async def company(self, scope: Scope, company_code: str) -> dict | None:
        """A company of the portfolio with its contracts and their counts on the scope's terms."""
        await self._plan_for_values()
        p = _Params(scope.tenant, scope.broker_code, scope.as_of)
        row = await self._conn.fetchrow(
            f"""WITH portfolio AS ({PORTFOLIO_ON})
                SELECT c.* FROM companies c JOIN portfolio USING (company_code)
                WHERE c.tenant = $1 AND c.company_code = {p(company_code)}""",
            *p.values,
        )
        if row is None:
            return None
        p = _Params(scope.tenant, company_code)
        counted = scope.counted(p)
        contracts = await self._conn.fetch(
            f"""SELECT k.*,
                       (SELECT count(*) FROM memberships m WHERE m.tenant = $1 AND m.contract_number = k.contract_number
                          AND m.start_date IS NOT NULL AND {counted}) AS active_employees,
                       (SELECT coalesce(sum(m.beneficiaries), 0) FROM memberships m WHERE m.tenant = $1
                          AND m.contract_number = k.contract_number AND m.start_date IS NOT NULL AND {counted}) AS active_beneficiaries
                FROM contracts k WHERE k.tenant = $1 AND k.company_code = $2
                ORDER BY k.product, k.category, k.contract_number""",
            *p.values,
        )
        listed = [
            {
                "contract_number": k["contract_number"],
                "product": k["product"],
                "category": k["category"],
                "effective_date": k["effective_date"],
                "insured_groups": list(k["insured_groups"]),
                "active_employees": k["active_employees"],
                "active_beneficiaries": k["active_beneficiaries"],
                "changed_at": k["changed_at"],
            }
            for k in contracts
        ]
        company = {k: v for k, v in _company_row(row).items() if k not in ("contracts", "memberships")}
        return {
            **company,
            "siren": row["siren"],
            "address": _json(row["address"]),
            "contacts": [
                {
                    "name": " ".join(x for x in (c.get("first_name"), (c.get("last_name") or "").upper()) if x),
                    "role": c.get("role"),
                    "email": c.get("email"),
                    "phone": c.get("phone"),
                    "primary": c.get("primary", False),
                }
                for c in _json(row["contacts"])
            ],
            "as_of": scope.as_of,
            "period": _period(scope),
            "contracts": listed,
        }

    # --- a contract's guarantees and insured ---------------------------------------------------------

    async def contract_in_portfolio(self, scope: Scope, contract_number: str) -> bool:
        await self._plan_for_values()
        return bool(
            await self._conn.fetchval(
                f"""WITH portfolio AS ({PORTFOLIO_ON})
                    SELECT 1 FROM contracts k JOIN portfolio USING (company_code) WHERE k.tenant = $1 AND k.contract_number = $4""",
                scope.tenant,
                scope.broker_code,
                scope.as_of,
                contract_number,
            )
        )

    async def guarantees(self, scope: Scope, contract_number: str, page: Page) -> dict:
        await self._plan_for_values()
        order = page.order_by(GUARANTEE_SORTS, "name", "g.guarantee_code")
        rows = await self._conn.fetch(
            f"""SELECT g.*, count(*) OVER () AS total FROM guarantees g WHERE g.tenant = $1 AND g.contract_number = $2
                ORDER BY {order} LIMIT $3 OFFSET $4""",
            scope.tenant,
            contract_number,
            page.size,
            page.offset,
        )
        total = rows[0]["total"] if rows else await self._count("guarantees", scope.tenant, contract_number)
        return {
            "contract_number": contract_number,
            "page": page.number,
            "page_size": page.size,
            "total": total,
            "items": [
                {"name": g["name"], "start_date": g["start_date"], "end_date": g["end_date"], "changed_at": g["changed_at"]} for g in rows
            ],
        }

    def _insured_sql(self, scope: Scope, search: Search, contract_number: str | None) -> tuple[str, _Params]:
        p = _Params(scope.tenant, scope.broker_code, scope.as_of)
        where = ["m.tenant = $1", "m.start_date IS NOT NULL"]
        if contract_number is not None:
            where.append(f"m.contract_number = {p(contract_number)}")
        if scope.movement is not None:
            where.append(scope.counted(p))
        else:
            where.append(f"m.start_date <= {p(scope.as_of)}")  # who had joined by then, still covered or not
        if search.member_number:
            where.append(f"m.member_number = {p(search.member_number)}")
        if search.insured_name:
            where.append(f"m.search_name LIKE '%' || fold({p(search.insured_name)}) || '%'")
        day = p(scope.as_of)
        sql = f"""
            WITH portfolio AS ({PORTFOLIO_ON})
            SELECT m.*, c.legal_name,
                   CASE WHEN m.start_date > {day} THEN 'À venir' WHEN m.end_date < {day} THEN 'Résilié' ELSE 'Actif' END AS status
            FROM memberships m JOIN portfolio USING (company_code)
            LEFT JOIN companies c ON c.tenant = $1 AND c.company_code = m.company_code
            WHERE {" AND ".join(where)}"""
        return sql, p

    async def insured(self, scope: Scope, page: Page, *, contract_number: str | None = None, search: Search | None = None) -> dict:
        """A contract's insured (or the portfolio's, searched): on the scope's day, everyone who had
        joined by then, active or terminated; for a period, those who entered or left during it."""
        await self._plan_for_values()
        sql, p = self._insured_sql(scope, search or Search(), contract_number)
        order = page.order_by(INSURED_SORTS, "name", "m.membership_id")
        total = await self._conn.fetchval(f"SELECT count(*) FROM ({sql}) x", *p.values)
        rows = await self._conn.fetch(f"{sql} ORDER BY {order} LIMIT {p(page.size)} OFFSET {p(page.offset)}", *p.values)
        return {
            "contract_number": contract_number,
            "as_of": scope.as_of,
            "period": _period(scope),
            "page": page.number,
            "page_size": page.size,
            "total": total,
            "items": [_insured_row(row, scope.as_of) for row in rows],
        }

    async def all_insured(
        self, scope: Scope, page: Page, *, contract_number: str | None = None, search: Search | None = None
    ) -> AsyncIterator[dict]:
        await self._plan_for_values()
        sql, p = self._insured_sql(scope, search or Search(), contract_number)
        order = page.order_by(INSURED_SORTS, "name", "m.membership_id")
        async for row in self._conn.cursor(f"{sql} ORDER BY {order}", *p.values, prefetch=1000):
            yield _insured_row(row, scope.as_of)

    async def _count(self, table: str, tenant: str, contract_number: str) -> int:
        return await self._conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE tenant = $1 AND contract_number = $2", tenant, contract_number
        )


def _period(scope: Scope) -> dict | None:
    return {"start": scope.period.start, "end": scope.period.end} if scope.period else None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _company_row(row: asyncpg.Record) -> dict:
    return {
        "company_code": row["company_code"],
        "legal_name": row["legal_name"],
        "siret": row["siret"],
        "membership_date": row["membership_date"],
        "status": "Actif" if row["active"] else "Résilié",
        "contracts": row.get("contracts"),
        "memberships": row.get("memberships"),
        "changed_at": row["changed_at"],
    }


def _insured_row(row: asyncpg.Record, as_of: date) -> dict:
    return {
        "member_number": row["member_number"],
        "name": " ".join(x for x in ((row["last_name"] or "").upper(), row["first_name"]) if x) or None,
        "status": status_on(row["start_date"], row["end_date"], as_of),
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "reason": row["exit_reason"],
        "company_code": row["company_code"],
        "legal_name": row["legal_name"],
        "contract_number": row["contract_number"],
        "changed_at": max((t for t in (row["affiliation_changed_at"], row["exit_changed_at"]) if t), default=None),
    }


async def all_guarantees(conn: asyncpg.Connection, scope: Scope, contract_number: str, page: Page) -> AsyncIterator[dict]:
    """A contract's guarantees in the list's order, without the page limit (exports)."""
    order = page.order_by(GUARANTEE_SORTS, "name", "g.guarantee_code")
    async for g in conn.cursor(
        f"SELECT g.* FROM guarantees g WHERE g.tenant = $1 AND g.contract_number = $2 ORDER BY {order}",
        scope.tenant,
        contract_number,
        prefetch=1000,
    ):
        yield {"name": g["name"], "start_date": g["start_date"], "end_date": g["end_date"], "changed_at": g["changed_at"]}
