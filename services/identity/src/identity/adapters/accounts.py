"""SQL of the identity schema: accounts, members on file, codes, links, sessions, terms."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

ACCOUNT_COLUMNS = """id, tenant, kind, identifier, email, phone, display_name, password_hash, status, scope, mail_preference,
                     notification_email, created_by, created_at, activated_at, last_login_at, failed_logins, locked_until"""


def _account(row: asyncpg.Record | None) -> dict | None:
    if row is None:
        return None
    account = dict(row)
    account["scope"] = json.loads(account["scope"]) if isinstance(account["scope"], str) else account["scope"]
    return account


async def account_by_identifier(conn: asyncpg.Connection, tenant: str, kind: str, identifier: str) -> dict | None:
    return _account(
        await conn.fetchrow(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE tenant = $1 AND kind = $2 AND identifier = $3", tenant, kind, identifier
        )
    )


async def account_by_id(conn: asyncpg.Connection, account_id: uuid.UUID, *, for_update: bool = False) -> dict | None:
    return _account(
        await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1" + (" FOR UPDATE" if for_update else ""), account_id)
    )


async def accounts_by_email(conn: asyncpg.Connection, tenant: str, email: str) -> list[dict]:
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE tenant = $1 AND lower(email) = lower($2) AND status = 'active'", tenant, email
    )
    return [_account(r) for r in rows]


async def create_account(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    kind: str,
    identifier: str,
    status: str = "pending",
    email: str | None = None,
    phone: str | None = None,
    display_name: str | None = None,
    scope: dict | None = None,
    created_by: uuid.UUID | None = None,
) -> dict | None:
    """The new account, or None when one already exists for this identifier."""
    return _account(
        await conn.fetchrow(
            f"""INSERT INTO accounts (id, tenant, kind, identifier, email, phone, display_name, status, scope, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
            ON CONFLICT (tenant, kind, identifier) DO NOTHING RETURNING {ACCOUNT_COLUMNS}""",
            uuid.uuid4(),
            tenant,
            kind,
            identifier,
            email,
            phone,
            display_name,
            status,
            json.dumps(scope or {}),
            created_by,
        )
    )


async def update_account(conn: asyncpg.Connection, account_id: uuid.UUID, **values: Any) -> None:
    allowed = {
        "email",
        "phone",
        "display_name",
        "password_hash",
        "status",
        "mail_preference",
        "notification_email",
        "activated_at",
        "last_login_at",
        "failed_logins",
        "locked_until",
        "scope",
    }
    if not values or not set(values) <= allowed:
        raise ValueError(f"cannot update {sorted(set(values) - allowed)}")
    assignments = ", ".join(f"{name} = ${i}" + ("::jsonb" if name == "scope" else "") for i, name in enumerate(values, start=2))
    params = [json.dumps(v) if k == "scope" else v for k, v in values.items()]
    await conn.execute(f"UPDATE accounts SET {assignments} WHERE id = $1", account_id, *params)


async def record_failed_login(conn: asyncpg.Connection, account_id: uuid.UUID, *, max_failures: int, lock_until: datetime) -> bool:
    """Count a failure; True when this failure locks the account."""
    row = await conn.fetchrow(
        """UPDATE accounts SET failed_logins = failed_logins + 1,
                  locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
           WHERE id = $1 RETURNING failed_logins""",
        account_id,
        max_failures,
        lock_until,
    )
    return row is not None and row["failed_logins"] == max_failures


async def secondary_correspondents(conn: asyncpg.Connection, creator: uuid.UUID) -> list[dict]:
    rows = await conn.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE created_by = $1 AND kind = 'correspondent' AND status <> 'deleted' ORDER BY identifier",
        creator,
    )
    return [_account(r) for r in rows]


# --- members on file (from the legacy system's events) ---------------------------------------


async def save_member_on_file(
    conn: asyncpg.Connection,
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
) -> None:
    await conn.execute(
        """INSERT INTO members_on_file AS m (tenant, member_number, last_name, first_name, birth_dates, email, mobile_phone,
                                             postal_code, contract_numbers)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ARRAY[$9])
           ON CONFLICT (tenant, member_number) DO UPDATE SET
             last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, birth_dates = EXCLUDED.birth_dates,
             email = COALESCE(EXCLUDED.email, m.email), mobile_phone = COALESCE(EXCLUDED.mobile_phone, m.mobile_phone),
             postal_code = EXCLUDED.postal_code,
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
    )


async def member_on_file(conn: asyncpg.Connection, tenant: str, member_number: str) -> dict | None:
    row = await conn.fetchrow("SELECT * FROM members_on_file WHERE tenant = $1 AND member_number = $2", tenant, member_number)
    return dict(row) if row else None


async def members_by_contact(conn: asyncpg.Connection, tenant: str, *, email: str | None, phone: str | None) -> list[dict]:
    rows = await conn.fetch(
        """SELECT * FROM members_on_file WHERE tenant = $1
           AND (($2::text IS NOT NULL AND lower(email) = lower($2)) OR ($3::text IS NOT NULL AND mobile_phone = $3))""",
        tenant,
        email,
        phone,
    )
    return [dict(r) for r in rows]


async def set_member_email_on_file(conn: asyncpg.Connection, tenant: str, member_number: str, email: str) -> None:
    await conn.execute("UPDATE members_on_file SET email = $3 WHERE tenant = $1 AND member_number = $2", tenant, member_number, email)


# --- one-time codes ---------------------------------------------------------------------------


async def create_code(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    purpose: str,
    subject: str | None,
    channel: str,
    destination: str,
    code_hash: str | None,
    expires_at: datetime,
    now: datetime,
) -> uuid.UUID:
    code_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO one_time_codes (id, tenant, purpose, subject, channel, destination, code_hash, expires_at, last_sent_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)""",
        code_id,
        tenant,
        purpose,
        subject,
        channel,
        destination,
        code_hash,
        expires_at,
        now,
    )
    return code_id


async def code(conn: asyncpg.Connection, code_id: uuid.UUID, tenant: str) -> dict | None:
    row = await conn.fetchrow("SELECT * FROM one_time_codes WHERE id = $1 AND tenant = $2 FOR UPDATE", code_id, tenant)
    return dict(row) if row else None


async def update_code(conn: asyncpg.Connection, code_id: uuid.UUID, **values: Any) -> None:
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=2))
    await conn.execute(f"UPDATE one_time_codes SET {assignments} WHERE id = $1", code_id, *values.values())


# --- single-use links and tickets -------------------------------------------------------------


async def create_action_token(
    conn: asyncpg.Connection,
    *,
    token_hash: str,
    tenant: str,
    purpose: str,
    expires_at: datetime,
    account_id: uuid.UUID | None = None,
    subject: str | None = None,
    payload: dict | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO action_tokens (token_hash, tenant, purpose, account_id, subject, payload, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)""",
        token_hash,
        tenant,
        purpose,
        account_id,
        subject,
        json.dumps(payload or {}),
        expires_at,
    )


async def use_action_token(conn: asyncpg.Connection, token_hash: str, purposes: tuple[str, ...], now: datetime) -> dict | None:
    """Consume a valid token (single use): its row, or None if unknown, used, expired or of another purpose."""
    row = await conn.fetchrow(
        """UPDATE action_tokens SET used_at = $3
           WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > $3
           RETURNING tenant, purpose, account_id, subject, payload""",
        token_hash,
        list(purposes),
        now,
    )
    if row is None:
        return None
    token = dict(row)
    token["payload"] = json.loads(token["payload"]) if isinstance(token["payload"], str) else token["payload"]
    return token


async def peek_action_token(conn: asyncpg.Connection, token_hash: str, purposes: tuple[str, ...], now: datetime) -> dict | None:
    row = await conn.fetchrow(
        "SELECT tenant, purpose, account_id, subject, payload FROM action_tokens"
        " WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > $3",
        token_hash,
        list(purposes),
        now,
    )
    return dict(row) if row else None


# --- sessions (refresh tokens) ----------------------------------------------------------------


async def create_refresh_token(
    conn: asyncpg.Connection, *, token_hash: str, account_id: uuid.UUID, session_id: uuid.UUID, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, account_id, session_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        account_id,
        session_id,
        expires_at,
    )


async def refresh_token(conn: asyncpg.Connection, token_hash: str) -> dict | None:
    row = await conn.fetchrow("SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE", token_hash)
    return dict(row) if row else None


async def rotate_refresh_token(conn: asyncpg.Connection, token_hash: str, now: datetime) -> None:
    await conn.execute("UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1", token_hash, now)


async def revoke_session(conn: asyncpg.Connection, session_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL", session_id, now)


async def revoke_all_sessions(conn: asyncpg.Connection, account_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL", account_id, now)


async def session_revoked(conn: asyncpg.Connection, session_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT bool_and(revoked_at IS NOT NULL) FROM refresh_tokens WHERE session_id = $1", session_id))


# --- terms of use -----------------------------------------------------------------------------


async def accepted_terms(conn: asyncpg.Connection, account_id: uuid.UUID, version: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM terms_acceptances WHERE account_id = $1 AND version = $2", account_id, version))


async def accept_terms(conn: asyncpg.Connection, account_id: uuid.UUID, version: str, health_data_consent: bool, now: datetime) -> None:
    await conn.execute(
        """INSERT INTO terms_acceptances (account_id, version, accepted_at, health_data_consent) VALUES ($1, $2, $3, $4)
           ON CONFLICT (account_id, version) DO NOTHING""",
        account_id,
        version,
        now,
        health_data_consent,
    )


# --- companies and their contracts (from the legacy system) -----------------------------------


async def save_company_contract(
    conn: asyncpg.Connection, *, tenant: str, company_code: str, contract_number: str, product: str, category: str
) -> None:
    await conn.execute(
        """INSERT INTO company_contracts (tenant, company_code, contract_number, product, category) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant, contract_number) DO UPDATE SET company_code = EXCLUDED.company_code,
             product = EXCLUDED.product, category = EXCLUDED.category""",
        tenant,
        company_code,
        contract_number,
        product,
        category,
    )


async def company_contract_numbers(conn: asyncpg.Connection, tenant: str, company_code: str) -> set[str]:
    rows = await conn.fetch("SELECT contract_number FROM company_contracts WHERE tenant = $1 AND company_code = $2", tenant, company_code)
    return {r["contract_number"] for r in rows}
