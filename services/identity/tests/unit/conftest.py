"""Fakes of identity's repositories, for use-case tests on `FakeUnitOfWork` (no database, no Kafka),
and the collaborators of the use cases with a clock the tests set."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from extranet_plumbing.sealing import Sealer
from extranet_plumbing.testing import FakeUnitOfWork
from identity.adapters.captcha import TestCaptchaVerifier
from identity.adapters.credentials import ActionToken, OneTimeCode, RefreshToken
from identity.adapters.security import TokenIssuer
from identity.domain.accounts import Account, erasure
from identity.domain.members import MemberOnFile
from identity.domain.secrets import Digester
from identity.domain.tenants import load_tenants
from identity.service_layer.common import Tools
from identity.settings import IdentitySettings


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Account] = {}

    async def get(self, account_id, *, for_update=False):
        return self.rows.get(account_id)

    async def by_identifier(self, tenant, kind, identifier, *, for_update=False):
        return next((a for a in self.rows.values() if (a.tenant, a.kind, a.identifier) == (tenant, kind, identifier)), None)

    async def by_login_key(self, tenant, kind, login_key, *, for_update=False):
        return next((a for a in self.rows.values() if (a.tenant, a.kind, a.login_key) == (tenant, kind, login_key)), None)

    async def active_by_email(self, tenant, email):
        return [a for a in self.rows.values() if a.tenant == tenant and a.active and (a.email or "").lower() == email.lower()]

    async def created_by(self, creator):
        return sorted((a for a in self.rows.values() if a.created_by == creator and a.status != "deleted"), key=lambda a: a.identifier)

    async def add(self, *, tenant, kind, identifier, created_by=None, **values):
        if await self.by_identifier(tenant, kind, identifier):
            return None
        account = Account(id=uuid.uuid4(), tenant=tenant, kind=kind, identifier=identifier, created_by=created_by, **values)
        account.scope = account.scope or {}
        self.rows[account.id] = account
        return account

    async def update(self, account, **values):
        for name, value in values.items():
            setattr(account, name, value)
        return account

    async def erase(self, account):
        await self.update(account, **erasure(account))

    async def count_failed_login(self, account, *, max_failures, lock_until):
        account.failed_logins += 1
        if account.failed_logins >= max_failures:
            account.locked_until = lock_until
        return account.failed_logins == max_failures

    async def counts(self):
        return {}


class FakeMembers:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], MemberOnFile] = {}
        self.memberships: dict[str, dict] = {}

    def put(self, member: MemberOnFile) -> MemberOnFile:
        self.rows[(member.tenant, member.member_number)] = member
        return member

    async def save(self, *, tenant, member_number, contract_number, **values):
        known = self.rows.get((tenant, member_number))
        contracts = (known.contract_numbers if known else []) + (
            [] if known and contract_number in known.contract_numbers else [contract_number]
        )
        if known:
            values = {
                k: (v if v is not None or k not in ("email", "mobile_phone", "mutuelle_code") else getattr(known, k))
                for k, v in values.items()
            }
        self.rows[(tenant, member_number)] = MemberOnFile(
            tenant=tenant,
            member_number=member_number,
            contract_numbers=contracts,
            radiated_on=known.radiated_on if known else None,
            **values,
        )

    async def get(self, tenant, member_number):
        return self.rows.get((tenant, member_number))

    async def by_contact(self, tenant, *, email=None, phone=None):
        return [
            m
            for m in self.rows.values()
            if m.tenant == tenant and ((email and (m.email or "").lower() == email.lower()) or (phone and m.mobile_phone == phone))
        ]

    async def on_contract(self, tenant, contract_number, *, postal_code, birth_date):
        return [
            m
            for m in self.rows.values()
            if m.tenant == tenant and contract_number in m.contract_numbers and m.postal_code == postal_code and birth_date in m.birth_dates
        ]

    async def set_email(self, member, email):
        member.email = email

    async def affiliate(self, *, tenant, member_number, membership_id, contract_number, start_date):
        self.memberships.setdefault(membership_id, {})["start"] = start_date

    async def radiate(self, *, tenant, member_number, membership_id, contract_number, effective_date):
        self.memberships.setdefault(membership_id, {})["end"] = effective_date


class FakeCodes:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, OneTimeCode] = {}

    async def add(self, *, now, **values):
        code = OneTimeCode(id=uuid.uuid4(), attempts=0, sends=1, last_sent_at=now, verified_at=None, created_at=now, **values)
        self.rows[code.id] = code
        return code.id

    async def get(self, code_id, tenant):
        code = self.rows.get(code_id)
        return code if code and code.tenant == tenant else None

    async def update(self, code, **values):
        for name, value in values.items():
            setattr(code, name, value)


class FakeLinks:
    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    async def add(self, *, token_hash, expires_at, **values):
        self.rows[token_hash] = {"expires_at": expires_at, "used_at": None, "values": values}

    def _valid(self, token_hash, purposes, now):
        row = self.rows.get(token_hash)
        if row is None or row["used_at"] or row["expires_at"] <= now or row["values"]["purpose"] not in purposes:
            return None
        values = row["values"]
        return row, ActionToken(
            tenant=values["tenant"],
            purpose=values["purpose"],
            account_id=values.get("account_id"),
            subject=values.get("subject"),
            payload=values.get("payload") or {},
        )

    async def use(self, token_hash, purposes, now):
        found = self._valid(token_hash, purposes, now)
        if found is None:
            return None
        found[0]["used_at"] = now
        return found[1]

    async def peek(self, token_hash, purposes, now):
        found = self._valid(token_hash, purposes, now)
        return found and found[1]


class FakeSessions:
    def __init__(self) -> None:
        self.rows: dict[str, RefreshToken] = {}

    async def add_refresh_token(self, *, token_hash, account_id, session_id, expires_at):
        self.rows[token_hash] = RefreshToken(token_hash, account_id, session_id, expires_at, None, None)

    async def refresh_token(self, token_hash):
        return self.rows.get(token_hash)

    async def rotate(self, token, now):
        self.rows[token.token_hash] = dataclasses.replace(token, rotated_at=now)

    async def revoke(self, session_id, now):
        for key, token in self.rows.items():
            if token.session_id == session_id and token.revoked_at is None:
                self.rows[key] = dataclasses.replace(token, revoked_at=now)

    async def revoke_all(self, account_id, now):
        for key, token in self.rows.items():
            if token.account_id == account_id and token.revoked_at is None:
                self.rows[key] = dataclasses.replace(token, revoked_at=now)


class FakeTerms:
    def __init__(self) -> None:
        self.accepted_versions: set[tuple[uuid.UUID, str]] = set()

    async def accepted(self, account_id, version):
        return (account_id, version) in self.accepted_versions

    async def accept(self, account_id, version, health_data_consent, now):
        self.accepted_versions.add((account_id, version))


class FakeCompanies:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], str] = {}

    async def save(self, *, tenant, company_code, contract_number, product, category):
        self.rows[(tenant, contract_number)] = company_code

    async def numbers(self, tenant, company_code):
        return {number for (t, number), company in self.rows.items() if t == tenant and company == company_code}


class FakeThrottle:
    def __init__(self, limit_reached: bool = False) -> None:
        self.limit_reached = limit_reached
        self.hits: list[str] = []

    async def hit(self, key, *, limit, window_seconds):
        self.hits.append(key)
        return not self.limit_reached

    async def count(self, key, *, window_seconds):
        return self.hits.count(key)


class FakeSentMails:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict] = {}

    async def record(self, *, request_id, tenant, template, account_id, reference, requested_at):
        self.rows[request_id] = {"tenant": tenant, "template": template, "account_id": account_id, "status": "requested"}

    async def outcome(self, request_id, status, at):
        row = self.rows.get(request_id)
        if row is None:
            return False
        if row["status"] != "delivered":
            row["status"] = status
        return True

    async def counts(self):
        return {}

    async def latest_status(self, account_id, templates):
        found = [r["status"] for r in self.rows.values() if r["account_id"] == account_id and r["template"] in templates]
        return found[-1] if found else None


class FakeDecoys:
    """Withdraws the request just asked (its outbox entry and its record), as the real one does before commit."""

    def __init__(self) -> None:
        self.uow: FakeUnitOfWork | None = None
        self.withdrawn = 0

    async def settle(self, request_id, *, keep):
        if not keep:
            self.uow.published.pop()
            self.uow.mails.rows.pop(request_id, None)
            self.withdrawn += 1


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def new_uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork(
        accounts=FakeAccounts(),
        members=FakeMembers(),
        codes=FakeCodes(),
        links=FakeLinks(),
        sessions=FakeSessions(),
        terms=FakeTerms(),
        companies=FakeCompanies(),
        throttle=FakeThrottle(),
        mails=FakeSentMails(),
        decoys=FakeDecoys(),
    )
    uow.decoys.uow = uow
    return uow


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return new_uow()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tools(jwt_keys, seal_keys, clock) -> Tools:
    settings = IdentitySettings(jwt_private_key_file=jwt_keys.private_file)
    return Tools(
        settings=settings,
        tenants=load_tenants(None),
        issuer=TokenIssuer(jwt_keys.private_pem, 600),
        digest=Digester(b"unit-test-key"),
        captcha=TestCaptchaVerifier(),
        clock=clock,
        sealer=Sealer.from_file(seal_keys.public_file),
    )
