"""Read queries of the employer portal (guide 003): the contracts and insured groups a correspondent may
select, the company sheet of a contract and group, the search of an employee, an employee's detail and
the list of the employees of a period.

Every query is limited to what the correspondent may see (`Visible`): its company, the contracts granted
to it (and of its population categories), and on each its insured groups. A contract, group or employee outside it
is not found, whoever asks. The caller's text only reaches SQL as a parameter; names are matched on
`fold`ed columns (migration 003, 008)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from extranet_plumbing.auth import CorrespondentScope
from portfolio.adapters.dashboards import PlannedForValues
from portfolio.adapters.effectifs import _Params
from portfolio.api_documents import size_label
from portfolio.domain.employer import (
    FAMILY_SITUATIONS,
    FREQUENCIES,
    INSURED_GROUPS,
    PAYMENT_MODES,
    PRE_LITIGATION,
    PRIMARY_ROLE,
    ROLES,
    SHARES,
    EmployeeListing,
    EmployeeSearch,
    Selection,
    payment_label,
    schedule_status,
)
from portfolio.domain.listing import Page, status_on

NO_BANK_DETAILS = "Pas de RIB spécifié"


@dataclass(frozen=True)
class Visible:
    """What the correspondent may see in its company: the contracts (granted, of its categories) and, of
    each, the insured groups it manages (`groups`: the contracts limited to some groups; any other has all)."""

    tenant: str
    company_code: str
    contracts: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def groups_of(self, contract_number: str) -> tuple[str, ...] | None:
        return next((groups for contract, groups in self.groups if contract == contract_number), None)

    def memberships(self, p: _Params, selection: Selection, alias: str = "m") -> str:
        """The visible memberships of the selection, as a condition on `alias` (affiliated ones only): the
        contracts seen whole, and the contracts limited to some groups by (contract, group) pairs."""
        contracts = [selection.contract_number] if selection.contract_number else list(self.contracts)
        chosen = selection.insured_group
        whole = [k for k in contracts if (g := self.groups_of(k)) is None or (chosen is not None and chosen in g)]
        pairs = [(k, g) for k in contracts if chosen is None and self.groups_of(k) is not None for g in self.groups_of(k)]
        seen = [f"{alias}.contract_number = ANY({p(whole)}::text[])"] if whole or not pairs else []
        if pairs:
            seen.append(
                f"({alias}.contract_number, {alias}.insured_group) IN (SELECT * FROM unnest({p([k for k, _ in pairs])}::text[], "
                f"{p([g for _, g in pairs])}::text[]))"
            )
        where = [
            f"{alias}.tenant = {p(self.tenant)}",
            f"{alias}.company_code = {p(self.company_code)}",
            seen[0] if len(seen) == 1 else f"({' OR '.join(seen)})",
            f"{alias}.start_date IS NOT NULL",
        ]
        if chosen:
            where.append(f"{alias}.insured_group = {p(chosen)}")
        return " AND ".join(where)

    def may_select(self, selection: Selection) -> bool:
        """A contract seen (or all), and a group it manages there (on some contract seen, when all are selected)."""
        contracts = [selection.contract_number] if selection.contract_number else list(self.contracts)
        if selection.contract_number is not None and selection.contract_number not in self.contracts:
            return False
        return selection.insured_group is None or any((g := self.groups_of(k)) is None or selection.insured_group in g for k in contracts)


def _covered_on(p: _Params, day: date, alias: str = "m") -> str:
    at = p(day)
    return f"{alias}.start_date <= {at} AND ({alias}.end_date IS NULL OR {alias}.end_date >= {at})"


def _like_start(text: str) -> str:
    """A LIKE pattern for "starts with" `text` (its wildcards escaped), to be folded in SQL."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Employer(PlannedForValues):
    # --- what the correspondent may see ---------------------------------------------------------------

    async def visible(self, tenant: str, scope: CorrespondentScope) -> Visible:
        rows = await self._conn.fetch(
            """SELECT contract_number FROM contracts WHERE tenant = $1 AND company_code = $2
                 AND ($3::text[] IS NULL OR contract_number = ANY($3)) AND ($4::text[] IS NULL OR category = ANY($4))
               ORDER BY contract_number""",
            tenant,
            scope.company_code,
            list(scope.contracts) if scope.contracts is not None else None,
            list(scope.categories) if scope.categories is not None else None,
        )
        contracts = tuple(r["contract_number"] for r in rows)
        limited = tuple((k, g) for k in contracts if (g := scope.groups_of(k)) is not None)
        return Visible(tenant, scope.company_code, contracts, limited)

    async def contracts(self, visible: Visible) -> dict:
        """Home's selector: the company, its visible contracts and, of each, the insured groups the correspondent may select."""
        company = await self._conn.fetchrow(
            "SELECT legal_name FROM companies WHERE tenant = $1 AND company_code = $2", visible.tenant, visible.company_code
        )
        rows = await self._conn.fetch(
            "SELECT * FROM contracts WHERE tenant = $1 AND contract_number = ANY($2::text[]) ORDER BY contract_number",
            visible.tenant,
            list(visible.contracts),
        )
        name = company["legal_name"] if company else None
        return {
            "company_code": visible.company_code,
            "legal_name": name,
            "contracts": [
                {
                    **_contract(k, name),
                    "insured_groups": [
                        {"code": g, "label": INSURED_GROUPS.get(g, g)}
                        for g in k["insured_groups"]
                        if (seen := visible.groups_of(k["contract_number"])) is None or g in seen
                    ],
                }
                for k in rows
            ],
        }

    # --- the company sheet ------------------------------------------------------------------------------

    async def company_sheet(self, visible: Visible, selection: Selection, as_of: date) -> dict | None:
        """The contract's company, its employees and covered persons on `as_of` (in the groups the correspondent
        sees), the selected group's covered persons, and the contract's products."""
        await self._plan_for_values()
        contract = await self._conn.fetchrow(
            """SELECT k.*, c.legal_name, c.siret, c.siren, c.address, c.contacts
               FROM contracts k LEFT JOIN companies c ON c.tenant = k.tenant AND c.company_code = k.company_code
               WHERE k.tenant = $1 AND k.company_code = $2 AND k.contract_number = $3""",
            visible.tenant,
            visible.company_code,
            selection.contract_number,
        )
        if contract is None or selection.insured_group not in contract["insured_groups"]:
            return None
        p = _Params()
        whole = visible.memberships(p, Selection(selection.contract_number))
        covered = _covered_on(p, as_of)
        group = p(selection.insured_group)
        counts = await self._conn.fetchrow(
            f"""SELECT count(*) AS employees, coalesce(sum(m.beneficiaries), 0)::bigint AS covered,
                       coalesce(sum(m.beneficiaries) FILTER (WHERE m.insured_group = {group}), 0)::bigint AS group_covered,
                       count(*) FILTER (WHERE m.insured_group = {group}) AS group_employees
                FROM memberships m WHERE {whole} AND {covered}""",
            *p.values,
        )
        products = await self._conn.fetch(
            "SELECT guarantee_code, name, start_date, end_date, brochure FROM guarantees WHERE tenant = $1 AND contract_number = $2"
            " ORDER BY name, guarantee_code",
            visible.tenant,
            selection.contract_number,
        )
        details = next((d for d in _json(contract["group_details"]) or [] if d.get("insured_group") == selection.insured_group), {})
        contacts = _json(contract["contacts"]) or []
        email = next((c.get("email") for c in sorted(contacts, key=lambda c: not c.get("primary")) if c.get("email")), None)
        return {
            "as_of": as_of,
            "contract": _contract(contract, contract["legal_name"]),
            "company": {
                "company_code": visible.company_code,
                "legal_name": contract["legal_name"],
                "address": _json(contract["address"]),
                "email": email,
                "siret": contract["siret"],
                "siren": contract["siren"],
            },
            "employees": counts["employees"],
            "covered_persons": counts["covered"],
            "group": {
                "code": selection.insured_group,
                "label": INSURED_GROUPS[selection.insured_group],
                "employees": counts["group_employees"],
                "covered_persons": counts["group_covered"],
                "address": details.get("address"),
                "contacts": [
                    {k: c.get(k) for k in ("last_name", "first_name", "role", "email", "phone")} for c in details.get("contacts", [])
                ],
            },
            "products": [{**dict(r), "brochure": _brochure(_json(r["brochure"]))} for r in products],
        }

    async def brochure(self, visible: Visible, contract_number: str, guarantee_code: str) -> dict | None:
        """A product's brochure on a contract the correspondent sees (its file in the store), or None."""
        if contract_number not in visible.contracts:
            return None
        found = await self._conn.fetchval(
            "SELECT brochure FROM guarantees WHERE tenant = $1 AND contract_number = $2 AND guarantee_code = $3",
            visible.tenant,
            contract_number,
            guarantee_code,
        )
        return _json(found)

    # --- contributions ------------------------------------------------------------------------------------

    async def contributions(self, visible: Visible, selection: Selection, today: date) -> dict:
        """« Cotisations » of a contract and insured group: its payers, schedules and payments, newest first."""
        args = (visible.tenant, selection.contract_number, selection.insured_group, visible.company_code)
        where = "tenant = $1 AND contract_number = $2 AND insured_group = $3 AND company_code = $4"
        payers = await self._conn.fetch(f"SELECT * FROM contribution_payers WHERE {where} ORDER BY share, payer_id", *args)
        schedules = await self._conn.fetch(f"SELECT * FROM contribution_schedules WHERE {where} ORDER BY due_date DESC, schedule_id", *args)
        payments = await self._conn.fetch(f"SELECT * FROM contribution_payments WHERE {where} ORDER BY paid_on DESC, payment_id", *args)
        return {
            "contract_number": selection.contract_number,
            "insured_group": selection.insured_group,
            "as_of": today,
            "payers": [
                {
                    "payer_id": p["payer_id"],
                    "share": SHARES.get(p["share"], p["share"]),
                    "frequency": FREQUENCIES.get(p["frequency"], p["frequency"]),
                    "payment_mode": PAYMENT_MODES.get(p["payment_mode"], p["payment_mode"]),
                    "pre_litigation": PRE_LITIGATION.get(p["pre_litigation"], p["pre_litigation"]),
                    "pre_litigation_date": p["pre_litigation_date"],
                }
                for p in payers
            ],
            "schedules": [
                {
                    "schedule_id": s["schedule_id"],
                    "payer_id": s["payer_id"],
                    "period_start": s["period_start"],
                    "period_end": s["period_end"],
                    "due_date": s["due_date"],
                    "amount_due": s["amount_due"],
                    "amount_paid": s["amount_paid"],
                    "balance": s["amount_due"] - s["amount_paid"],
                    "status": schedule_status(s["amount_due"], s["amount_paid"], s["due_date"], today),
                }
                for s in schedules
            ],
            "payments": [
                {
                    "payment_id": r["payment_id"],
                    "schedule_id": r["schedule_id"],
                    "paid_on": r["paid_on"],
                    "amount": r["amount"],
                    "payment_mode": PAYMENT_MODES.get(r["payment_mode"], r["payment_mode"]),
                }
                for r in payments
            ],
        }

    # --- find an employee, an employee's detail ----------------------------------------------------------

    def _search_sql(self, visible: Visible, selection: Selection, search: EmployeeSearch) -> tuple[str, _Params]:
        p = _Params()
        where = [visible.memberships(p, selection), _covered_on(p, search.as_of)]
        if search.nir_digest is not None:
            where.append(f"m.nir_digest = {p(search.nir_digest)}")
        else:
            assert search.last_name is not None
            where.append(f"m.search_last_name LIKE fold({p(_like_start(search.last_name))}) || '%'")
            if search.first_name:
                where.append(f"m.search_first_name LIKE fold({p(_like_start(search.first_name))}) || '%'")
        if search.birth_date is not None:
            where.append(f"m.birth_date = {p(search.birth_date)}")
        return f"SELECT m.* FROM memberships m WHERE {' AND '.join(where)}", p

    async def search(self, visible: Visible, selection: Selection, search: EmployeeSearch, page: Page) -> dict:
        await self._plan_for_values()
        sql, p = self._search_sql(visible, selection, search)
        total = await self._conn.fetchval(f"SELECT count(*) FROM ({sql}) x", *p.values)
        rows = await self._conn.fetch(
            f"{sql} ORDER BY m.search_name, m.membership_id LIMIT {p(page.size)} OFFSET {p(page.offset)}", *p.values
        )
        return {
            "as_of": search.as_of,
            "page": page.number,
            "page_size": page.size,
            "total": total,
            "items": [_employee_row(r, search.as_of) for r in rows],
        }

    async def employee(self, visible: Visible, membership_id: str, as_of: date) -> dict | None:
        p = _Params()
        row = await self._conn.fetchrow(
            f"SELECT m.* FROM memberships m WHERE {visible.memberships(p, Selection())} AND m.membership_id = {p(membership_id)}",
            *p.values,
        )
        if row is None:
            return None
        beneficiaries = [
            {
                "name": _name(row["civility"], row["last_name"], row["first_name"]),
                "type": PRIMARY_ROLE,
                "nir_masked": row["nir_masked"],
                "birth_date": row["birth_date"],
            }
        ] + [
            {
                "name": _name(d.get("civility"), d.get("last_name"), d.get("first_name")),
                "type": ROLES.get(d.get("role"), d.get("role")),
                "nir_masked": d.get("nir_masked"),
                "birth_date": d.get("birth_date"),
            }
            for d in _json(row["dependants"]) or []
        ]
        return {
            **_employee_row(row, as_of),
            "civility": row["civility"],
            "last_name": row["last_name"],
            "first_name": row["first_name"],
            "address": _json(row["address"]),
            "email": row["email"],
            "mobile_phone": row["mobile_phone"],
            "iban_masked": row["iban_masked"],
            "bank_details": row["iban_masked"] or NO_BANK_DETAILS,
            "family_situation": FAMILY_SITUATIONS.get(row["family_situation"], row["family_situation"]),
            "payment_mode": payment_label(row["payment_mode"], row["payment_frequency"]),
            "exit_reason": row["exit_reason"],
            "beneficiaries": beneficiaries,
        }

    # --- the employees of a period ------------------------------------------------------------------------

    @staticmethod
    def _list_where(p: _Params, visible: Visible, selection: Selection, listing: EmployeeListing) -> str:
        """The visible memberships covered at some point of the period."""
        return " AND ".join(
            [
                visible.memberships(p, selection),
                f"m.start_date <= {p(listing.period.end)}",
                f"(m.end_date IS NULL OR m.end_date >= {p(listing.period.start)})",
            ]
        )

    @staticmethod
    def _persons(dependants: bool) -> str:
        """The rows of a membership `m`: its primary insured (ord 0), then its dependants (1, 2, ...) if asked."""
        of_dependants = (
            """UNION ALL
               SELECT d.ord, d.value->>'role', d.value->>'civility', d.value->>'last_name', d.value->>'first_name',
                      (d.value->>'birth_date')::date
               FROM jsonb_array_elements(coalesce(m.dependants, '[]'::jsonb)) WITH ORDINALITY AS d(value, ord)"""
            if dependants
            else ""
        )
        return f"""SELECT m.membership_id, m.member_number, m.contract_number, m.insured_group, m.start_date, m.end_date,
                          m.search_name, p.ord, p.role, p.civility, p.last_name, p.first_name, p.birth_date
                   FROM memberships m CROSS JOIN LATERAL (
                       SELECT 0::bigint AS ord, NULL::text AS role, m.civility, m.last_name, m.first_name, m.birth_date
                       {of_dependants}
                   ) p (ord, role, civility, last_name, first_name, birth_date)"""

    async def employees(self, visible: Visible, selection: Selection, listing: EmployeeListing, page: Page) -> dict:
        """A page of the list. Its rows are found without expanding every membership's dependants: a running
        count of rows per membership (each counts its beneficiaries, 1 without dependants) in the list's
        order picks the memberships the page overlaps, and only those are expanded."""
        await self._plan_for_values()
        p = _Params()
        where = self._list_where(p, visible, selection, listing)
        rows_of = "m.beneficiaries" if listing.dependants else "1"
        first, last = p(page.offset), p(page.offset + page.size)
        rows = await self._conn.fetch(
            f"""WITH ordered AS (
                    SELECT m.membership_id, {rows_of} AS n, sum({rows_of}) OVER (ORDER BY m.search_name, m.membership_id) AS upto,
                           sum({rows_of}) OVER () AS total
                    FROM memberships m WHERE {where}
                ), paged AS (
                    SELECT membership_id, upto - n AS before, total FROM ordered WHERE upto > {first} AND upto - n < {last}
                )
                SELECT x.*, paged.total FROM paged CROSS JOIN LATERAL (
                    {self._persons(listing.dependants)} WHERE m.tenant = {p(visible.tenant)} AND m.membership_id = paged.membership_id
                ) x
                WHERE paged.before + x.ord >= {first} AND paged.before + x.ord < {last}
                ORDER BY paged.before + x.ord""",
            *p.values,
        )
        if rows:
            total = rows[0]["total"]
        else:
            p = _Params()
            total = await self._conn.fetchval(
                f"SELECT coalesce(sum({rows_of}), 0) FROM memberships m WHERE {self._list_where(p, visible, selection, listing)}", *p.values
            )
        return {
            "period": {"start": listing.period.start, "end": listing.period.end},
            "dependants": listing.dependants,
            "page": page.number,
            "page_size": page.size,
            "total": total,
            "items": [_listed(r) for r in rows],
        }

    async def all_employees(self, visible: Visible, selection: Selection, listing: EmployeeListing) -> AsyncIterator[dict]:
        """Every row of the list, in its order, without the page limit (downloads): read with a cursor."""
        await self._plan_for_values()
        p = _Params()
        where = self._list_where(p, visible, selection, listing)
        sql = f"{self._persons(listing.dependants)} WHERE {where} ORDER BY m.search_name, m.membership_id, p.ord"
        async for row in self._conn.cursor(sql, *p.values, prefetch=1000):
            yield _listed(row)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _brochure(stored: dict | None) -> dict | None:
    return {"name": stored["name"], "size": stored["size"], "size_label": size_label(stored["size"])} if stored else None


def _name(civility: str | None, last_name: str | None, first_name: str | None) -> str:
    return " ".join(x for x in (civility, (last_name or "").upper(), first_name) if x)


def _contract(k: asyncpg.Record, company_name: str | None) -> dict:
    return {
        "contract_number": k["contract_number"],
        "name": company_name or k["contract_number"],
        "product": k["product"],
        "category": k["category"],
        "effective_date": k["effective_date"],
    }


def _membership(row: asyncpg.Record) -> dict:
    return {
        "contract_number": row["contract_number"],
        "insured_group": row["insured_group"],
        "membership_id": row["membership_id"],
        "member_number": row["member_number"],
        "name": _name(None, row["last_name"], row["first_name"]),
        "birth_date": row["birth_date"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
    }


def _employee_row(row: asyncpg.Record, as_of: date) -> dict:
    return {**_membership(row), "status": status_on(row["start_date"], row["end_date"], as_of)}


def _listed(row: asyncpg.Record) -> dict:
    """A row of the list: an employee, or one of its dependants (their birth date, the membership's dates)."""
    return {**_membership(row), "type": ROLES.get(row["role"], row["role"]) if row["role"] else PRIMARY_ROLE}
