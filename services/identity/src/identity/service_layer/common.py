"""What every identity use case shares: the collaborators bootstrap injects (`Tools`), the tenant
lookup, throttling and the anti-robot check, the new-password rules, and the one sequence that
makes a single-use link and sends it (`send_link`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from extranet_contracts import Envelope
from extranet_contracts.notifications import Channel, NotificationRequested, Recipient
from extranet_plumbing.logging import get_logger
from extranet_plumbing.sealing import Sealer
from identity.adapters.captcha import CaptchaVerifier
from identity.adapters.security import TokenIssuer
from identity.domain.accounts import Account
from identity.domain.contacts import InvalidContact, canonical_email, canonical_phone
from identity.domain.members import MemberOnFile
from identity.domain.passwords import PersonalData, breaches
from identity.domain.secrets import Digester, new_token
from identity.domain.tenants import TenantConfig
from identity.service_layer.errors import CAPTCHA, TOO_MANY, Refused
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from identity.settings import IdentitySettings

log = get_logger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Tools:
    """The collaborators of the use cases, chosen once by bootstrap."""

    settings: IdentitySettings
    tenants: Mapping[str, TenantConfig]
    issuer: TokenIssuer
    digest: Digester
    captcha: CaptchaVerifier
    clock: Clock
    sealer: Sealer  # seals codes and links for the notifications service

    def tenant(self, code: str) -> TenantConfig:
        try:
            return self.tenants[code]
        except KeyError:
            raise Refused(404, "Portail inconnu.", "tenant") from None

    def link(self, config: TenantConfig, kind: str, path: str, token: str) -> str:
        return f"{config.portal_url.get(kind, next(iter(config.portal_url.values())))}/{path}?token={token}"


async def throttle(
    uow: IdentityUnitOfWork, tools: Tools, scope: str, value: str | None, *, limit: int | None = None, window: int | None = None
) -> None:
    """Count one attempt for (scope, value) and keep the count (committed), then refuse past the limit."""
    if not value:
        return
    allowed = await uow.throttle.hit(
        tools.digest(f"{scope}:{value}"),
        limit=limit or tools.settings.throttle_per_address,
        window_seconds=window or tools.settings.throttle_window_seconds,
    )
    await uow.commit()  # a refused request still counts
    if not allowed:
        log.warning("throttled", scope=scope)
        raise Refused(429, TOO_MANY)


async def check_captcha(tools: Tools, solution: str | None, client_ip: str | None) -> None:
    if not await tools.captcha.verify(solution, client_ip):
        raise Refused(400, CAPTCHA, "captcha")


def check_new_password(config: TenantConfig, kind: str, password: str, confirmation: str, personal: PersonalData | None = None) -> None:
    """The tenant's policy, then NIST's: not a common or breached password, nothing of the person in it."""
    if password != confirmation:
        raise Refused(422, "Les deux mots de passe ne sont pas identiques.", "password_confirmation")
    problems = config.password_policy(kind).violations(password)
    if problems:
        raise Refused(422, "Le mot de passe doit comporter " + ", ".join(problems) + ".", "password")
    refused = breaches(password, personal)
    if refused:
        raise Refused(422, " ".join(refused), "password")


async def personal_data(uow: IdentityUnitOfWork, account: Account | None, member: MemberOnFile | None = None) -> PersonalData:
    """What a new password of this account (or member) must not contain."""
    if member is None and account is not None and account.kind == "member":
        member = await uow.members.get(account.tenant, account.identifier)
    identifiers = (
        [account.identifier, *(str(v) for k, v in account.scope.items() if k in ("member_number", "broker_code"))] if account else []
    )
    names = [account.display_name] if account else []
    if member is not None:
        identifiers.append(member.member_number)
        names += [member.last_name, member.first_name]
    return PersonalData.of(identifiers, names, member.birth_dates if member else ())


def check_same_email(email: str, confirmation: str) -> None:
    if email.strip().lower() != confirmation.strip().lower():
        raise Refused(422, "Les deux adresses e-mail ne sont pas identiques.", "email_confirmation")


def checked_contact(
    tools: Tools, email: str, email_confirmation: str, phone: str | None, *, mobile: bool = False
) -> tuple[str, str | None]:
    """(email, phone) in canonical form, or the refusal of the field at fault (`mobile`: the phone must take SMS)."""
    check_same_email(email, email_confirmation)
    try:
        email = canonical_email(email)
    except InvalidContact:
        raise Refused(422, "Adresse e-mail invalide.", "email") from None
    try:
        phone = canonical_phone(phone, tools.settings.phone_region, mobile=mobile) if phone and phone.strip() else None
    except InvalidContact:
        message = "Numéro de téléphone portable invalide." if mobile else "Numéro de téléphone invalide."
        raise Refused(422, message, "phone") from None
    return email, phone


async def notify(
    uow: IdentityUnitOfWork,
    tools: Tools,
    tenant: str,
    *,
    reference: str,
    template: str,
    data: dict,
    email: str | None = None,
    phone: str | None = None,
    channels: tuple[Channel, ...] = (Channel.EMAIL,),
    name: str | None = None,
    account_id: uuid.UUID | None = None,
    secret: dict | None = None,
) -> Envelope:
    """Ask the notifications service for a message (through the outbox, in this transaction). What
    proves who someone is (a one-time code, a link with its token) goes in `secret`: sealed for the
    notifications service alone, it never lies in clear in the outbox nor on Kafka."""
    request = NotificationRequested(
        recipient=Recipient(reference=reference, email=email, phone=phone, display_name=name),
        channels=list(channels),
        template=template,
        data=data,
    )
    if secret:
        request = request.model_copy(update={"sealed_data": tools.sealer.seal(secret, context=request.seal_context())})
    envelope = await uow.publish(request, tenant=tenant)
    await uow.mails.record(  # its outcome comes back under the same id
        request_id=envelope.id, tenant=tenant, template=template, account_id=account_id, reference=reference, requested_at=envelope.time
    )
    return envelope


async def send_link(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    tenant: str,
    purpose: str,
    template: str,
    portal: str,
    path: str,
    ttl_seconds: int,
    reference: str,
    email: str | None,
    name: str | None,
    data: dict | None = None,
    account_id: uuid.UUID | None = None,
    subject: str | None = None,
    payload: dict | None = None,
) -> Envelope:
    """Make a single-use link token for `purpose` and send it by email with `template` (data gets `link`)."""
    token = new_token()
    await uow.links.add(
        token_hash=tools.digest(token),
        tenant=tenant,
        purpose=purpose,
        account_id=account_id,
        subject=subject,
        payload=payload,
        expires_at=tools.clock() + timedelta(seconds=ttl_seconds),
    )
    link = tools.link(tools.tenant(tenant), portal, path, token)
    return await notify(
        uow,
        tools,
        tenant,
        reference=reference,
        template=template,
        email=email,
        name=name,
        data=data or {},
        secret={"link": link},
        account_id=account_id,
    )
