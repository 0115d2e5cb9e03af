"""Read queries of the broker portal's dashboard, on the read model (a repository of the unit of work)."""

from __future__ import annotations

from datetime import date

import asyncpg

from portfolio.domain.periods import Month

_PORTFOLIO = """
    SELECT company_code FROM broker_companies
    WHERE tenant = $1 AND broker_code = $2 AND assigned_on IS NOT NULL
      AND (withdrawn_on IS NULL OR withdrawn_on < assigned_on)
"""


class Dashboards:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def broker_dashboard(self, tenant: str, broker_code: str, as_of: date, *, movements: int = 10) -> dict:
        current = Month.of(as_of)
        previous = current.previous()
        totals = await self._conn.fetchrow(
            f"""WITH portfolio AS ({_PORTFOLIO}),
                     m AS (SELECT * FROM memberships WHERE tenant = $1 AND company_code IN (SELECT company_code FROM portfolio))
                SELECT
                  (SELECT count(*) FROM portfolio) AS companies,
                  (SELECT count(*) FROM contracts WHERE tenant = $1 AND company_code IN (SELECT company_code FROM portfolio)) AS contracts,
                  (SELECT coalesce(sum(beneficiaries), 0) FROM m
                     WHERE start_date <= $3 AND (end_date IS NULL OR end_date >= $3)) AS protected_persons,
                  (SELECT count(*) FROM m WHERE start_date BETWEEN $4 AND $5) AS entries_current,
                  (SELECT count(*) FROM m WHERE start_date BETWEEN $6 AND $7) AS entries_previous,
                  (SELECT count(*) FROM m WHERE end_date BETWEEN $4 AND $5) AS exits_current,
                  (SELECT count(*) FROM m WHERE end_date BETWEEN $6 AND $7) AS exits_previous""",
            tenant,
            broker_code,
            as_of,
            current.first_day,
            current.last_day,
            previous.first_day,
            previous.last_day,
        )
        reasons = await self._conn.fetch(
            f"""SELECT exit_reason AS reason,
                       count(*) FILTER (WHERE end_date BETWEEN $3 AND $4) AS current_month,
                       count(*) FILTER (WHERE end_date BETWEEN $5 AND $6) AS previous_month
                FROM memberships
                WHERE tenant = $1 AND company_code IN ({_PORTFOLIO}) AND end_date BETWEEN $5 AND $4
                GROUP BY exit_reason ORDER BY count(*) DESC, exit_reason""",
            tenant,
            broker_code,
            current.first_day,
            current.last_day,
            previous.first_day,
            previous.last_day,
        )
        latest = await self._conn.fetch(
            f"""WITH m AS (SELECT * FROM memberships WHERE tenant = $1 AND company_code IN ({_PORTFOLIO}))
                SELECT mv.*, c.product, c.category FROM (
                    SELECT 'affiliation' AS kind, affiliation_recorded_on AS recorded_on, start_date AS effective_date,
                           membership_id, member_number, company_code, contract_number, last_name, first_name FROM m
                    WHERE start_date IS NOT NULL AND affiliation_recorded_on <= $3
                    UNION ALL
                    SELECT 'radiation', exit_recorded_on, end_date,
                           membership_id, member_number, company_code, contract_number, last_name, first_name FROM m
                    WHERE end_date IS NOT NULL AND exit_recorded_on <= $3
                ) mv LEFT JOIN contracts c ON c.tenant = $1 AND c.contract_number = mv.contract_number
                ORDER BY mv.recorded_on DESC, mv.effective_date DESC, mv.membership_id, mv.kind
                LIMIT $4""",
            tenant,
            broker_code,
            as_of,
            movements,
        )
        return {
            "broker_code": broker_code,
            "as_of": as_of,
            "portfolio": {
                "companies": totals["companies"],
                "collective_contracts": totals["contracts"],
                "protected_persons": totals["protected_persons"],
            },
            "entries": [
                {"month": current.key, "label": current.label, "count": totals["entries_current"]},
                {"month": previous.key, "label": previous.label, "count": totals["entries_previous"]},
            ],
            "exits": [
                {"month": current.key, "label": current.label, "count": totals["exits_current"]},
                {"month": previous.key, "label": previous.label, "count": totals["exits_previous"]},
            ],
            "exits_by_reason": [dict(row) for row in reasons],
            "latest_movements": [
                {
                    "kind": row["kind"],
                    "recorded_on": row["recorded_on"],
                    "effective_date": row["effective_date"],
                    "insured_name": " ".join(p for p in (row["last_name"] and row["last_name"].upper(), row["first_name"]) if p) or None,
                    "member_number": row["member_number"],
                    "company_code": row["company_code"],
                    "contract_number": row["contract_number"],
                    "product": row["product"],
                    "category": row["category"],
                }
                for row in latest
            ],
        }

    async def stats(self, consumer_group: str) -> dict:
        row = await self._conn.fetchrow(
            """SELECT (SELECT count(*) FROM inbox WHERE consumer_group = $1) AS events_applied,
                      (SELECT count(*) FROM brokers) AS brokers, (SELECT count(*) FROM companies) AS companies,
                      (SELECT count(*) FROM contracts) AS contracts, (SELECT count(*) FROM memberships) AS memberships""",
            consumer_group,
        )
        return dict(row)
