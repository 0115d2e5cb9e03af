"""The requests repository: requests with their history, and the decisions that came before their request."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from enrollment.domain.access import NEW_EMPLOYEES_GROUP
from enrollment.domain.kinds import AFFILIATION
from enrollment.domain.requests import Actor, Decision, Outcome, Request, Status, Transition
from extranet_plumbing.auth import CorrespondentScope

_COLUMNS = (
    "id, tenant, kind, portal, account, reference, subject, company_code, contract_number, payload, attachments, status,"
    " created_at, submitted_at, sent_at, decided_at, refusal_reason, awaiting_advisor, advisor_decision, window_start, window_end"
)


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to (None: any)."""

    year: int | None = None
    kind: str | None = None
    status: str | None = None
    portal: str | None = None
    awaiting_advisor: bool | None = None


@dataclass(frozen=True)
class GroupScope:
    """The insured groups a correspondent manages (issue 12): on some contracts (`contracts`: each with its groups), and
    on every other contract (`everywhere`; None: all). A request is about an employee's group: an affiliation about
    the active group (A, where the legacy system affiliates), a request naming a member about that member's latest
    membership on the contract (as the request's checks find it); a request about neither has no group, and only a
    correspondent who manages every group of its contract sees it. And the population categories it manages
    (`categories`; None: all): a request is of its contract's category (enrollment's contracts keep it, migration 008);
    a request whose contract's category is not known, only a correspondent without a category limit sees it, as
    online enrollment's invitations."""

    contracts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    everywhere: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    affiliation_kinds: tuple[str, ...] = (AFFILIATION,)
    affiliation_group: str = NEW_EMPLOYEES_GROUP

    @classmethod
    def of(cls, scope: CorrespondentScope | None) -> GroupScope:
        """A correspondent's groups, as its token grants them (none for anyone else: no limit)."""
        if scope is None:
            return cls()
        return cls(tuple((k, scope.groups_of(k) or ()) for k, _ in scope.contract_groups), scope.insured_groups, scope.categories)

    @property
    def limits(self) -> bool:
        return bool(self.contracts) or self.everywhere is not None or self.categories is not None

    def condition(self, args: list[Any]) -> str:
        """The SQL condition on a request `r` (its parameters appended to `args`)."""

        def p(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        group = (
            f"CASE WHEN r.kind = ANY({p(list(self.affiliation_kinds))}::text[]) THEN {p(self.affiliation_group)}::text"
            " ELSE (SELECT m.insured_group FROM memberships m WHERE m.tenant = r.tenant AND m.company_code = r.reference"
            " AND m.member_number = r.payload->>'member_number' AND m.contract_number = r.contract_number AND m.start_date IS NOT NULL"
            " ORDER BY m.start_date DESC LIMIT 1) END"
        )
        named = [k for k, gs in self.contracts for _ in gs]
        pairs = f"({p(named)}::text[], {p([g for _, gs in self.contracts for g in gs])}::text[])"
        everywhere = "true" if self.everywhere is None else f"g.grp = ANY({p(list(self.everywhere))}::text[])"
        condition = (
            f"EXISTS (SELECT 1 FROM (SELECT {group} AS grp) g WHERE CASE"
            f" WHEN r.contract_number = ANY({p(list(dict(self.contracts)))}::text[])"
            f" THEN (r.contract_number, g.grp) IN (SELECT * FROM unnest{pairs})"
            f" ELSE {everywhere} END)"
        )
        if self.categories is not None:
            condition += (
                " AND EXISTS (SELECT 1 FROM contracts c WHERE c.tenant = r.tenant AND c.contract_number = r.contract_number"
                f" AND c.category = ANY({p(list(self.categories))}::text[]))"
            )
        return condition


def _request(row: asyncpg.Record, history: Sequence[asyncpg.Record] = ()) -> Request:
    window = (row["window_start"], row["window_end"]) if row["window_start"] else None
    request = Request(
        id=row["id"],
        tenant=row["tenant"],
        kind=row["kind"],
        portal=row["portal"],
        account=row["account"],
        reference=row["reference"],
        subject=row["subject"],
        company_code=row["company_code"],
        contract_number=row["contract_number"],
        payload=json.loads(row["payload"]),
        attachments=json.loads(row["attachments"]),
        status=Status(row["status"]),
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        sent_at=row["sent_at"],
        decided_at=row["decided_at"],
        refusal_reason=row["refusal_reason"],
        awaiting_advisor=row["awaiting_advisor"],
        advisor_decision=json.loads(row["advisor_decision"]) if row["advisor_decision"] else None,
        effective_window=window,
        history=[Transition(h["at"], Actor(h["actor"]), h["actor_id"], Status(h["status"]), h["note"]) for h in history],
    )
    request._stored_history = len(request.history)  # type: ignore[attr-defined]
    return request


class Requests:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, request: Request, *, origin: str) -> bool:
        """Store a new request and its history; False if a request of that id exists already (a duplicate)."""
        inserted = await self._conn.fetchval(
            f"INSERT INTO requests ({_COLUMNS}, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17, $18, $19, $20, $21, $22) ON CONFLICT (id) DO NOTHING RETURNING true",
            *self._values(request),
            origin,
        )
        if not inserted:
            return False
        request._stored_history = 0  # type: ignore[attr-defined]
        await self._append_history(request)
        return True

    async def save(self, request: Request) -> None:
        """The request's changed fields and the transitions added since it was read."""
        columns = _COLUMNS.split(", ", 1)[1]  # every column but the id
        placeholders = ", ".join(f"${i}" for i in range(2, len(columns.split(", ")) + 2))
        await self._conn.execute(f"UPDATE requests SET ({columns}) = ROW({placeholders}) WHERE id = $1", *self._values(request))
        await self._append_history(request)

    async def get(self, request_id: uuid.UUID, *, tenant: str | None = None, for_update: bool = False) -> Request | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM requests WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)" + (" FOR UPDATE" if for_update else ""),
            request_id,
            tenant,
        )
        if row is None:
            return None
        history = await self._conn.fetch(
            "SELECT at, actor, actor_id, status, note FROM request_history WHERE request_id = $1 ORDER BY seq", request_id
        )
        return _request(row, history)

    async def open_termination(self, tenant: str, company_code: str, membership_id: str) -> bool:
        """Whether a termination of this membership is on its way already (submitted or sent)."""
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM requests WHERE tenant = $1 AND company_code = $2 AND kind = 'employee_termination'"
                " AND status IN ('submitted', 'sent') AND payload->>'membership_id' = $3 LIMIT 1",
                tenant,
                company_code,
                membership_id,
            )
        )

    async def open_of_kind(self, tenant: str, kind: str, portal: str, reference: str, member_number: str) -> bool:
        """Whether a request of this kind for this member, by this requester, is on its way already."""
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM requests WHERE tenant = $1 AND kind = $2 AND portal = $3 AND reference = $4"
                " AND status IN ('submitted', 'sent') AND payload->>'member_number' = $5 LIMIT 1",
                tenant,
                kind,
                portal,
                reference,
                member_number,
            )
        )

    async def of_requester(
        self,
        tenant: str,
        portal: str,
        reference: str,
        filters: Filters,
        *,
        contracts: Sequence[str] | None = None,
        groups: GroupScope | None = None,
    ) -> list[Request]:
        """A requester's requests, newest first (`contracts`: only those on these contracts, for a correspondent
        granted some of the company's contracts; `groups`: only those about an employee of the insured groups it
        manages there)."""
        where = (
            "r.tenant = $1 AND r.portal = $2 AND r.reference = $3"
            " AND ($4::int IS NULL OR date_part('year', coalesce(r.submitted_at, r.created_at) AT TIME ZONE 'Europe/Paris') = $4)"
            " AND ($5::text IS NULL OR r.kind = $5) AND ($6::text[] IS NULL OR r.contract_number = ANY($6))"
        )
        args: list[Any] = [tenant, portal, reference, filters.year, filters.kind, list(contracts) if contracts is not None else None]
        if groups is not None and groups.limits:
            where += " AND " + groups.condition(args)
        rows = await self._conn.fetch(
            f"SELECT {', '.join('r.' + c for c in _COLUMNS.split(', '))} FROM requests r WHERE {where}"
            " ORDER BY coalesce(r.submitted_at, r.created_at) DESC, r.id LIMIT 500",
            *args,
        )
        return await self._with_history(rows)

    async def in_scope(self, request_id: uuid.UUID, scope: GroupScope) -> bool:
        """Whether the request is about the insured groups and categories a correspondent manages (as its history lists them)."""
        args: list[Any] = [request_id]
        condition = scope.condition(args)
        return bool(await self._conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM requests r WHERE r.id = $1 AND {condition})", *args))

    async def for_backoffice(self, tenant: str, filters: Filters, *, offset: int, limit: int) -> tuple[int, list[Request]]:
        """What operators see: every request but drafts, newest first, narrowed by `filters`."""
        where = (
            "tenant = $1 AND status <> 'draft'"
            " AND ($2::int IS NULL OR date_part('year', coalesce(submitted_at, created_at) AT TIME ZONE 'Europe/Paris') = $2)"
            " AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR portal = $5)"
            " AND ($6::boolean IS NULL OR awaiting_advisor = $6)"
        )
        args = (tenant, filters.year, filters.kind, filters.status, filters.portal, filters.awaiting_advisor)
        total = await self._conn.fetchval(f"SELECT count(*) FROM requests WHERE {where}", *args)
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM requests WHERE {where} ORDER BY coalesce(submitted_at, created_at) DESC, id OFFSET $7 LIMIT $8",
            *args,
            offset,
            limit,
        )
        return total, await self._with_history(rows)

    # --- decisions that came before their request ---------------------------------------------------------

    async def keep_early_decision(self, event_id: uuid.UUID, tenant: str, request_id: uuid.UUID, decision: Decision, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO early_decisions (event_id, tenant, request_id, outcome, decided_at, reason, note, received_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            event_id,
            tenant,
            request_id,
            decision.outcome.value,
            decision.decided_at,
            decision.reason,
            decision.note,
            now,
        )

    async def take_early_decisions(self, tenant: str, request_id: uuid.UUID) -> list[Decision]:
        """The decisions kept for this request, in the order they were decided (and forgotten here)."""
        rows = await self._conn.fetch(
            "DELETE FROM early_decisions WHERE tenant = $1 AND request_id = $2 RETURNING outcome, decided_at, reason, note",
            tenant,
            request_id,
        )
        decisions = [Decision(Outcome(r["outcome"]), r["decided_at"], r["reason"], r["note"]) for r in rows]
        return sorted(decisions, key=lambda d: d.decided_at)

    async def stats(self, groups: Sequence[str]) -> dict[str, Any]:
        row = await self._conn.fetchrow(
            "SELECT (SELECT count(*) FROM inbox WHERE consumer_group = ANY($1)) AS events_applied,"
            " (SELECT count(*) FROM requests) AS requests, (SELECT count(*) FROM requests WHERE awaiting_advisor) AS awaiting_advisor,"
            " (SELECT count(*) FROM early_decisions) AS early_decisions, (SELECT count(*) FROM memberships) AS memberships",
            list(groups),
        )
        return dict(row)

    # --- helpers -------------------------------------------------------------------------------------------

    async def _with_history(self, rows: Sequence[asyncpg.Record]) -> list[Request]:
        ids = [row["id"] for row in rows]
        history: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in ids}
        for h in await self._conn.fetch(
            "SELECT request_id, at, actor, actor_id, status, note FROM request_history WHERE request_id = ANY($1) ORDER BY request_id, seq",
            ids,
        ):
            history[h["request_id"]].append(h)
        return [_request(row, history[row["id"]]) for row in rows]

    async def _append_history(self, request: Request) -> None:
        stored = getattr(request, "_stored_history", 0)
        new = request.history[stored:]
        if new:
            await self._conn.executemany(
                "INSERT INTO request_history (request_id, seq, at, actor, actor_id, status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [(request.id, stored + i, t.at, t.actor.value, t.actor_id, t.status.value, t.note) for i, t in enumerate(new)],
            )
        request._stored_history = len(request.history)  # type: ignore[attr-defined]

    @staticmethod
    def _values(request: Request) -> tuple:
        window = request.effective_window or (None, None)
        return (
            request.id,
            request.tenant,
            request.kind,
            request.portal,
            request.account,
            request.reference,
            request.subject,
            request.company_code,
            request.contract_number,
            json.dumps(request.payload, ensure_ascii=False),
            json.dumps(request.attachments, ensure_ascii=False),
            request.status.value,
            request.created_at,
            request.submitted_at,
            request.sent_at,
            request.decided_at,
            request.refusal_reason,
            request.awaiting_advisor,
            json.dumps(request.advisor_decision) if request.advisor_decision else None,
            *window,
        )
