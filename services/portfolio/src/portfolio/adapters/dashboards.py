"""Read queries of the broker portal's dashboard, on the read model (a repository of the unit of work)."""

from __future__ import annotations

from datetime import date

import asyncpg

from portfolio.domain.periods import Month

# The companies in a broker's portfolio on a day ($1 tenant, $2 broker, $3 the day): those whose last
# assignment or withdrawal dated on or before that day is an assignment (a withdrawal wins a tie).
# Written as an anti-join, so that the planner expects as many companies as there are (a DISTINCT ON
# then a filter on its result was estimated at 5 rows whatever the portfolio, and the queries built
# on it chose nested loops over a thousand companies); each company comes once (primary key).
PORTFOLIO_ON = """
    SELECT a.company_code FROM broker_company_movements a
    WHERE a.tenant = $1 AND a.broker_code = $2 AND a.on_date <= $3 AND a.kind = 'assigned'
      AND NOT EXISTS (
        SELECT 1 FROM broker_company_movements later
        WHERE later.tenant = $1 AND later.broker_code = $2 AND later.company_code = a.company_code AND later.on_date <= $3
          AND (later.on_date > a.on_date OR (later.on_date = a.on_date AND later.kind = 'withdrawn')))
"""


# Every query here is planned for the values it is given. asyncpg prepares each statement once per
# connection, and after five executions PostgreSQL may keep a generic plan, made without the values:
# measured on the bench data set, a contract's insured went from 1.4 ms to 10 ms that way.
# For the rest of the transaction (the unit of work's), or of the statement outside one.
CUSTOM_PLANS = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"


class PlannedForValues:
    """A repository on a connection whose queries are planned with their values (CUSTOM_PLANS, once)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._planned = False

    async def _plan_for_values(self) -> None:
        if not self._planned:
            await self._conn.execute(CUSTOM_PLANS)
            self._planned = True


class Dashboards(PlannedForValues):
    async def broker_dashboard(self, tenant: str, broker_code: str, as_of: date, *, movements: int = 5) -> dict:
        """The dashboard as it was on `as_of`: the portfolio on that day, its month and the previous one,
        and the latest `movements` affiliations and radiations recorded by then."""
        await self._plan_for_values()
        current = Month.of(as_of)
        previous = current.previous()
        # One pass over the portfolio's memberships, from one index (migration 006).
        totals = await self._conn.fetchrow(
            f"""WITH portfolio AS MATERIALIZED ({PORTFOLIO_ON})
                SELECT
                  (SELECT count(*) FROM portfolio) AS companies,
                  (SELECT count(*) FROM contracts k JOIN portfolio p USING (company_code) WHERE k.tenant = $1) AS contracts,
                  coalesce(sum(m.beneficiaries) FILTER (WHERE m.start_date <= $3 AND (m.end_date IS NULL OR m.end_date >= $3)), 0)
                    AS protected_persons,
                  count(*) FILTER (WHERE m.start_date BETWEEN $4 AND $5) AS entries_current,
                  count(*) FILTER (WHERE m.start_date BETWEEN $6 AND $7) AS entries_previous,
                  count(*) FILTER (WHERE m.end_date BETWEEN $4 AND $5) AS exits_current,
                  count(*) FILTER (WHERE m.end_date BETWEEN $6 AND $7) AS exits_previous
                FROM portfolio p JOIN memberships m ON m.tenant = $1 AND m.company_code = p.company_code""",
            tenant,
            broker_code,
            as_of,
            current.first_day,
            current.last_day,
            previous.first_day,
            previous.last_day,
        )
        reasons = await self._conn.fetch(
            f"""WITH portfolio AS MATERIALIZED ({PORTFOLIO_ON})
                SELECT exit_reason AS reason,
                       count(*) FILTER (WHERE end_date BETWEEN $4 AND $5) AS current_month,
                       count(*) FILTER (WHERE end_date BETWEEN $6 AND $7) AS previous_month
                FROM portfolio p JOIN memberships m ON m.tenant = $1 AND m.company_code = p.company_code AND m.end_date BETWEEN $6 AND $5
                GROUP BY exit_reason ORDER BY count(*) DESC, exit_reason""",
            tenant,
            broker_code,
            as_of,
            current.first_day,
            current.last_day,
            previous.first_day,
            previous.last_day,
        )
        # The newest few of each company (an index each, migration 006), the newest of those, then their rows.
        latest = await self._conn.fetch(
            f"""WITH portfolio AS MATERIALIZED ({PORTFOLIO_ON}),
                     mv AS (
                       (SELECT 'affiliation' AS kind, l.recorded_on, l.effective_date, l.membership_id
                        FROM portfolio p CROSS JOIN LATERAL (
                          SELECT m.affiliation_recorded_on AS recorded_on, m.start_date AS effective_date, m.membership_id FROM memberships m
                          WHERE m.tenant = $1 AND m.company_code = p.company_code AND m.start_date IS NOT NULL
                            AND m.affiliation_recorded_on <= $3
                          ORDER BY m.affiliation_recorded_on DESC, m.start_date DESC, m.membership_id LIMIT $4) l
                        ORDER BY l.recorded_on DESC, l.effective_date DESC, l.membership_id LIMIT $4)
                       UNION ALL
                       (SELECT 'radiation', l.recorded_on, l.effective_date, l.membership_id
                        FROM portfolio p CROSS JOIN LATERAL (
                          SELECT m.exit_recorded_on AS recorded_on, m.end_date AS effective_date, m.membership_id FROM memberships m
                          WHERE m.tenant = $1 AND m.company_code = p.company_code AND m.end_date IS NOT NULL AND m.exit_recorded_on <= $3
                          ORDER BY m.exit_recorded_on DESC, m.end_date DESC, m.membership_id LIMIT $4) l
                        ORDER BY l.recorded_on DESC, l.effective_date DESC, l.membership_id LIMIT $4))
                SELECT mv.*, m.member_number, m.company_code, m.contract_number, m.last_name, m.first_name, c.product, c.category
                FROM mv JOIN memberships m ON m.tenant = $1 AND m.membership_id = mv.membership_id
                LEFT JOIN contracts c ON c.tenant = $1 AND c.contract_number = m.contract_number
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
