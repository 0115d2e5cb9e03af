"""Login, sessions (refresh tokens rotated at each use), logout, and the terms of use a first login
asks to accept."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from extranet_contracts.sessions import SessionsRevoked
from extranet_plumbing.logging import get_logger
from identity.adapters.security import verify_password
from identity.domain.accounts import Account, mutuelle_login_key
from identity.domain.members import Access, member_access, same_email
from identity.domain.secrets import new_token
from identity.service_layer.common import Tools, check_captcha, notify, throttle
from identity.service_layer.errors import BAD_CREDENTIALS, CAPTCHA_REQUIRED, TOO_MANY, Refused
from identity.service_layer.unit_of_work import IdentityUnitOfWork

log = get_logger(__name__)
SESSION_EXPIRED = "Session expirée. Reconnectez-vous."


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    terms_pending: bool


async def issue_tokens(uow: IdentityUnitOfWork, tools: Tools, account: Account, session_id: uuid.UUID | None = None) -> Tokens:
    """An access token and a new refresh token of the session (a new session unless given)."""
    config = tools.tenant(account.tenant)
    access = await member_access_of(uow, tools, account)
    if access is Access.NONE:
        raise Refused(401, SESSION_EXPIRED)
    scope = {**account.scope, "read_only": True} if access is Access.READ_ONLY else account.scope
    terms_ok = await uow.terms.accepted(account.id, config.terms_version)
    session_id = session_id or uuid.uuid4()
    refresh = new_token()
    await uow.sessions.add_refresh_token(
        token_hash=tools.digest(refresh),
        account_id=account.id,
        session_id=session_id,
        expires_at=tools.clock() + timedelta(seconds=tools.settings.refresh_token_ttl_seconds),
    )
    access, ttl = tools.issuer.access_token(
        subject=str(account.id),
        kind=account.kind,
        tenant=account.tenant,
        scope=scope,
        extra={"sid": str(session_id), "terms_ok": terms_ok},
    )
    return Tokens(access, refresh, ttl, not terms_ok)


async def member_access_of(uow: IdentityUnitOfWork, tools: Tools, account: Account) -> Access:
    """What a member account's login gives today (radiation); every other kind: everything."""
    if account.kind != "member":
        return Access.FULL
    member = await uow.members.get(account.tenant, account.identifier)
    return member_access(member, tools.clock().date(), tools.tenant(account.tenant).radiated_read_access_months)


async def find_login_account(
    uow: IdentityUnitOfWork, tools: Tools, *, tenant: str, kind: str, identifier: str, email: str | None
) -> Account | None:
    """The account a login names, if it may log in with a password."""
    config = tools.tenant(tenant)
    identifier = identifier.strip().upper() if kind == "broker" else identifier.strip()
    if kind == "member" and config.members_log_in_by_mutuelle:
        if not email or not email.strip():
            return None
        account = await uow.accounts.by_login_key(tenant, kind, mutuelle_login_key(identifier, email), for_update=True)
    else:
        account = await uow.accounts.by_identifier(tenant, kind, identifier, for_update=True)
    if account is None or not account.can_log_in:
        return None
    if kind == "member" and config.login_requires_email and not same_email(account.email, email):
        return None
    if await member_access_of(uow, tools, account) is Access.NONE:
        return None  # radiated, and the read access after it is over
    return account


async def login(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    tenant: str,
    kind: str,
    identifier: str,
    password: str,
    email: str | None,
    client_ip: str | None,
    captcha: str | None = None,
) -> Tokens:
    config = tools.tenant(tenant)
    await check_login_address(uow, tools, client_ip, captcha)
    now = tools.clock()
    account = await find_login_account(uow, tools, tenant=tenant, kind=kind, identifier=identifier, email=email)
    password_ok = await verify_password(account.password_hash if account else None, password)  # same time, known or not
    if account is None or account.locked(now) or not password_ok:
        await count_login_failure(uow, tools, client_ip)
    if account is None or account.locked(now):
        await uow.commit()  # the failure counts
        log.info("login refused", tenant=tenant, kind=kind)
        raise Refused(401, BAD_CREDENTIALS)
    if not password_ok:
        settings = tools.settings
        locks = await uow.accounts.count_failed_login(
            account, max_failures=settings.login_max_failures, lock_until=now + timedelta(seconds=settings.lockout_seconds)
        )
        if locks:
            await notify(
                uow,
                tools,
                tenant,
                reference=account.reference,
                template="account_locked",
                email=account.notification_address,
                name=account.display_name,
                account_id=account.id,
                data={
                    "identifier": account.identifier,
                    "minutes": settings.lockout_seconds // 60,
                    "link": f"{config.portal_url.get(kind, '')}/mot-de-passe-oublie",
                },
            )
            log.warning("account locked", tenant=tenant, kind=kind)
        await uow.commit()  # the failure counts
        log.info("login refused", tenant=tenant, kind=kind)
        raise Refused(401, BAD_CREDENTIALS)
    await uow.accounts.update(account, failed_logins=0, locked_until=None, previous_login_at=account.last_login_at, last_login_at=now)
    tokens = await issue_tokens(uow, tools, account)
    await uow.commit()
    log.info("login", tenant=tenant, kind=kind, account_id=str(account.id))
    return tokens


async def check_login_address(uow: IdentityUnitOfWork, tools: Tools, client_ip: str | None, captcha: str | None) -> None:
    """What an address's recent failed logins call for: nothing, a captcha, then a refusal; and the
    ceiling every login from one address meets, correct ones included, far above what a company
    behind one address does."""
    if not client_ip:
        return
    settings = tools.settings
    await throttle(uow, tools, "login-address", client_ip, limit=settings.login_ceiling_per_address)
    failures = await uow.throttle.count(tools.digest(f"login-failures:{client_ip}"), window_seconds=settings.throttle_window_seconds)
    if failures >= settings.login_failures_per_address:
        log.warning("throttled", scope="login-failures")
        raise Refused(429, TOO_MANY)
    if failures >= settings.login_failures_before_captcha:
        if not captcha:
            raise Refused(400, CAPTCHA_REQUIRED, "captcha")
        await check_captcha(tools, captcha, client_ip)


async def count_login_failure(uow: IdentityUnitOfWork, tools: Tools, client_ip: str | None) -> None:
    """One failed login more for the address (the account's own count is the lockout's)."""
    if client_ip:
        settings = tools.settings
        key = tools.digest(f"login-failures:{client_ip}")
        await uow.throttle.hit(key, limit=settings.login_failures_per_address, window_seconds=settings.throttle_window_seconds)


async def refresh(uow: IdentityUnitOfWork, tools: Tools, refresh_token: str) -> Tokens:
    now = tools.clock()
    stored = await uow.sessions.refresh_token(tools.digest(refresh_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise Refused(401, SESSION_EXPIRED)
    if stored.rotated_at is not None:
        # A refresh token used twice: stolen, or replayed. End the whole session, its access tokens included.
        await end_session(uow, tools, stored.session_id, reason="refresh_reused")
        await uow.commit()
        log.warning("refresh token reused: session revoked", account_id=str(stored.account_id))
        raise Refused(401, SESSION_EXPIRED)
    # Locked: a change of the account's grant (correspondents.change_grant) commits before this token is made.
    account = await uow.accounts.get(stored.account_id, for_update=True)
    if account is None or not account.active:
        raise Refused(401, SESSION_EXPIRED)
    await uow.sessions.rotate(stored, now)
    tokens = await issue_tokens(uow, tools, account, stored.session_id)
    await uow.commit()
    return tokens


async def logout(uow: IdentityUnitOfWork, tools: Tools, session_id: str | None, *, reason: str = "logout") -> None:
    if session_id:
        await end_session(uow, tools, uuid.UUID(session_id), reason=reason)
        await uow.commit()


# --- ending sessions: refresh tokens revoked here, access tokens refused by every service -------------


def tokens_horizon(tools: Tools) -> datetime:
    """When every access token issued until now has expired (the issuer signs with the real time),
    with a margin for the services' clocks: a revocation matters until then."""
    return datetime.now(UTC) + timedelta(seconds=tools.settings.access_token_ttl_seconds + 60)


async def announce_revocation(
    uow: IdentityUnitOfWork,
    tools: Tools,
    account: Account,
    session_ids: Sequence[uuid.UUID],
    *,
    reason: str,
    every_token: bool = False,
) -> None:
    """Tell every service, through the outbox (in this transaction), that these sessions' access
    tokens are refused from now on (`every_token`: all the account's tokens issued until now)."""
    if not session_ids and not every_token:
        return
    event = SessionsRevoked(
        account_id=account.id,
        session_ids=list(session_ids),
        # Whole seconds, as a token's `iat`: a token of this very second is named by its session instead.
        issued_before=datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1) if every_token else None,
        until=tokens_horizon(tools),
        reason=reason,
    )
    await uow.publish(event, tenant=account.tenant)
    log.info("sessions revoked", account_id=str(account.id), sessions=len(session_ids), reason=reason)


async def end_session(uow: IdentityUnitOfWork, tools: Tools, session_id: uuid.UUID, *, reason: str) -> None:
    """End one session (logout, terms refused, refresh token reused): nothing if it was over already."""
    account_id = await uow.sessions.revoke(session_id, tools.clock())
    account = await uow.accounts.get(account_id) if account_id else None
    if account is not None:
        await announce_revocation(uow, tools, account, [session_id], reason=reason)


async def end_all_sessions(
    uow: IdentityUnitOfWork, tools: Tools, account: Account, *, reason: str, keep: str | uuid.UUID | None = None
) -> None:
    """End every session of the account but `keep` (a password change keeps the session that made it);
    without `keep` (account deleted, password reset), every access token issued until now is refused too."""
    now = tools.clock()
    if keep is None:
        ended = await uow.sessions.revoke_all(account.id, now)
    else:
        ended = await uow.sessions.revoke_all(account.id, now, keep=uuid.UUID(str(keep)))
    await announce_revocation(uow, tools, account, list(ended or []), reason=reason, every_token=keep is None)


# --- terms of use -------------------------------------------------------------------------------


def identifier_help(tools: Tools, tenant: str, kind: str) -> str:
    return tools.tenant(tenant).help.get(kind, "")


def terms(tools: Tools, tenant: str) -> dict:
    config = tools.tenant(tenant)
    return {"version": config.terms_version, "text": config.terms_text()}


async def accept_terms(
    uow: IdentityUnitOfWork, tools: Tools, *, account_id: str, session_id: str, version: str, health_data_consent: bool
) -> Tokens:
    account = await uow.accounts.get(uuid.UUID(account_id))
    if account is None or not account.active:
        raise Refused(401, SESSION_EXPIRED)
    config = tools.tenant(account.tenant)
    if version != config.terms_version:
        raise Refused(409, "Une nouvelle version des conditions générales est disponible.", "version")
    if account.kind == "member" and not health_data_consent:
        raise Refused(422, "Votre consentement au traitement de vos données de santé est nécessaire.", "health_data_consent")
    await uow.terms.accept(account.id, version, health_data_consent, tools.clock())
    tokens = await issue_tokens(uow, tools, account, uuid.UUID(session_id))
    await uow.commit()
    return tokens


async def refuse_terms(uow: IdentityUnitOfWork, tools: Tools, *, session_id: str | None) -> None:
    """Refusing the terms ends the session: no access without them."""
    await logout(uow, tools, session_id, reason="terms_refused")
