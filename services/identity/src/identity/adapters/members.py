"""What identity keeps of the legacy system's members (`members_on_file`), as `MemberOnFile` objects."""

from __future__ import annotations

import dataclasses
from datetime import date

import asyncpg

from identity.domain.members import MemberOnFile

_FIELDS = {f.name for f in dataclasses.fields(MemberOnFile)}
# A member is radiated once every membership on file has ended: then, since the latest end.
_SELECT = """SELECT m.*, CASE WHEN NOT EXISTS (
                 SELECT 1 FROM member_memberships mm
                 WHERE mm.tenant = m.tenant AND mm.member_number = m.member_number AND mm.end_date IS NULL)
               THEN (SELECT max(mm.end_date) FROM member_memberships mm WHERE mm.tenant = m.tenant AND mm.member_number = m.member_number)
             END AS radiated_on
             FROM members_on_file m"""


def member_of(row: asyncpg.Record | None) -> MemberOnFile | None:
    return None if row is None else MemberOnFile(**{k: v for k, v in dict(row).items() if k in _FIELDS})


class MembersOnFile:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def save(
        self,
        *,
        tenant: str,
        member_number: str,
        last_name: str,
        first_name: str,
        birth_dates: list[date],
        email: str | None,
        mobile_phone: str | None,
        postal_code: str | None,
        contract_number: str,
        mutuelle_code: str | None = None,
    ) -> None:
        """Record an affiliation: the member's latest identity data, one more contract."""
        await self._conn.execute(
            """INSERT INTO members_on_file AS m (tenant, member_number, last_name, first_name, birth_dates, email, mobile_phone,
                                                 postal_code, contract_numbers, mutuelle_code)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ARRAY[$9], $10)
               ON CONFLICT (tenant, member_number) DO UPDATE SET
                 last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, birth_dates = EXCLUDED.birth_dates,
                 email = COALESCE(EXCLUDED.email, m.email), mobile_phone = COALESCE(EXCLUDED.mobile_phone, m.mobile_phone),
                 postal_code = EXCLUDED.postal_code, mutuelle_code = COALESCE(EXCLUDED.mutuelle_code, m.mutuelle_code),
                 contract_numbers = CASE WHEN $9 = ANY(m.contract_numbers) THEN m.contract_numbers
                                         ELSE m.contract_numbers || $9 END""",
            tenant,
            member_number,
            last_name,
            first_name,
            birth_dates,
            email,
            mobile_phone,
            postal_code,
            contract_number,
            mutuelle_code,
        )

    async def get(self, tenant: str, member_number: str) -> MemberOnFile | None:
        return member_of(await self._conn.fetchrow(f"{_SELECT} WHERE m.tenant = $1 AND m.member_number = $2", tenant, member_number))

    async def by_contact(self, tenant: str, *, email: str | None = None, phone: str | None = None) -> list[MemberOnFile]:
        rows = await self._conn.fetch(
            f"""{_SELECT} WHERE m.tenant = $1
               AND (($2::text IS NOT NULL AND lower(m.email) = lower($2)) OR ($3::text IS NOT NULL AND m.mobile_phone = $3))""",
            tenant,
            email,
            phone,
        )
        return [member_of(r) for r in rows]

    async def on_contract(self, tenant: str, contract_number: str, *, postal_code: str, birth_date: date) -> list[MemberOnFile]:
        rows = await self._conn.fetch(
            f"{_SELECT} WHERE m.tenant = $1 AND $2 = ANY(m.contract_numbers) AND m.postal_code = $3 AND $4 = ANY(m.birth_dates)",
            tenant,
            contract_number,
            postal_code,
            birth_date,
        )
        return [member_of(r) for r in rows]

    async def set_email(self, member: MemberOnFile, email: str) -> None:
        await self._conn.execute(
            "UPDATE members_on_file SET email = $3 WHERE tenant = $1 AND member_number = $2", member.tenant, member.member_number, email
        )
        member.email = email

    async def affiliate(self, *, tenant: str, member_number: str, membership_id: str, contract_number: str, start_date: date) -> None:
        """Record that a membership began (any order with its radiation gives the same state)."""
        await self._conn.execute(
            """INSERT INTO member_memberships (tenant, member_number, membership_id, contract_number, start_date)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant, membership_id) DO UPDATE SET start_date = EXCLUDED.start_date""",
            tenant,
            member_number,
            membership_id,
            contract_number,
            start_date,
        )

    async def radiate(self, *, tenant: str, member_number: str, membership_id: str, contract_number: str, effective_date: date) -> None:
        """Record that a membership ended (any order with its affiliation gives the same state)."""
        await self._conn.execute(
            """INSERT INTO member_memberships (tenant, member_number, membership_id, contract_number, end_date)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant, membership_id) DO UPDATE SET end_date = EXCLUDED.end_date""",
            tenant,
            member_number,
            membership_id,
            contract_number,
            effective_date,
        )
