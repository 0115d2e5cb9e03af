"""The memberships a correspondent's requests are checked against, from legacy.memberships: a small read
model (whose, on which contract of which company and in which insured group, from when, until when), each part guarded by its own
revision so that any order gives the same state (as portfolio's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from extranet_plumbing.consumer import Projection

member_affiliated = Projection(
    "enrollment_affiliations",
    (
        ("tenant", "text"),
        ("membership_id", "text"),
        ("member_number", "text"),
        ("contract_number", "text"),
        ("company_code", "text"),
        ("insured_group", "text"),
        ("last_name", "text"),
        ("first_name", "text"),
        ("start_date", "date"),
        ("affiliation_revision", "integer"),
    ),
    lambda env, e: (
        env.tenant,
        e.membership_id,
        e.member_number,
        e.contract_number,
        e.company_code,
        e.insured_group.value,
        e.primary.last_name,
        e.primary.first_name,
        e.effective_date,
        e.revision,
    ),
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, insured_group, last_name,
                                first_name, start_date, affiliation_revision)
       SELECT DISTINCT ON (tenant, membership_id)
              tenant, membership_id, member_number, contract_number, company_code, insured_group, last_name, first_name, start_date,
              affiliation_revision
       FROM {rows} ORDER BY tenant, membership_id, affiliation_revision DESC, seq
       ON CONFLICT (tenant, membership_id) DO UPDATE SET
         member_number = EXCLUDED.member_number, contract_number = EXCLUDED.contract_number, company_code = EXCLUDED.company_code,
         insured_group = EXCLUDED.insured_group, last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, start_date = EXCLUDED.start_date,
         affiliation_revision = EXCLUDED.affiliation_revision
       WHERE memberships.affiliation_revision IS NULL OR memberships.affiliation_revision < EXCLUDED.affiliation_revision""",
)

member_radiated = Projection(
    "enrollment_radiations",
    (
        ("tenant", "text"),
        ("membership_id", "text"),
        ("member_number", "text"),
        ("contract_number", "text"),
        ("company_code", "text"),
        ("end_date", "date"),
        ("exit_revision", "integer"),
    ),
    lambda env, e: (env.tenant, e.membership_id, e.member_number, e.contract_number, e.company_code, e.effective_date, e.revision),
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, end_date, exit_revision)
       SELECT DISTINCT ON (tenant, membership_id)
              tenant, membership_id, member_number, contract_number, company_code, end_date, exit_revision
       FROM {rows} ORDER BY tenant, membership_id, exit_revision DESC, seq
       ON CONFLICT (tenant, membership_id) DO UPDATE SET end_date = EXCLUDED.end_date, exit_revision = EXCLUDED.exit_revision
       WHERE memberships.exit_revision IS NULL OR memberships.exit_revision < EXCLUDED.exit_revision""",
)


@dataclass(frozen=True)
class Membership:
    membership_id: str
    member_number: str
    contract_number: str
    company_code: str
    insured_group: str | None  # None: projected before enrollment kept it (migration 004)
    last_name: str
    first_name: str
    start_date: date
    end_date: date | None


class Memberships:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def of_member(self, tenant: str, company_code: str, member_number: str, contract_number: str) -> Membership | None:
        """The member's membership on that contract of that company (the latest one if they joined twice)."""
        row = await self._conn.fetchrow(
            "SELECT membership_id, member_number, contract_number, company_code, insured_group, last_name, first_name, start_date, end_date"
            " FROM memberships WHERE tenant = $1 AND member_number = $2 AND contract_number = $3 AND company_code = $4"
            " AND start_date IS NOT NULL ORDER BY start_date DESC LIMIT 1",
            tenant,
            member_number,
            contract_number,
            company_code,
        )
        return Membership(**dict(row)) if row else None

    async def collective_of_member(self, tenant: str, member_number: str, today: date) -> bool:
        """Whether the member is covered today by a collective contract (a company's employee)."""
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM memberships WHERE tenant = $1 AND member_number = $2 AND company_code IS NOT NULL"
                " AND start_date IS NOT NULL AND (end_date IS NULL OR end_date >= $3) LIMIT 1",
                tenant,
                member_number,
                today,
            )
        )
