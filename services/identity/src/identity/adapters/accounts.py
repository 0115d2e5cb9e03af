"""The accounts table as a repository of `Account` objects."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from identity.domain.accounts import Account, erasure

_FIELDS = {f.name for f in dataclasses.fields(Account)}
_JSON = {"scope", "pending_contact"}
_UPDATABLE = _FIELDS - {"id", "tenant", "kind", "created_by", "created_at"}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def account_of(row: asyncpg.Record | None) -> Account | None:
    if row is None:
        return None
    values = {k: (_json(v) if k in _JSON else v) for k, v in dict(row).items() if k in _FIELDS}
    values["scope"] = values.get("scope") or {}
    return Account(**values)


class Accounts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, account_id: uuid.UUID, *, for_update: bool = False) -> Account | None:
        return account_of(
            await self._conn.fetchrow("SELECT * FROM accounts WHERE id = $1" + (" FOR UPDATE" if for_update else ""), account_id)
        )

    async def by_identifier(self, tenant: str, kind: str, identifier: str, *, for_update: bool = False) -> Account | None:
        return account_of(
            await self._conn.fetchrow(
                "SELECT * FROM accounts WHERE tenant = $1 AND kind = $2 AND identifier = $3" + (" FOR UPDATE" if for_update else ""),
                tenant,
                kind,
                identifier,
            )
        )

    async def by_login_key(self, tenant: str, kind: str, login_key: str, *, for_update: bool = False) -> Account | None:
        """The account a login key names (tenants whose members log in with their mutuelle's number and email)."""
        return account_of(
            await self._conn.fetchrow(
                "SELECT * FROM accounts WHERE tenant = $1 AND kind = $2 AND login_key = $3 AND status <> 'deleted'"
                + (" FOR UPDATE" if for_update else ""),
                tenant,
                kind,
                login_key,
            )
        )

    async def active_by_email(self, tenant: str, email: str) -> list[Account]:
        rows = await self._conn.fetch(
            "SELECT * FROM accounts WHERE tenant = $1 AND lower(email) = lower($2) AND status = 'active'", tenant, email
        )
        return [account_of(r) for r in rows]

    async def created_by(self, creator: uuid.UUID) -> list[Account]:
        rows = await self._conn.fetch(
            "SELECT * FROM accounts WHERE created_by = $1 AND kind = 'correspondent' AND status <> 'deleted' ORDER BY identifier", creator
        )
        return [account_of(r) for r in rows]

    async def add(
        self,
        *,
        tenant: str,
        kind: str,
        identifier: str,
        email: str | None = None,
        phone: str | None = None,
        display_name: str | None = None,
        scope: dict | None = None,
        created_by: uuid.UUID | None = None,
    ) -> Account | None:
        """The new (pending) account, or None when one already exists for this identifier."""
        return account_of(
            await self._conn.fetchrow(
                """INSERT INTO accounts (id, tenant, kind, identifier, email, phone, display_name, status, scope, created_by)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8::jsonb, $9)
                   ON CONFLICT (tenant, kind, identifier) DO NOTHING RETURNING *""",
                uuid.uuid4(),
                tenant,
                kind,
                identifier,
                email,
                phone,
                display_name,
                json.dumps(scope or {}),
                created_by,
            )
        )

    async def update(self, account: Account, **values: Any) -> Account:
        """Change some fields of `account` (in the database and on the object)."""
        if not values or not set(values) <= _UPDATABLE:
            raise ValueError(f"cannot update {sorted(set(values) - _UPDATABLE)}")
        assignments = ", ".join(f"{name} = ${i}" + ("::jsonb" if name in _JSON else "") for i, name in enumerate(values, start=2))
        params = [json.dumps(v) if k in _JSON and v is not None else v for k, v in values.items()]
        await self._conn.execute(f"UPDATE accounts SET {assignments} WHERE id = $1", account.id, *params)
        for name, value in values.items():
            setattr(account, name, value)
        return account

    async def erase(self, account: Account) -> None:
        """A deleted account keeps what proves consent (its terms acceptances, by id) and the security
        logs; its personal data goes (CNIL), and its identifier is freed for a new account."""
        await self.update(account, **erasure(account))
        await self._conn.execute("DELETE FROM action_tokens WHERE account_id = $1", account.id)  # links may hold an address

    async def count_failed_login(self, account: Account, *, max_failures: int, lock_until: datetime) -> bool:
        """Count a failure; True when this failure locks the account."""
        failures = await self._conn.fetchval(
            """UPDATE accounts SET failed_logins = failed_logins + 1,
                      locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
               WHERE id = $1 RETURNING failed_logins""",
            account.id,
            max_failures,
            lock_until,
        )
        return failures == max_failures

    async def counts(self) -> dict[str, int]:
        rows = await self._conn.fetch("SELECT kind, status, count(*) AS n FROM accounts GROUP BY kind, status")
        return {f"{r['kind']}/{r['status']}": r["n"] for r in rows}
