"""Read queries of the broker portal's dashboard, on the read model (a repository of the unit of work)."""

from __future__ import annotations

from datetime import date

import asyncpg

from portfolio.domain.periods import Month

# The companies in a broker's portfolio on a day ($1 tenant, $2 broker, $3 the day): those whose last
# assignment or withdrawal dated on or before that day is an assignment (a withdrawal wins a tie).
PORTFOLIO_ON = """
    SELECT company_code FROM (
        SELECT DISTINCT ON (company_code) company_code, kind FROM broker_company_movements
        WHERE tenant = $1 AND broker_code = $2 AND on_date <= $3
        ORDER BY company_code, on_date DESC, kind DESC
    ) last_movement WHERE kind = 'assigned'
"""


class Dashboards:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def broker_dashboard(self, tenant: str, broker_code: str, as_of: date, *, movements: int = 5) -> dict:
        """The dashboard as it was on `as_of`: the portfolio on that day, its month and the previous one,
        and the latest `movements` affiliations and radiations recorded by then."""
        current = Month.of(as_of)
        previous = current.previous()
        totals = await self._conn.fetchrow(
            f"""WITH portfolio AS ({PORTFOLIO_ON}),
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
                       count(*) FILTER (WHERE end_date BETWEEN $4 AND $5) AS current_month,
                       count(*) FILTER (WHERE end_date BETWEEN $6 AND $7) AS previous_month
                FROM memberships
                WHERE tenant = $1 AND company_code IN ({PORTFOLIO_ON}) AND end_date BETWEEN $6 AND $5
                GROUP BY exit_reason ORDER BY count(*) DESC, exit_reason""",
            tenant,
            broker_code,
            as_of,
            current.first_day,
            current.last_day,
            previous.first_day,
            previous.last_day,
        )
        latest = await self._conn.fetch(
            f"""WITH m AS (SELECT * FROM memberships WHERE tenant = $1 AND company_code IN ({PORTFOLIO_ON})),
                     mv AS (
                       (SELECT 'affiliation' AS kind, affiliation_recorded_on AS recorded_on, start_date AS effective_date,
                               membership_id, member_number, company_code, contract_number, last_name, first_name FROM m
                        WHERE start_date IS NOT NULL AND affiliation_recorded_on <= $3
                        ORDER BY affiliation_recorded_on DESC, start_date DESC, membership_id LIMIT $4)
                       UNION ALL
                       (SELECT 'radiation', exit_recorded_on, end_date,
                               membership_id, member_number, company_code, contract_number, last_name, first_name FROM m
                        WHERE end_date IS NOT NULL AND exit_recorded_on <= $3
                        ORDER BY exit_recorded_on DESC, end_date DESC, membership_id LIMIT $4))
                SELECT mv.*, c.product, c.category FROM mv
                LEFT JOIN contracts c ON c.tenant = $1 AND c.contract_number = mv.contract_number
                ORDER BY mv.kind, mv.recorded_on DESC, mv.effective_date DESC, mv.membership_id""",
            tenant,
            broker_code,
            as_of,
            movements,
        )
        listed = [_movement(row) for row in latest]
        return {
            "broker_code": broker_code,
            "as_of": as_of,
            "month": current.key,
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
            "latest_affiliations": [m for m in listed if m["kind"] == "affiliation"],
            "latest_radiations": [m for m in listed if m["kind"] == "radiation"],
        }

    async def stats(self, consumer_group: str) -> dict:
        row = await self._conn.fetchrow(
            """SELECT (SELECT count(*) FROM inbox WHERE consumer_group = $1) AS events_applied,
                      (SELECT count(*) FROM brokers) AS brokers, (SELECT count(*) FROM companies) AS companies,
                      (SELECT count(*) FROM contracts) AS contracts, (SELECT count(*) FROM memberships) AS memberships""",
            consumer_group,
        )
        return dict(row)


def _movement(row: asyncpg.Record) -> dict:
    return {
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
