"""Activation of accounts and passwords set through links: the broker's activation link, member
activation by one-time code (with or without identifier), by email link (form as on the member
card), by matching against the legacy system's data, its completion, and the password-reset link."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from extranet_contracts.notifications import Channel
from extranet_plumbing.logging import get_logger
from identity.adapters.security import hash_password
from identity.domain.accounts import Account, mutuelle_login_key
from identity.domain.contacts import InvalidContact, canonical_email, canonical_phone, looks_like_email
from identity.domain.members import Access, EmailCase, MemberOnFile, legacy_email_case, member_access, same_email, same_name
from identity.domain.secrets import new_code, new_token
from identity.domain.tenants import TenantConfig
from identity.service_layer.common import (
    Tools,
    check_captcha,
    check_new_password,
    checked_contact,
    notify,
    personal_data,
    send_link,
    throttle,
)
from identity.service_layer.errors import BAD_CODE, BAD_LINK, Refused
from identity.service_layer.sessions import end_all_sessions
from identity.service_layer.unit_of_work import IdentityUnitOfWork

log = get_logger(__name__)
NOT_OFFERED = "Ce mode d'activation n'est pas proposé par votre mutuelle."
LINK_PURPOSES = ("password_reset", "broker_activation", "correspondent_invitation")


# --- links to an account: broker activation, password reset ---------------------------------------


async def send_broker_activation(uow: IdentityUnitOfWork, tools: Tools, account: Account) -> None:
    """The activation email of a new broker: the login link and the identifier."""
    await send_link(
        uow,
        tools,
        tenant=account.tenant,
        purpose="broker_activation",
        template="broker_activation",
        portal="broker",
        path="activation",
        ttl_seconds=tools.settings.activation_link_ttl_seconds,
        reference=f"broker:{account.identifier}",
        email=account.notification_address,
        name=account.display_name,
        account_id=account.id,
        data={"broker_code": account.identifier},
    )


async def send_password_reset(uow: IdentityUnitOfWork, tools: Tools, account: Account, *, email: str | None = None) -> None:
    await send_link(
        uow,
        tools,
        tenant=account.tenant,
        purpose="password_reset",
        template="password_reset",
        portal=account.kind,
        path="reinitialiser-mot-de-passe",
        ttl_seconds=tools.settings.password_reset_ttl_seconds,
        reference=account.reference,
        email=email or account.email,
        name=account.display_name,
        account_id=account.id,
        data={"identifier": account.identifier},
    )


async def check_password_reset_request(
    uow: IdentityUnitOfWork, tools: Tools, *, tenant: str, captcha: str | None, client_ip: str | None
) -> None:
    """What the caller may be told: only throttling and the anti-robot check, never whether the email is known."""
    tools.tenant(tenant)
    await throttle(uow, tools, "reset-address", client_ip)
    await check_captcha(tools, captcha, client_ip)


async def send_password_reset_links(uow: IdentityUnitOfWork, tools: Tools, *, tenant: str, email: str) -> None:
    """Runs after the answer was sent, so that its duration cannot reveal whether the email is known."""
    tools.tenant(tenant)
    try:
        await throttle(uow, tools, "reset-email", email.strip().lower(), limit=3, window=3600)
    except Refused:
        return
    for account in await uow.accounts.active_by_email(tenant, email.strip()):
        await send_password_reset(uow, tools, account)
    await uow.commit()


async def set_password_with_link(uow: IdentityUnitOfWork, tools: Tools, *, token: str, password: str, confirmation: str) -> dict:
    """Broker activation, activation by invitation, password reset: the link's owner sets a password."""
    now = tools.clock()
    peek = await uow.links.peek(tools.digest(token), LINK_PURPOSES, now)
    if peek is None or peek.account_id is None:
        raise Refused(400, BAD_LINK, "token")
    account = await uow.accounts.get(peek.account_id, for_update=True)
    check_new_password(tools.tenant(account.tenant), account.kind, password, confirmation, await personal_data(uow, account))
    if await uow.links.use(tools.digest(token), (peek.purpose,), now) is None:
        raise Refused(400, BAD_LINK, "token")
    changes = {"password_hash": await hash_password(password), "failed_logins": 0, "locked_until": None}
    if account.status == "pending":
        changes.update(status="active", activated_at=now)
    await uow.accounts.update(account, **changes)
    await end_all_sessions(uow, tools, account, reason="password_set")  # every access token too, at once
    await uow.commit()
    return {"identifier": account.identifier, "kind": account.kind}


# --- member activation by one-time code ------------------------------------------------------------


def _contact(contact: str, config: TenantConfig, region: str) -> tuple[str, str]:
    """(channel, destination in canonical form) of what the member typed."""
    contact = contact.strip()
    try:
        if looks_like_email(contact):
            channel, destination = "email", canonical_email(contact)
        else:
            channel, destination = "sms", canonical_phone(contact, region, mobile=True)
    except InvalidContact:
        raise Refused(422, "Saisissez une adresse e-mail ou un numéro de téléphone portable.", "contact") from None
    if channel not in config.otp_channels:
        raise Refused(422, "Votre mutuelle envoie le code uniquement par " + " ou ".join(config.otp_channels) + ".", "contact")
    return channel, destination


async def _matching_member(
    uow: IdentityUnitOfWork, tenant: str, member_number: str | None, channel: str, destination: str, birth_date: date | None
) -> MemberOnFile | None:
    if member_number is not None:
        member = await uow.members.get(tenant, member_number.strip())
        candidates = [member] if member else []
    else:
        found = await uow.members.by_contact(
            tenant, email=destination if channel == "email" else None, phone=destination if channel == "sms" else None
        )
        candidates = [m for m in found if birth_date in m.birth_dates]
    for member in candidates:
        on_file = member.email.lower() if channel == "email" and member.email else (member.mobile_phone if channel == "sms" else None)
        if on_file and on_file == destination:
            return member
    return None


async def _send_code(
    uow: IdentityUnitOfWork, tools: Tools, member: MemberOnFile | None, channel: str, destination: str, code: str, *, tenant: str
) -> None:
    """Ask for the code's message; without a member, the same work, withdrawn before commit (same time either way)."""
    data = {"expires_in_minutes": tools.settings.otp_ttl_seconds // 60}
    by_email = channel == "email"
    envelope = await notify(
        uow,
        tools,
        tenant,
        reference=member.reference if member else "member:unknown",
        template="member_activation_code",
        email=destination if by_email else None,
        phone=None if by_email else destination,
        channels=(Channel.EMAIL,) if by_email else (Channel.SMS,),
        name=member.display_name if member and by_email else None,
        data=data,
        secret={"code": code},
    )
    await uow.decoys.settle(envelope.id, keep=member is not None)


async def start_member_activation(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    tenant: str,
    contact: str,
    member_number: str | None,
    birth_date: date | None,
    captcha: str | None,
    client_ip: str | None,
) -> str:
    """Send a code if the member is known with this contact; the same answer either way."""
    config = tools.tenant(tenant)
    path = "identifier" if member_number is not None else "without_identifier"
    if path not in config.member_activation:
        raise Refused(404, NOT_OFFERED)
    await throttle(uow, tools, "activation-address", client_ip)
    await check_captcha(tools, captcha, client_ip)
    channel, destination = _contact(contact, config, tools.settings.phone_region)
    await throttle(uow, tools, "activation-destination", destination, limit=5, window=3600)
    now = tools.clock()
    member = await _matching_member(uow, tenant, member_number, channel, destination, birth_date)
    # From here, the same work whether or not the details matched: the answer's time tells nothing.
    existing = await uow.accounts.by_identifier(tenant, "member", member.member_number if member else (member_number or "").strip())
    if member is not None and (member.radiated(now.date()) or (existing is not None and existing.active)):
        member = None  # already activated (they log in, or reset their password), or no longer a member
    code = new_code()
    code_hash = tools.digest(code)
    code_id = await uow.codes.add(
        tenant=tenant,
        purpose="member_activation",
        subject=member.member_number if member else None,
        channel=channel,
        destination=destination,
        code_hash=code_hash if member else None,
        expires_at=now + timedelta(seconds=tools.settings.otp_ttl_seconds),
        now=now,
    )
    await _send_code(uow, tools, member, channel, destination, code, tenant=tenant)
    await uow.commit()
    return str(code_id)


async def may_activate(uow: IdentityUnitOfWork, member: MemberOnFile, today: date) -> bool:
    """A member may activate an account unless it is active already, or the member is radiated."""
    if member.radiated(today):
        return False
    existing = await uow.accounts.by_identifier(member.tenant, "member", member.member_number)
    return not (existing and existing.active)


def _activation_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Refused(400, BAD_CODE, "activation_id") from None


async def resend_code(uow: IdentityUnitOfWork, tools: Tools, *, tenant: str, activation_id: str, client_ip: str | None) -> None:
    await throttle(uow, tools, "activation-address", client_ip)
    now, settings = tools.clock(), tools.settings
    stored = await uow.codes.get(_activation_id(activation_id), tenant)
    if stored is None or stored.verified_at is not None:
        raise Refused(400, BAD_CODE, "activation_id")
    if stored.sends >= settings.otp_max_sends or stored.last_sent_at > now - timedelta(seconds=settings.otp_resend_interval_seconds):
        raise Refused(429, "Vous avez demandé trop de codes. Patientez avant d'en demander un nouveau.")
    code = new_code()
    await uow.codes.update(
        stored,
        code_hash=tools.digest(code) if stored.subject else None,
        attempts=0,
        sends=stored.sends + 1,
        last_sent_at=now,
        expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
    )
    if stored.subject:
        member = await uow.members.get(tenant, stored.subject)
        await _send_code(uow, tools, member, stored.channel, stored.destination, code, tenant=tenant)
    await uow.commit()


async def verify_code(uow: IdentityUnitOfWork, tools: Tools, *, tenant: str, activation_id: str, code: str) -> dict:
    """The right code within its life and attempts → a short ticket to finish, and the member number."""
    now = tools.clock()
    stored = await uow.codes.get(_activation_id(activation_id), tenant)
    if stored is None or stored.verified_at is not None or stored.expires_at <= now or stored.attempts >= tools.settings.otp_max_attempts:
        raise Refused(400, BAD_CODE, "code")
    if not tools.digest.matches(code.strip(), stored.code_hash):
        await uow.codes.update(stored, attempts=stored.attempts + 1)
        await uow.commit()  # the attempt counts
        raise Refused(400, BAD_CODE, "code")
    await uow.codes.update(stored, verified_at=now)
    ticket = new_token()
    await uow.links.add(
        token_hash=tools.digest(ticket),
        tenant=tenant,
        purpose="member_activation",
        subject=stored.subject,
        payload={stored.channel: stored.destination},
        expires_at=now + timedelta(seconds=tools.settings.activation_ticket_ttl_seconds),
    )
    await uow.commit()
    return {"ticket": ticket, "member_number": stored.subject}


async def complete_member_activation(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    tenant: str,
    ticket: str,
    email: str,
    email_confirmation: str,
    phone: str | None,
    password: str,
    password_confirmation: str,
    mail_preference: str,
) -> dict:
    """The member confirms email, optional mobile phone and password: the account is active."""
    config = tools.tenant(tenant)
    email, phone = checked_contact(tools, email, email_confirmation, phone, mobile=True)
    check_new_password(config, "member", password, password_confirmation)
    now = tools.clock()
    password_hash = await hash_password(password)
    used = await uow.links.use(tools.digest(ticket), ("member_activation", "activation_link"), now)
    if used is None or used.tenant != tenant or not used.subject:
        raise Refused(400, BAD_LINK, "ticket")
    member = await uow.members.get(tenant, used.subject)
    # Refused before anything is kept (the ticket is not spent: leaving the block rolls back).
    check_new_password(config, "member", password, password_confirmation, await personal_data(uow, None, member))
    login_key = await _login_key(uow, config, member, email)
    account = await uow.accounts.by_identifier(tenant, "member", used.subject, for_update=True)
    if account is None:
        scope = {"member_number": used.subject, **({"mutuelle_code": member.mutuelle_code} if member.mutuelle_code else {})}
        account = await uow.accounts.add(
            tenant=tenant, kind="member", identifier=used.subject, display_name=member.display_name, scope=scope
        )
    elif account.active:
        raise Refused(409, "Votre espace est déjà activé : connectez-vous.")
    await uow.accounts.update(
        account,
        login_key=login_key,
        email=email,
        phone=phone,
        password_hash=password_hash,
        status="active",
        activated_at=now,
        mail_preference=mail_preference,
    )
    await uow.commit()
    log.info("member account activated", tenant=tenant)
    return {"identifier": used.subject}


async def _login_key(uow: IdentityUnitOfWork, config: TenantConfig, member: MemberOnFile, email: str) -> str | None:
    """Where members log in with their mutuelle's number and email, the key of the new account (unique)."""
    if not config.members_log_in_by_mutuelle:
        return None
    if not member.mutuelle_code:
        raise Refused(409, "Votre espace ne peut pas être activé en ligne : contactez un conseiller.")
    key = mutuelle_login_key(member.mutuelle_code, email)
    other = await uow.accounts.by_login_key(member.tenant, "member", key)
    if other is not None and other.identifier != member.member_number:
        raise Refused(409, "Cette adresse e-mail est déjà celle d'un autre compte de votre mutuelle : choisissez-en une autre.", "email")
    return key


# --- member activation by email link ----------------------------------------------------------------


async def send_member_activation_link(uow: IdentityUnitOfWork, tools: Tools, member: MemberOnFile, email: str) -> None:
    await send_link(
        uow,
        tools,
        tenant=member.tenant,
        purpose="activation_link",
        template="member_activation_link",
        portal="member",
        path="activation",
        ttl_seconds=tools.settings.activation_link_ttl_seconds,
        reference=member.reference,
        email=email,
        name=member.display_name,
        subject=member.member_number,
        data={"expires_in_hours": tools.settings.activation_link_ttl_seconds // 3600},
    )


async def request_activation_link(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    tenant: str,
    member_number: str,
    last_name: str,
    birth_date: date,
    email: str,
    captcha: str | None,
    client_ip: str | None,
) -> None:
    """The form "strictly as on the member card": a link valid 48 hours if it matches; the same answer either way."""
    config = tools.tenant(tenant)
    if "link" not in config.member_activation:
        raise Refused(404, NOT_OFFERED)
    await throttle(uow, tools, "activation-address", client_ip)
    await check_captcha(tools, captcha, client_ip)
    member = await uow.members.get(tenant, member_number.strip())
    if (
        member is not None
        and same_name(member.last_name, last_name)
        and birth_date in member.birth_dates
        and same_email(member.email, email)
        and await may_activate(uow, member, tools.clock().date())
    ):
        await send_member_activation_link(uow, tools, member, email.strip())
        await uow.commit()


# --- member activation matching the legacy system's data (guide 004) --------------------------------


async def legacy_match_activation(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    tenant: str,
    identifier: str,
    contract_number: str,
    last_name: str,
    birth_date: date,
    postal_code: str,
    email: str,
    captcha: str | None,
    client_ip: str | None,
) -> None:
    config = tools.tenant(tenant)
    if "legacy_match" not in config.member_activation:
        raise Refused(404, NOT_OFFERED)
    if not config.member_identifier.match(identifier.strip()):
        raise Refused(422, "Identifiant invalide.", "identifier")
    await throttle(uow, tools, "activation-address", client_ip)
    await check_captcha(tools, captcha, client_ip)
    email = email.strip().lower()
    candidates = await uow.members.on_contract(tenant, contract_number.strip(), postal_code=postal_code.strip(), birth_date=birth_date)
    member = next((m for m in candidates if same_name(m.last_name, last_name) and _identified_by(config, m, identifier.strip())), None)
    account = await uow.accounts.by_identifier(tenant, "member", member.member_number) if member else None
    if member is not None and member.radiated(tools.clock().date()):
        # Radiated: no new activation (the same answer as a stranger); an account still in its read access may reset its password.
        access = member_access(member, tools.clock().date(), config.radiated_read_access_months)
        if account is None or not account.active or access is Access.NONE:
            member = None
    if member is None:
        raise Refused(422, "Les informations saisies ne permettent pas de vous identifier.")
    case = legacy_email_case(member.email, email)
    if case is EmailCase.OTHER_THAN_ON_FILE:
        raise Refused(
            409,
            "L'adresse e-mail saisie ne correspond pas à celle connue de votre mutuelle. Contactez un conseiller pour la mettre à jour.",
            "email",
        )
    if case is EmailCase.NONE_ON_FILE:
        await uow.members.set_email(member, email)
    if account is not None and account.active:  # the same form serves "forgot password" (guide 004)
        await send_password_reset(uow, tools, account)
    else:
        await send_member_activation_link(uow, tools, member, email)
    await uow.commit()


def _identified_by(config: TenantConfig, member: MemberOnFile, identifier: str) -> bool:
    """The form's identifier: the member's mutuelle number in a union of mutuelles, else the member number."""
    return member.mutuelle_code == identifier if config.members_log_in_by_mutuelle else member.member_number == identifier
