"""The households' files the member's requests are checked against, from legacy.households (issue 11): the member's
contract (the guarantees held, the contribution block and what is due) and the household's beneficiaries named by
their `beneficiary_id`. Snapshots, the newest revision wins whatever the order (projections). Nothing personal
beyond names and birth dates is kept: no NIR, no IBAN, no contact detail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from extranet_contracts.households import BeneficiaryRole, HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_plumbing.consumer import Projection


def _contract_row(env, e: MemberContractRecorded) -> tuple:
    guarantees = [
        {
            "code": g.guarantee_code,
            "name": g.name,
            "start_date": g.start_date.isoformat(),
            "end_date": g.end_date and g.end_date.isoformat(),
        }
        for g in e.guarantees
    ]
    c = e.contribution
    contribution = {
        "payment_mode": c.payment_mode.value,
        "frequency": c.frequency.value,
        "amount_due": None if c.amount_due is None else str(c.amount_due),
        "due_date": c.due_date and c.due_date.isoformat(),
    }
    values = (e.contract_number, e.kind.value, e.mutuelle_code, json.dumps(guarantees), json.dumps(contribution))
    return (env.tenant, e.member_number, *values, e.revision)


def _beneficiaries_row(env, e: HouseholdBeneficiariesRecorded) -> tuple:
    people = [
        {
            "beneficiary_id": p.identifier(e.member_number),
            "role": p.role.value,
            "last_name": p.last_name,
            "first_name": p.first_name,
            "birth_date": p.birth_date.isoformat(),
        }
        for p in e.beneficiaries
    ]
    return (env.tenant, e.member_number, json.dumps(people), e.revision)


def _snapshot_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(("tenant", "member_number", *columns, "revision"))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*columns, "revision"))
    return f"""INSERT INTO {table} ({names})
       SELECT DISTINCT ON (tenant, member_number) {names}
       FROM {{rows}} ORDER BY tenant, member_number, revision DESC, seq
       ON CONFLICT (tenant, member_number) DO UPDATE SET {updates}
       WHERE {table}.revision < EXCLUDED.revision"""


contract_recorded = Projection(
    "enrollment_household_contracts",
    (
        ("tenant", "text"),
        ("member_number", "text"),
        ("contract_number", "text"),
        ("kind", "text"),
        ("mutuelle_code", "text"),
        ("guarantees", "jsonb"),
        ("contribution", "jsonb"),
        ("revision", "integer"),
    ),
    _contract_row,
    _snapshot_sql("household_contracts", ("contract_number", "kind", "mutuelle_code", "guarantees", "contribution")),
)

beneficiaries_recorded = Projection(
    "enrollment_household_beneficiaries",
    (("tenant", "text"), ("member_number", "text"), ("beneficiaries", "jsonb"), ("revision", "integer")),
    _beneficiaries_row,
    _snapshot_sql("household_beneficiaries", ("beneficiaries",)),
)


@dataclass(frozen=True)
class HouseholdContract:
    contract_number: str
    kind: str  # INDIVIDUEL, COLLECTIF
    mutuelle_code: str | None  # the member's mutuelle within a union of mutuelles, if published
    guarantees: list[dict[str, Any]]
    contribution: dict[str, Any]

    def held_on(self, day: date) -> set[str]:
        """The codes of the guarantees the member holds on `day` or from a later date already recorded."""
        return {g["code"] for g in self.guarantees if g["end_date"] is None or date.fromisoformat(g["end_date"]) >= day}

    @property
    def amount_due(self) -> Decimal | None:
        due = self.contribution.get("amount_due")
        return None if due is None else Decimal(due)

    @property
    def due_date(self) -> date | None:
        due = self.contribution.get("due_date")
        return None if due is None else date.fromisoformat(due)


class Households:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def contract(self, tenant: str, member_number: str) -> HouseholdContract | None:
        row = await self._conn.fetchrow(
            "SELECT contract_number, kind, mutuelle_code, guarantees, contribution FROM household_contracts"
            " WHERE tenant = $1 AND member_number = $2",
            tenant,
            member_number,
        )
        if row is None:
            return None
        guarantees, contribution = json.loads(row["guarantees"]), json.loads(row["contribution"])
        return HouseholdContract(row["contract_number"], row["kind"], row["mutuelle_code"], guarantees, contribution)

    async def dependant(self, tenant: str, member_number: str, beneficiary_id: str) -> dict[str, Any] | None:
        """The household's dependant of that identifier (never the primary insured), or None."""
        people = await self._conn.fetchval(
            "SELECT beneficiaries FROM household_beneficiaries WHERE tenant = $1 AND member_number = $2", tenant, member_number
        )
        for person in json.loads(people) if people else ():
            if person["beneficiary_id"] == beneficiary_id and person["role"] != BeneficiaryRole.PRIMARY.value:
                return person
        return None
