"""What an account holder changes alone (self-care): profile, password, contact details,
notification email, deleting the account."""

from __future__ import annotations

import uuid

from extranet_contracts.requests import ContactChangeRequested
from extranet_plumbing.logging import get_logger
from identity.adapters.security import hash_password, verify_password
from identity.domain.accounts import Account
from identity.domain.contact_changes import LEGACY_OWNED, pending_change
from identity.service_layer.common import Tools, check_new_password, checked_contact, notify, personal_data, send_link, throttle
from identity.service_layer.errors import BAD_LINK, Refused
from identity.service_layer.outcomes import ACTIVATION_MAILS
from identity.service_layer.sessions import SESSION_EXPIRED, end_all_sessions
from identity.service_layer.unit_of_work import IdentityUnitOfWork

log = get_logger(__name__)
EMAIL_CHANGE = "email_change"
CONTACT_CHANGED = "Vos coordonnées sont modifiées."
CONTACT_REQUESTED = "Votre demande de modification est transmise à votre mutuelle : elle apparaîtra une fois prise en compte."


async def _own(uow: IdentityUnitOfWork, account_id: str, *, for_update: bool = False) -> Account:
    account = await uow.accounts.get(uuid.UUID(account_id), for_update=for_update)
    if account is None or not account.active:
        raise Refused(401, SESSION_EXPIRED)
    return account


async def profile(uow: IdentityUnitOfWork, tools: Tools, *, account_id: str) -> dict:
    account = await _own(uow, account_id)
    return {
        "identifier": account.identifier,
        "kind": account.kind,
        "tenant": account.tenant,
        "email": account.email,
        "phone": account.phone,
        "display_name": account.display_name,
        "mail_preference": account.mail_preference,
        "notification_email": account.notification_email,
        "last_login_at": account.previous_login_at,  # the login before this session's
        "activated_at": account.activated_at,
        "pending_contact": {k: account.pending_contact.get(k) for k in ("email", "phone", "requested_at")}
        if account.pending_contact
        else None,
        "activation_mail_status": await uow.mails.latest_status(account.id, ACTIVATION_MAILS),
    }


async def change_password(
    uow: IdentityUnitOfWork, tools: Tools, *, account_id: str, old: str, new: str, confirmation: str, session_id: str | None = None
) -> None:
    """A new password ends every other session of the account at once; the one that changed it goes on."""
    account = await _own(uow, account_id, for_update=True)
    if not await verify_password(account.password_hash, old):
        raise Refused(422, "L'ancien mot de passe est incorrect.", "old_password")
    check_new_password(tools.tenant(account.tenant), account.kind, new, confirmation, await personal_data(uow, account))
    await uow.accounts.update(account, password_hash=await hash_password(new))
    await end_all_sessions(uow, tools, account, keep=session_id, reason="password_changed")
    await uow.commit()


async def change_contact(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    account_id: str,
    email: str,
    email_confirmation: str,
    phone: str | None,
    current_password: str | None = None,
) -> str:
    """A new email needs the current password and is confirmed by a single-use link sent to it; the
    old address is told, without any link. Nothing changes before the confirmation. A phone alone
    changes at once (correspondents, operators) or goes to the legacy system (brokers, members).
    Returns the sentence the portal shows."""
    email, phone = checked_contact(tools, email, email_confirmation, phone)
    account = await _own(uow, account_id, for_update=True)
    if email == (account.email or "").lower():
        await _apply_contact(uow, tools, account, email=account.email, phone=phone)
        await uow.commit()
        return CONTACT_CHANGED if account.kind not in LEGACY_OWNED else CONTACT_REQUESTED
    await throttle(uow, tools, "contact-password", str(account.id), limit=5, window=3600)  # guessing from a stolen session
    if not current_password or not await verify_password(account.password_hash, current_password):
        raise Refused(422, "Le mot de passe actuel est incorrect.", "current_password")
    config = tools.tenant(account.tenant)
    await send_link(
        uow,
        tools,
        tenant=account.tenant,
        purpose=EMAIL_CHANGE,
        template="email_change_confirmation",
        portal=account.kind,
        path="confirmer-adresse-email",
        ttl_seconds=tools.settings.email_change_ttl_seconds,
        reference=account.reference,
        email=email,
        name=account.display_name,
        account_id=account.id,
        payload={"email": email, "phone": phone},
        data={"expires_in_hours": tools.settings.email_change_ttl_seconds // 3600},
    )
    old = account.email or account.notification_address
    if old:
        await notify(
            uow,
            tools,
            account.tenant,
            reference=account.reference,
            template="email_changed_notice",
            email=old,
            name=account.display_name,
            account_id=account.id,
            data={"identifier": account.identifier},
        )
    await uow.commit()
    log.info("email change asked", tenant=config.code, kind=account.kind)
    return "Un e-mail vous a été envoyé à la nouvelle adresse : suivez son lien pour confirmer la modification."


async def confirm_email_change(uow: IdentityUnitOfWork, tools: Tools, *, token: str) -> str:
    """The link sent to the new address: the change takes effect (or goes to the legacy system)."""
    used = await uow.links.use(tools.digest(token), (EMAIL_CHANGE,), tools.clock())
    account = await uow.accounts.get(used.account_id, for_update=True) if used and used.account_id else None
    if account is None or not account.active:
        raise Refused(400, BAD_LINK, "token")
    await _apply_contact(uow, tools, account, email=used.payload["email"], phone=used.payload.get("phone"))
    await uow.commit()
    return CONTACT_CHANGED if account.kind not in LEGACY_OWNED else CONTACT_REQUESTED


async def _apply_contact(uow: IdentityUnitOfWork, tools: Tools, account: Account, *, email: str | None, phone: str | None) -> None:
    """A correspondent's or operator's details are the platform's: changed at once. A broker's or member's
    are the legacy system's: the change goes to it as a request, and shows as pending until it carries it."""
    if account.kind not in LEGACY_OWNED:
        await uow.accounts.update(account, email=email, phone=phone)
        return
    change = pending_change(account.email, account.phone, email, phone, tools.clock())
    if change is None:
        await uow.accounts.update(account, pending_contact=None)  # back to what is on file: nothing to ask
        return
    request = ContactChangeRequested(
        requester_kind=account.kind, reference=account.identifier, email=change["email"], phone=change["phone"]
    )
    envelope = await uow.publish(request, tenant=account.tenant)
    await uow.accounts.update(account, pending_contact={**change, "request_id": str(envelope.id)})


async def change_notification_email(uow: IdentityUnitOfWork, tools: Tools, *, account_id: str, email: str, email_confirmation: str) -> None:
    email, _ = checked_contact(tools, email, email_confirmation, None)
    account = await _own(uow, account_id, for_update=True)
    await uow.accounts.update(account, notification_email=email)
    await uow.commit()


async def delete_own_account(uow: IdentityUnitOfWork, tools: Tools, *, account_id: str) -> None:
    account = await _own(uow, account_id, for_update=True)
    if account.kind != "correspondent":
        raise Refused(403, "La suppression du compte n'est proposée que dans l'espace entreprise.")
    await uow.accounts.erase(account)
    await end_all_sessions(uow, tools, account, reason="account_deleted")
    await uow.commit()
